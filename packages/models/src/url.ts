import { InvalidURL, MissingSchema } from "./errors.js";

/** A query parameter value; numbers and booleans are sent as text. */
export type ParamValue = string | number | boolean | bigint;

/**
 * The `params` option: a plain object (an array value repeats the key; `null` drops it), pairs,
 * `URLSearchParams`, or a ready query string or bytes used verbatim.
 */
export type QueryParams =
  | string
  | Uint8Array
  | URLSearchParams
  | Iterable<readonly [string, ParamValue | null | undefined]>
  | { readonly [key: string]: ParamValue | readonly ParamValue[] | null | undefined };

/** Encodes params as Requests does (`urlencode` with `doseq`, spaces as `+`). */
export function encodeParams(params: QueryParams): string {
  if (typeof params === "string") return params;
  if (params instanceof Uint8Array) return new TextDecoder().decode(params);
  const out = new URLSearchParams();
  const pairs =
    params instanceof URLSearchParams || Symbol.iterator in params
      ? (params as Iterable<readonly [string, ParamValue | null | undefined]>)
      : Object.entries(params);
  for (const [key, value] of pairs) {
    if (value === null || value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) out.append(key, String(v));
    else out.append(key, String(value));
  }
  return out.toString();
}

/** Prepares a URL as Requests' `prepare_url`: validated, IDN host punycoded, params appended, requoted. */
export function prepareUrl(url: string, params?: QueryParams | null): string {
  url = url.trimStart();
  if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(url)) {
    throw new MissingSchema(`Invalid URL ${JSON.stringify(url)}: No scheme supplied. Perhaps you meant https://${url}?`);
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new InvalidURL(`Invalid URL ${JSON.stringify(url)}`, { cause });
  }
  if (params != null) {
    const query = encodeParams(params);
    if (query) parsed.search = parsed.search ? `${parsed.search}&${query}` : query;
  }
  return parsed.href;
}

/** Path and query of a URL as sent on the request line, `/` when empty; the fragment is dropped. */
export function urlPath(url: string): string {
  const u = new URL(url);
  return `${u.pathname || "/"}${u.search}`;
}
