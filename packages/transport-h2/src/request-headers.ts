import { type OutgoingHttpHeaders, sensitiveHeaders } from "node:http2";

// Connection-specific fields HTTP/2 forbids (RFC 9113 §8.2.2): node:http2 throws on them, and a
// caller's Headers may well carry them (Requests' defaults send `Connection: keep-alive`). Host
// becomes :authority. `Expect: 100-continue` is dropped as on HTTP/1.1: the body is sent at once.
const DROPPED = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "host",
  "expect",
  "http2-settings",
]);

// Never put into the HPACK dynamic table, so a compression side channel cannot recover them.
const NEVER_INDEXED = ["authorization", "proxy-authorization"];

/**
 * The request head as node:http2 takes it: the four pseudo-headers (`path` as the request
 * line would carry it), then the caller's fields
 * lowercased (HTTP/2 requires it), repeated fields as arrays in their order. A caller's `Host`
 * becomes `:authority`; `TE` is kept only as `trailers`, the one value HTTP/2 allows.
 */
export function outgoingHeaders(
  method: string,
  url: URL,
  path: string,
  flat: readonly string[],
): OutgoingHttpHeaders {
  let authority = url.host;
  const headers: OutgoingHttpHeaders = {
    ":method": method,
    ":scheme": url.protocol === "https:" ? "https" : "http",
    ":authority": authority,
    ":path": path,
  };
  let sensitive: string[] | undefined;
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i]!.toLowerCase();
    const value = flat[i + 1]!;
    if (DROPPED.has(name)) {
      if (name === "host" && value !== "") authority = value;
      continue;
    }
    if (name === "te" && value.trim().toLowerCase() !== "trailers") continue;
    const previous = headers[name];
    if (previous === undefined) headers[name] = value;
    else if (Array.isArray(previous)) previous.push(value);
    else headers[name] = [String(previous), value];
    if (NEVER_INDEXED.includes(name)) (sensitive ??= []).push(name);
  }
  headers[":authority"] = authority;
  // node:http2 reads the list under a symbol its typings cannot index an OutgoingHttpHeaders by.
  if (sensitive !== undefined) Object.defineProperty(headers, sensitiveHeaders, { value: sensitive });
  return headers;
}
