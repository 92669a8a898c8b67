const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

// IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") and RFC 850 ("Sunday, 06-Nov-94 08:49:37 GMT").
// The day name is optional and unchecked, and a numeric zone is accepted, as Python's
// email.utils.parsedate_tz (what urllib3 uses) accepts them.
const DAY_FIRST =
  /^(?:[a-z]{3,9},?\s+)?(\d{1,2})[\s-]+([a-z]{3})[\s-]+(\d{2}|\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*(gmt|utc|ut|z|[+-]\d{4}))?$/i;
// asctime ("Sun Nov  6 08:49:37 1994"): no zone, and RFC 9110 says it is UTC.
const ASCTIME = /^(?:[a-z]{3},?\s+)?([a-z]{3})\s+(\d{1,2})\s+(\d{1,2}):(\d{2}):(\d{2})\s+(\d{4})$/i;

/**
 * RFC 9110 §5.6.7: a two-digit year more than 50 years in the future means the most recent past
 * year with the same last two digits.
 */
function fullYear(twoDigits: number, now: number): number {
  const current = new Date(now).getUTCFullYear();
  let year = Math.floor(current / 100) * 100 + twoDigits;
  if (year > current + 50) year -= 100;
  return year;
}

function zoneOffsetMs(zone: string | undefined): number {
  if (zone === undefined || !/^[+-]/.test(zone)) return 0;
  const sign = zone.startsWith("-") ? -1 : 1;
  const hours = Number(zone.slice(1, 3));
  const minutes = Number(zone.slice(3, 5));
  return sign * (hours * 60 + minutes) * 60_000;
}

function build(
  year: number,
  monthName: string,
  day: number,
  hour: number,
  minute: number,
  second: number,
  offsetMs: number,
): number | null {
  const month = MONTHS.indexOf(monthName.toLowerCase());
  if (month < 0 || hour > 23 || minute > 59 || second > 60 || day < 1) return null;
  const midnight = Date.UTC(year, month, day);
  // Date.UTC rolls 31 Feb over into March: a date that does not exist is malformed, not moved.
  if (new Date(midnight).getUTCDate() !== day) return null;
  return midnight + ((hour * 60 + minute) * 60 + second) * 1000 - offsetMs;
}

/**
 * Parses an HTTP-date in any of RFC 9110's three formats into epoch milliseconds, or returns
 * `null` when the value is not one. `now` (epoch ms) resolves RFC 850's two-digit years.
 */
export function parseHttpDate(value: string, now: number = Date.now()): number | null {
  const text = value.trim();
  const dayFirst = DAY_FIRST.exec(text);
  if (dayFirst) {
    const [, day, month, year, hour, minute, second, zone] = dayFirst;
    const y = Number(year);
    return build(
      year!.length === 2 ? fullYear(y, now) : y,
      month!,
      Number(day),
      Number(hour),
      Number(minute),
      Number(second ?? 0),
      zoneOffsetMs(zone),
    );
  }
  const asctime = ASCTIME.exec(text);
  if (asctime) {
    const [, month, day, hour, minute, second, year] = asctime;
    return build(Number(year), month!, Number(day), Number(hour), Number(minute), Number(second), 0);
  }
  return null;
}
