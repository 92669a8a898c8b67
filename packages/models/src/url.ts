/**
 * URL preparation as Requests does it: `PreparedRequest.prepare_url` on top of urllib3 v2's
 * `parse_url`, then `requote_uri` over the whole string.
 *
 * The WHATWG `URL` class is used only for the UTS-46 mapping of non-ASCII host names; the
 * prepared string is built here, because WHATWG encodes differently from Requests (it encodes
 * `'` in queries and leaves `{`, `}`, `|` and `^` alone) and resolves `\` as `/`.
 *
 * @packageDocumentation
 */

import { InvalidURL, MissingSchema } from "./errors.js";

/** A query parameter value; numbers and booleans are sent as text. */
export type ParamValue = string | number | boolean | bigint;

/** One value of a query parameter as callers give it: bytes are sent as they are, `null` is dropped. */
type ParamEntry = ParamValue | Uint8Array | null | undefined;

/**
 * The `params` option: a plain object (an array value repeats the key; `null` drops it), pairs
 * (a `Map` too), `URLSearchParams`, or a ready query string or bytes used verbatim.
 */
export type QueryParams =
  | string
  | Uint8Array
  | URLSearchParams
  | Iterable<readonly [string | Uint8Array, ParamEntry | readonly ParamEntry[]]>
  | { readonly [key: string]: ParamEntry | readonly ParamEntry[] };

const encoder = new TextEncoder();
const HEX = "0123456789ABCDEF";

/** A lookup table of the ASCII bytes a percent-encoder leaves alone. */
function byteSet(chars: string): Uint8Array {
  const table = new Uint8Array(128);
  for (let i = 0; i < chars.length; i++) table[chars.charCodeAt(i)] = 1;
  return table;
}

// urllib.parse's always-safe set: what `quote` never encodes.
const ALWAYS_SAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~";
const QUOTE_PLUS_SAFE = byteSet(ALWAYS_SAFE);
const REQUOTE_SAFE = byteSet(`${ALWAYS_SAFE}!#$%&'()*+,/:;=?@[]~`);
const REQUOTE_SAFE_NO_PERCENT = byteSet(`${ALWAYS_SAFE}!#$&'()*+,/:;=?@[]~`);

// urllib3's component alphabets (RFC 3986): bytes outside them are percent-encoded.
const UNRESERVED_CHARS = ALWAYS_SAFE;
const USERINFO_CHARS = `${UNRESERVED_CHARS}!$&'()*+,;=:`;
const PATH_CHARS = `${USERINFO_CHARS}@/`;
const USERINFO_SET = byteSet(USERINFO_CHARS);
const UNRESERVED_SET = byteSet(UNRESERVED_CHARS);
const PATH_SET = byteSet(PATH_CHARS);
const QUERY_SET = byteSet(`${PATH_CHARS}?`);

/** Percent-encodes UTF-8 bytes outside `safe`, as Python's `quote_from_bytes` (spaces as `+` for `quote_plus`). */
function quoteBytes(bytes: Uint8Array, safe: Uint8Array, plus = false): string {
  let out = "";
  for (const byte of bytes) {
    if (byte < 128 && safe[byte]) out += String.fromCharCode(byte);
    else if (plus && byte === 0x20) out += "+";
    else out += `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
  }
  return out;
}

function quote(text: string, safe: Uint8Array): string {
  return quoteBytes(encoder.encode(text), safe);
}

function quotePlus(value: string | Uint8Array): string {
  return quoteBytes(typeof value === "string" ? encoder.encode(value) : value, QUOTE_PLUS_SAFE, true);
}

function paramText(value: ParamValue | Uint8Array): string | Uint8Array {
  return typeof value === "string" || value instanceof Uint8Array ? value : String(value);
}

/** True for a value that repeats its key: any iterable but text and bytes (Python's `doseq`). */
function isMultiValue(value: unknown): value is Iterable<ParamEntry> {
  return (
    typeof value === "object" &&
    value !== null &&
    !(value instanceof Uint8Array) &&
    typeof (value as Partial<Iterable<unknown>>)[Symbol.iterator] === "function"
  );
}

/** The `[key, value]` entries of a form or params object, pairs or `Map`, in order. */
function entriesOf(params: object): Iterable<readonly [unknown, unknown]> {
  if (typeof (params as Partial<Iterable<unknown>>)[Symbol.iterator] !== "function")
    return Object.entries(params);
  const pairs: (readonly [unknown, unknown])[] = [];
  for (const pair of params as Iterable<unknown>) {
    if (!Array.isArray(pair) || pair.length !== 2) {
      throw new TypeError(
        `Expected [key, value] pairs, got ${Array.isArray(pair) ? `${pair.length} items` : typeof pair}`,
      );
    }
    pairs.push(pair as unknown as readonly [unknown, unknown]);
  }
  return pairs;
}

/**
 * Encodes params as Requests does (`urlencode` with `doseq`, `quote_plus`: spaces as `+`, all but
 * `A-Za-z0-9_.-~` percent-encoded as UTF-8). A string is returned as it is, bytes decoded as UTF-8.
 */
export function encodeParams(params: QueryParams): string {
  if (typeof params === "string") return params;
  if (params instanceof Uint8Array) return new TextDecoder().decode(params);
  const out: string[] = [];
  for (const [key, value] of entriesOf(params)) {
    const name = quotePlus(paramText(key as ParamValue | Uint8Array));
    const values = isMultiValue(value) ? value : [value as ParamEntry];
    for (const v of values) {
      if (v === null || v === undefined) continue;
      out.push(`${name}=${quotePlus(paramText(v))}`);
    }
  }
  return out.join("&");
}

/**
 * Un-escapes percent-escapes of unreserved characters (`%7E` → `~`), leaving reserved,
 * illegal and non-ASCII escapes encoded: Requests' `unquote_unreserved`. Throws
 * `InvalidURL` on an escape of two alphanumerics that are not hex, as Requests does.
 */
export function unquoteUnreserved(uri: string): string {
  const parts = uri.split("%");
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i]!;
    // Python slices code points and tests `str.isalnum`, so a letter like `é` counts too.
    const h = /^[\p{L}\p{N}]{2}/u.exec(part)?.[0];
    if (h === undefined) {
      parts[i] = `%${part}`;
      continue;
    }
    if (!/^[0-9A-Fa-f]{2}$/.test(h)) throw new InvalidURL(`Invalid percent-escape sequence: '${h}'`);
    const c = Number.parseInt(h, 16);
    parts[i] = c < 128 && UNRESERVED_SET[c] ? String.fromCharCode(c) + part.slice(2) : `%${part}`;
  }
  return parts.join("");
}

/**
 * Re-quotes a URI so it is fully and consistently quoted without double encoding: Requests'
 * `requote_uri`. Non-ASCII characters are percent-encoded as UTF-8; a `%` that starts no valid
 * escape turns every `%` into `%25`, as in Requests.
 */
export function requoteUri(uri: string): string {
  try {
    return quote(unquoteUnreserved(uri), REQUOTE_SAFE);
  } catch (error) {
    if (!(error instanceof InvalidURL)) throw error;
    return quote(uri, REQUOTE_SAFE_NO_PERCENT);
  }
}

// ---- urllib3's parse_url ----

const SCHEME_RE = /^(?:[a-zA-Z][a-zA-Z0-9+-]*:|\/)/;
const URI_RE = /^(?:([a-zA-Z][a-zA-Z0-9+.-]*):)?(?:\/\/([^\\/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#([\s\S]*))?$/;
const IPV4_PAT = String.raw`(?:[0-9]{1,3}\.){3}[0-9]{1,3}`;
const H16 = "[0-9A-Fa-f]{1,4}";
const LS32 = `(?:${H16}:${H16}|${IPV4_PAT})`;
const IPV6_PAT = `(?:${[
  `(?:${H16}:){6}${LS32}`,
  `::(?:${H16}:){5}${LS32}`,
  `(?:${H16})?::(?:${H16}:){4}${LS32}`,
  `(?:(?:${H16}:)?${H16})?::(?:${H16}:){3}${LS32}`,
  `(?:(?:${H16}:){0,2}${H16})?::(?:${H16}:){2}${LS32}`,
  `(?:(?:${H16}:){0,3}${H16})?::${H16}:${LS32}`,
  `(?:(?:${H16}:){0,4}${H16})?::${LS32}`,
  `(?:(?:${H16}:){0,5}${H16})?::${H16}`,
  `(?:(?:${H16}:){0,6}${H16})?::`,
].join("|")})`;
const ZONE_ID_PAT = String.raw`(?:%25|%)(?:[A-Za-z0-9._\-~]|%[a-fA-F0-9]{2})+`;
const IPV6_ADDRZ_PAT = String.raw`\[${IPV6_PAT}(?:${ZONE_ID_PAT})?\]`;
const REG_NAME_PAT = String.raw`(?:[^\[\]%:/?#]|%[a-fA-F0-9]{2})*`;
const IPV4_RE = new RegExp(`^${IPV4_PAT}$`);
const IPV6_ADDRZ_RE = new RegExp(`^${IPV6_ADDRZ_PAT}$`);
const ZONE_ID_RE = new RegExp(String.raw`(${ZONE_ID_PAT})\]$`);
const HOST_PORT_RE = new RegExp(
  `^(${REG_NAME_PAT}|${IPV4_PAT}|${IPV6_ADDRZ_PAT})(?::0*?(|0|[1-9][0-9]{0,4}))?$`,
);

// urllib3 normalises (lower-cases and IDNA-encodes the host, removes dot segments, encodes
// invalid characters) for http and https only. niquests' own schemes ride on http, so they
// get the same; `+unix` schemes carry a socket path in the host, which must keep its case.
const NORMALIZABLE_SCHEMES = new Set(["http", "https", "ws", "wss", "sse", "psse", "asgi", "wsgi"]);
const PROCESSED_SCHEMES = new Set(["ws", "wss", "sse", "psse", "asgi", "wsgi"]);
const UNIX_BASE_SCHEMES = new Set(["http", "https", "ws", "wss", "sse", "psse"]);

interface ParsedUrl {
  readonly scheme: string | null;
  readonly auth: string | null;
  readonly host: string | null;
  readonly port: number | null;
  readonly path: string | null;
  readonly query: string | null;
  readonly fragment: string | null;
}

/** Percent-encodes what `allowed` lacks, keeping existing escapes unless a stray `%` is present. */
function encodeInvalidChars(component: string, allowed: Uint8Array): string {
  let escapes = 0;
  const normalized = component.replace(/%[a-fA-F0-9]{2}/g, (sequence) => {
    escapes++;
    return sequence.toUpperCase();
  });
  const bytes = encoder.encode(normalized);
  let percents = 0;
  for (const byte of bytes) if (byte === 0x25) percents++;
  // Only when every `%` starts a valid escape is the component taken as already encoded.
  const alreadyEncoded = escapes === percents;
  let out = "";
  for (const byte of bytes) {
    if ((alreadyEncoded && byte === 0x25) || (byte < 128 && allowed[byte])) out += String.fromCharCode(byte);
    else out += `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
  }
  return out;
}

/** RFC 3986 §5.2.4 as urllib3 writes it. */
function removeDotSegments(path: string): string {
  const output: string[] = [];
  for (const segment of path.split("/")) {
    if (segment === ".") continue;
    if (segment !== "..") output.push(segment);
    else if (output.length > 0) output.pop();
  }
  if (path.startsWith("/") && (output.length === 0 || output[0])) output.unshift("");
  if (path.endsWith("/.") || path.endsWith("/..")) output.push("");
  return output.join("/");
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII test is the point
const NON_ASCII = /[^\x00-\x7f]/;

function normalizeHost(host: string): string {
  if (IPV6_ADDRZ_RE.test(host)) {
    // RFC 6874 writes a zone as `%25zone`; urllib3 turns it back into the RFC 4007 `%zone`.
    const match = ZONE_ID_RE.exec(host);
    if (!match) return host.toLowerCase();
    const start = match.index;
    const end = start + match[1]!.length;
    let zone = match[1]!;
    zone = zone.startsWith("%25") && zone !== "%25" ? zone.slice(3) : zone.slice(1);
    return `${host.slice(0, start).toLowerCase()}%${encodeInvalidChars(zone, UNRESERVED_SET)}${host.slice(end)}`;
  }
  if (IPV4_RE.test(host)) return host;
  if (!NON_ASCII.test(host)) return host.toLowerCase();
  // UTS-46 through the WHATWG host parser, the mapping browsers apply to IDN hosts.
  try {
    return new URL(`http://${host}/`).hostname;
  } catch (cause) {
    throw new InvalidURL("URL has an invalid label.", { cause });
  }
}

/** urllib3 v2's `parse_url`; throws `InvalidURL` ("Failed to parse: …") where it raises. */
function parseUrl(source: string): ParsedUrl {
  const url = SCHEME_RE.test(source) ? source : `//${source}`;
  const failed = (cause?: unknown) => new InvalidURL(`Failed to parse: ${source}`, { cause });
  const match = URI_RE.exec(url);
  if (!match) throw failed();
  const scheme = match[1]?.toLowerCase() ?? null;
  const authority = match[2];
  let path: string | null = match[3] ?? null;
  let query = match[4] ?? null;
  let fragment = match[5] ?? null;
  const normalize = scheme === null || NORMALIZABLE_SCHEMES.has(scheme);

  let auth: string | null = null;
  let host: string | null = null;
  let port: number | null = null;
  if (authority) {
    const at = authority.lastIndexOf("@");
    auth = at > 0 ? authority.slice(0, at) : null;
    const hostPort = HOST_PORT_RE.exec(authority.slice(at + 1));
    if (!hostPort) throw failed();
    host = hostPort[1]!;
    if (auth && normalize) auth = encodeInvalidChars(auth, USERINFO_SET);
    if (hostPort[2]) {
      port = Number(hostPort[2]);
      if (port > 65535) throw failed();
    }
  }
  if (host && normalize) host = normalizeHost(host);
  if (normalize && path) path = encodeInvalidChars(removeDotSegments(path), PATH_SET);
  if (normalize && query) query = encodeInvalidChars(query, QUERY_SET);
  if (normalize && fragment) fragment = encodeInvalidChars(fragment, QUERY_SET);

  if (!path) path = query !== null || fragment !== null ? "" : null;
  else if (!path.startsWith("/")) path = `/${path}`;
  return { scheme, auth, host, port, path, query, fragment };
}

/** Python's `repr` of a string, as Requests puts URLs in its messages. */
function pyRepr(text: string): string {
  const q = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = "";
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === "\\" || ch === q) out += `\\${ch}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return `${q}${out}${q}`;
}

/**
 * True when Requests would prepare the URL: it has no `:` at all (then it lacks a scheme), starts
 * with "http" in any case, or uses one of niquests' schemes (WebSocket, SSE, their `+unix` forms).
 */
function isPreparedScheme(url: string): boolean {
  if (!url.includes(":") || url.toLowerCase().startsWith("http")) return true;
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) return false;
  if (PROCESSED_SCHEMES.has(scheme)) return true;
  return scheme.endsWith("+unix") && UNIX_BASE_SCHEMES.has(scheme.slice(0, -5));
}

// Python's `str.lstrip()` whitespace: no BOM, but the C0 separators 0x1C–0x1F and NEL.
// biome-ignore lint/suspicious/noControlCharactersInRegex: those separators are whitespace to Python
const LEADING_SPACE = /^[\t\n\v\f\r \x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;

/**
 * Prepares a URL as Requests' `prepare_url`: leading whitespace stripped, validated, IDN host
 * punycoded, host lower-cased, dot segments removed, params appended after the query and
 * before the fragment, then requoted. A URL of another scheme (`mailto:`, `data:`…) comes back
 * unchanged and ignores params. The fragment stays in the result; {@link urlPath} drops it.
 *
 * @throws MissingSchema when the URL has no scheme.
 * @throws InvalidURL when it has no host, an invalid label, an unbracketed IPv6 address or a bad port.
 */
export function prepareUrl(url: string, params?: QueryParams | null): string {
  if (params == null && isAlreadyPrepared(url)) return url;
  return prepareUrlFully(url, params);
}

// An http(s) URL with a lower-case ASCII host, an explicit path, and only characters requoting
// leaves alone (no `%`, no brackets, no fragment): preparing it would return it unchanged.
const PREPARED =
  /^https?:\/\/[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*(?::([1-9][0-9]{0,4}))?\/[A-Za-z0-9\-._~!$&'()*+,;=:@/]*(?:\?[A-Za-z0-9\-._~!$&'()*+,;=:@/?]+)?$/;
const DOT_SEGMENT = /\/\.{1,2}(?:[/?]|$)/;

/** True when {@link prepareUrl} would return the URL as it is: the common case, kept cheap. */
function isAlreadyPrepared(url: string): boolean {
  const match = PREPARED.exec(url);
  if (match === null) return false;
  if (match[1] !== undefined && Number(match[1]) > 65_535) return false;
  const query = url.indexOf("?");
  return !DOT_SEGMENT.test(query === -1 ? url : url.slice(0, query));
}

/** The full preparation, without the fast path (exported for tests that compare the two). */
export function prepareUrlFully(url: string, params?: QueryParams | null): string {
  url = url.replace(LEADING_SPACE, "");
  if (!isPreparedScheme(url)) return url;

  const parsed = parseUrl(url);
  if (!parsed.scheme) {
    throw new MissingSchema(
      `Invalid URL ${pyRepr(url)}: No scheme supplied. Perhaps you meant https://${url}?`,
    );
  }
  const host = parsed.host;
  if (!host) throw new InvalidURL(`Invalid URL ${pyRepr(url)}: No host supplied`);
  if (host.startsWith("*") || host.startsWith(".")) throw new InvalidURL("URL has an invalid label.");

  // Port 0 is dropped, as Requests tests the port for truth.
  const netloc = `${parsed.auth ? `${parsed.auth}@` : ""}${host}${parsed.port ? `:${parsed.port}` : ""}`;
  let query = parsed.query;
  const encoded = params == null ? "" : encodeParams(params);
  if (encoded) query = query ? `${query}&${encoded}` : encoded;

  // urlunparse drops an empty query or fragment with its `?` or `#`.
  const prepared =
    `${parsed.scheme}://${netloc}${parsed.path || "/"}` +
    (query ? `?${query}` : "") +
    (parsed.fragment ? `#${parsed.fragment}` : "");
  return requoteUri(prepared);
}

// ---- urllib.parse's urlsplit, for the parts Requests reads back ----

interface SplitUrl {
  scheme: string;
  netloc: string;
  path: string;
  query: string;
  fragment: string;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: WHATWG's C0-control-or-space set, as urlsplit strips it
const C0_OR_SPACE = /^[\x00-\x20]+/;

/** Python's `urlsplit`: no normalisation, the scheme lower-cased, tabs and newlines removed. */
function urlsplit(url: string): SplitUrl {
  let rest = url.replace(C0_OR_SPACE, "").replace(/[\t\r\n]/g, "");
  let scheme = "";
  const colon = rest.indexOf(":");
  if (colon > 0 && /^[a-zA-Z][a-zA-Z0-9+.-]*$/.test(rest.slice(0, colon))) {
    scheme = rest.slice(0, colon).toLowerCase();
    rest = rest.slice(colon + 1);
  }
  let netloc = "";
  if (rest.startsWith("//")) {
    const end = rest.slice(2).search(/[/?#]/);
    netloc = end === -1 ? rest.slice(2) : rest.slice(2, end + 2);
    rest = end === -1 ? "" : rest.slice(end + 2);
  }
  let fragment = "";
  const hash = rest.indexOf("#");
  if (hash !== -1) {
    fragment = rest.slice(hash + 1);
    rest = rest.slice(0, hash);
  }
  let query = "";
  const mark = rest.indexOf("?");
  if (mark !== -1) {
    query = rest.slice(mark + 1);
    rest = rest.slice(0, mark);
  }
  return { scheme, netloc, path: rest, query, fragment };
}

// The schemes urllib.parse writes with `//` even when the authority is empty.
const NETLOC_SCHEMES = new Set(["http", "https", "ws", "wss", "sse", "psse", "ftp", "file"]);

/** Python's `urlunsplit`: empty query and fragment are dropped. */
function urlunsplit(parts: SplitUrl): string {
  let url = parts.path;
  const netlocScheme = NETLOC_SCHEMES.has(parts.scheme) || parts.scheme.endsWith("+unix");
  if (parts.netloc || (netlocScheme && !url.startsWith("//"))) {
    if (url && !url.startsWith("/")) url = `/${url}`;
    url = `//${parts.netloc}${url}`;
  }
  if (parts.scheme) url = `${parts.scheme}:${url}`;
  if (parts.query) url += `?${parts.query}`;
  if (parts.fragment) url += `#${parts.fragment}`;
  return url;
}

/** Path and query of a URL as sent on the request line (`/` when empty): Requests' `path_url`. */
export function urlPath(url: string): string {
  const { path, query } = urlsplit(url);
  return `${path || "/"}${query ? `?${query}` : ""}`;
}

/**
 * Joins a session's base URL and a request URL as niquests does: a URL with a scheme (`x://`)
 * is kept; otherwise the base loses its trailing `/` and the URL gains a leading one, and `""`
 * gives exactly the base (niquests #319).
 */
export function joinBaseUrl(baseUrl: string, url: string): string {
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(url)) return url;
  const base = baseUrl.endsWith("/") ? baseUrl.slice(0, -1) : baseUrl;
  if (url === "") return base;
  return url.startsWith("/") ? `${base}${url}` : `${base}/${url}`;
}

/** Python's `urljoin` (RFC 3986 resolution with its quirks), for every scheme alike. */
function urljoin(base: string, ref: string): string {
  if (!base) return ref;
  if (!ref) return base;
  const b = urlsplit(base);
  const r = urlsplit(ref);
  const scheme = r.scheme || b.scheme;
  if (r.scheme && r.scheme !== b.scheme) return ref;
  if (r.netloc) return urlunsplit({ ...r, scheme });
  if (!r.path) {
    return urlunsplit({
      scheme,
      netloc: b.netloc,
      path: b.path,
      query: r.query || b.query,
      fragment: r.fragment,
    });
  }
  let segments: string[];
  if (r.path.startsWith("/")) {
    segments = r.path.split("/");
  } else {
    const baseParts = b.path.split("/");
    if (baseParts[baseParts.length - 1] !== "") baseParts.pop();
    segments = [...baseParts, ...r.path.split("/")];
    // Python drops empty inner segments so the join has no doubled slashes.
    if (segments.length > 2) {
      segments = [segments[0]!, ...segments.slice(1, -1).filter(Boolean), segments[segments.length - 1]!];
    }
  }
  const resolved: string[] = [];
  for (const segment of segments) {
    if (segment === "..") resolved.pop();
    else if (segment !== ".") resolved.push(segment);
  }
  const last = segments[segments.length - 1];
  if (last === "." || last === "..") resolved.push("");
  return urlunsplit({
    scheme,
    netloc: b.netloc,
    path: resolved.join("/") || "/",
    query: r.query,
    fragment: r.fragment,
  });
}

/**
 * The URL a redirect goes to, as Requests' `resolve_redirects` computes it: `//host/path`
 * takes the current scheme, the scheme is lower-cased, a Location without a fragment keeps the
 * current one, a relative Location is resolved against the current URL, and the result is
 * requoted (non-ASCII as UTF-8). Pass the Location through {@link redecodeLatin1} first.
 */
export function resolveLocation(currentUrl: string, location: string): string {
  const current = urlsplit(currentUrl);
  let url = location;
  if (url.startsWith("//")) url = `${current.scheme}:${url}`;
  const parsed = urlsplit(url);
  if (parsed.fragment === "" && current.fragment) parsed.fragment = current.fragment;
  url = urlunsplit(parsed);
  return parsed.netloc ? requoteUri(url) : urljoin(currentUrl, requoteUri(url));
}

/**
 * Re-reads a header value decoded as Latin-1 as the UTF-8 its bytes usually are (Requests does
 * this to `Location`); returns the value unchanged when it is not valid UTF-8.
 */
export function redecodeLatin1(value: string): string {
  const bytes = new Uint8Array(value.length);
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code > 0xff) return value;
    bytes[i] = code;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return value;
  }
}
