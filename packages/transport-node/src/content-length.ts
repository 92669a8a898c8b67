/**
 * A Content-Length value as a number, or `undefined` when it is absent or not one plain run of
 * digits (a list, a sign, white space): then the length is unknown.
 */
export function parseContentLength(value: string | null): number | undefined {
  if (value === null || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}
