/** Request header fields as undici takes them, plus what the caller's `Connection` asked for. */
export interface OutgoingHeaders {
  /** Names and values alternating, in the caller's order and case. */
  readonly headers: string[];
  /** The caller sent `Connection: close`: the socket is not reused after this exchange. */
  readonly closeConnection: boolean;
}

function isDropped(lower: string): boolean {
  // undici frames the body itself (chunked when there is no Content-Length) and owns the
  // connection's persistence, so it refuses these instead of sending them twice.
  // `Expect: 100-continue` is refused too; without it the body is sent at once, which is
  // what urllib3 does with the header anyway.
  return (
    lower === "transfer-encoding" || lower === "keep-alive" || lower === "connection" || lower === "expect"
  );
}

function wantsClose(value: string): boolean {
  for (const token of value.split(",")) if (token.trim().toLowerCase() === "close") return true;
  return false;
}

/**
 * Filters `Headers.flat()` for undici: drops the hop-by-hop fields undici manages itself and
 * turns `Connection: close` into its `reset` option. The caller's `Host` is kept (undici sends
 * it instead of the origin's). Returns the input array itself when nothing is dropped.
 */
export function outgoingHeaders(flat: string[]): OutgoingHeaders {
  let out: string[] | undefined;
  let closeConnection = false;
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i]!;
    // Cheap length test first: the dropped names are 6, 10 and 17 characters long.
    const length = name.length;
    const candidate = (length === 6 || length === 10 || length === 17) && isDropped(name.toLowerCase());
    if (candidate) {
      if (length === 10 && name.toLowerCase() === "connection" && wantsClose(flat[i + 1]!))
        closeConnection = true;
      out ??= flat.slice(0, i);
      continue;
    }
    out?.push(name, flat[i + 1]!);
  }
  return { headers: out ?? flat, closeConnection };
}
