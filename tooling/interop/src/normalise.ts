import type { BodyObservation, ErrorObservation, Observation, ResponseObservation } from "./observation.js";

/**
 * An observation with what legitimately differs between nq and Python Requests masked;
 * everything else is compared as it is. One implementation serves both sides, so the two
 * can never be normalised differently.
 */
export type Normalised = Observation;

/** The placeholder a masked value becomes: the field stays, so its presence is still compared. */
export const MASKED = {
  // Each client names itself.
  userAgent: "<client user-agent>",
  // Each client advertises the content codings it can decode.
  acceptEncoding: "<client accept-encoding>",
  // The multipart boundary is random per request.
  boundary: "<boundary>",
  // The multipart length follows from the boundary's length, which each client picks.
  multipartLength: "<multipart length>",
  // The body echoes the client's own headers, so its length differs by the masked values.
  echoLength: "<echo length>",
  // json.dumps spaces and \u-escapes where JSON.stringify does not: the same document in
  // other bytes. The document is compared through httpbin's parsed `json`.
  jsonText: "<json text>",
  // Stands for a Content-Length that agrees with the JSON bytes actually sent.
  jsonLength: "<length of the json sent>",
  // httpbin draws a fresh Digest nonce and opaque for every challenge, and echoes the last
  // nonce a client used back in a cookie.
  digestNonce: "<digest nonce>",
  // Cross-protocol passes: HTTP/2 for nq, HTTP/1.1 for Requests.
  httpVersion: "<http version>",
  reason: "<reason phrase>",
  hypercornServer: "hypercorn-<protocol>",
} as const;

/** Masks the per-challenge random values of a Digest `WWW-Authenticate` (or its cookie). */
function maskDigestNonces(name: string, value: string): string {
  if (name === "www-authenticate") {
    return value.replace(/\b(nonce|opaque)="[^"]*"/gi, `$1="${MASKED.digestNonce}"`);
  }
  if (name === "set-cookie")
    return value.replace(/\blast_nonce=[^;,\s]*/g, `last_nonce=${MASKED.digestNonce}`);
  return value;
}

/** The same masking for a cookie dict: the value of httpbin's `last_nonce`. */
function maskCookieDict(cookies: Readonly<Record<string, string>>): Record<string, string> {
  return "last_nonce" in cookies ? { ...cookies, last_nonce: MASKED.digestNonce } : { ...cookies };
}

const encoder = new TextEncoder();

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** True for httpbin's echo of the request (`/get`, `/anything`, `/headers`, `/stream/n` lines…). */
export function isEcho(
  value: unknown,
): value is Record<string, unknown> & { headers: Record<string, unknown> } {
  return isObject(value) && isObject(value.headers);
}

/** Masks the client-specific request headers in one httpbin echo. */
export function normaliseEcho(echo: Record<string, unknown>): Record<string, unknown> {
  if (!isEcho(echo)) return echo;
  const headers: Record<string, unknown> = { ...echo.headers };
  if ("User-Agent" in headers) headers["User-Agent"] = MASKED.userAgent;
  if ("Accept-Encoding" in headers) headers["Accept-Encoding"] = MASKED.acceptEncoding;
  // Hop-by-hop: set by the connection layer (urllib3, undici), not by the Requests API.
  delete headers.Connection;
  const contentType = headers["Content-Type"];
  if (typeof contentType === "string" && /^multipart\//i.test(contentType)) {
    headers["Content-Type"] = contentType.replace(/boundary=("?)[^";]+\1/i, `boundary=${MASKED.boundary}`);
    if ("Content-Length" in headers) headers["Content-Length"] = MASKED.multipartLength;
  }
  const masked: Record<string, unknown> = { ...echo, headers };
  if (
    typeof contentType === "string" &&
    /^application\/([\w.+-]*\+)?json\b/i.test(contentType) &&
    typeof echo.data === "string" &&
    echo.json !== null &&
    echo.json !== undefined
  ) {
    masked.data = MASKED.jsonText;
    // A length that disagrees with the bytes sent stays visible as itself.
    if (headers["Content-Length"] === String(encoder.encode(echo.data).length)) {
      headers["Content-Length"] = MASKED.jsonLength;
    }
  }
  return masked;
}

function normaliseError(error: ErrorObservation | null): ErrorObservation | null {
  if (error === null) return null;
  // HTTPError's message is Requests' own format and nq copies it; every other message wraps
  // the low-level library's text (urllib3 vs undici), so only the class is compared.
  return error.type === "HTTPError" ? error : { ...error, message: "<message>" };
}

function normaliseLine(line: string): string {
  try {
    const parsed: unknown = JSON.parse(line);
    // A /stream/n line is an echo: compare it as masked JSON, key order aside.
    if (isEcho(parsed)) return `echo ${JSON.stringify(sortKeys(normaliseEcho(parsed) as Json))}`;
  } catch {
    // Not JSON: compared as it is.
  }
  return line;
}

function sortKeys(value: Json): Json {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeys(value[key]!)]),
  );
}

function normaliseBody(body: BodyObservation): { body: BodyObservation; echo: boolean } {
  const json = body.json;
  if (json !== null && "value" in json && isEcho(json.value)) {
    // The bytes embed the masked headers: the echo is compared as masked JSON instead.
    return {
      body: {
        ...body,
        length: null,
        sha256: null,
        text: null,
        json: { value: normaliseEcho(json.value) },
        chunkLengths: null,
      },
      echo: true,
    };
  }
  return {
    body: {
      ...body,
      lines: body.lines?.map(normaliseLine) ?? null,
      // Requests yields at most chunkSize bytes, cut where the server's transfer chunks end;
      // nq re-chunks to exactly chunkSize. Tests assert the bound on each side instead.
      chunkLengths: null,
    },
    echo: false,
  };
}

function normaliseResponse(response: ResponseObservation): ResponseObservation {
  const { body, echo: bodyIsEcho } = normaliseBody(response.body);
  // A HEAD response announces the length of the GET body, which for httpbin's JSON is an
  // echo of the client's own headers: mask it as for a body that is there.
  const headIsEcho =
    response.request.method === "HEAD" &&
    response.headers.some(([name, value]) => name === "content-type" && /^application\/json\b/i.test(value));
  const echo = bodyIsEcho || headIsEcho;
  const headers = response.headers
    // The server's clock moves between the two calls.
    .filter(([name]) => name !== "date")
    .map(([name, value]): [string, string] => [
      name,
      echo && name === "content-length" ? MASKED.echoLength : maskDigestNonces(name, value),
    ]);
  return {
    ...response,
    ...(response.cookies === undefined ? {} : { cookies: maskCookieDict(response.cookies) }),
    ...(response.historyCookies === undefined
      ? {}
      : { historyCookies: response.historyCookies.map(maskCookieDict) }),
    headers,
    // Charset labels are case-insensitive; Requests keeps the header's spelling, nq lower-cases it.
    encoding: response.encoding?.toLowerCase() ?? null,
    body,
    raised: normaliseError(response.raised),
  };
}

/** Response fields that belong to one HTTP/1.1 connection (RFC 9113 §8.2.2, RFC 9110 §7.6.1). */
const CONNECTION_SPECIFIC = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
]);

/** The reason phrase inside Requests' HTTPError message: `404 Client Error: <reason> for url: …`. */
const HTTP_ERROR_REASON = /^(\d{3} (?:Client|Server) Error: ).*?( for url: )/s;

/**
 * What differs between an HTTP/2 and an HTTP/1.1 exchange with the same server, whoever the
 * client: masked only in a cross-protocol pass, where nq speaks h2 and Requests HTTP/1.1.
 */
function maskProtocolArtefacts(response: ResponseObservation): ResponseObservation {
  const raised = response.raised;
  return {
    ...response,
    // 20 vs 11: the point of the pass; asserted on nq's side by the harness instead.
    httpVersion: MASKED.httpVersion as unknown as number,
    // HTTP/2 has no reason phrase (RFC 9113 §8.3.2): nq reports Python's standard phrase,
    // while over HTTP/1.1 the server writes its own (Go's "I'm a teapot" vs "I'm a Teapot").
    reason: MASKED.reason,
    raised:
      raised?.type === "HTTPError"
        ? { ...raised, message: raised.message.replace(HTTP_ERROR_REASON, `$1${MASKED.reason}$2`) }
        : raised,
    headers: response.headers
      // Connection-specific fields exist only in HTTP/1.1 (RFC 9113 §8.2.2 forbids them in h2).
      .filter(([name]) => !CONNECTION_SPECIFIC.has(name))
      // Hypercorn writes the protocol into its Server field: hypercorn-h11, hypercorn-h2.
      .map(([name, value]): [string, string] =>
        name === "server"
          ? [name, value.replace(/\bhypercorn-h(?:11|2|3)\b/, MASKED.hypercornServer)]
          : [name, value],
      )
      // Field order carries no meaning between fields of different names (RFC 9110 §5.3), and
      // servers order them differently per protocol (Go writes h1 fields sorted, and h2's
      // content-length last): compared sorted by name. Same-name fields are already joined.
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  };
}

/** How the two observations were made. */
export interface NormaliseOptions {
  /**
   * nq spoke HTTP/2 and Requests HTTP/1.1 to the same server: mask the protocol artefacts
   * (see {@link maskProtocolArtefacts}) on both sides.
   */
  readonly crossProtocol?: boolean;
}

/** Masks what legitimately differs between the two clients; see the README for each rule. */
export function normalise(observation: Observation, options: NormaliseOptions = {}): Normalised {
  const response = observation.response ? normaliseResponse(observation.response) : null;
  const normalised: Normalised = {
    id: observation.id,
    response: response && options.crossProtocol ? maskProtocolArtefacts(response) : response,
    error: normaliseError(observation.error),
  };
  const session = observation.session;
  if (session === undefined) return normalised;
  return {
    ...normalised,
    // The session's earlier calls are compared as the call itself is.
    session: session && {
      cookies: maskCookieDict(session.cookies),
      before: session.before.map((step) => normalise(step, options)),
    },
  };
}
