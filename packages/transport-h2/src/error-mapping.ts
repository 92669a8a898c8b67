/**
 * Every failure of node:http2, of the socket under it and of the HTTP/2 peer, as one
 * `TransportError`. The kind is decided from codes — the HTTP/2 error code of a RST_STREAM or
 * GOAWAY, Node's `ERR_HTTP2_*` code, the socket's errno or OpenSSL's verify code — never from a
 * message. Socket, DNS and TLS codes map as in every Node transport (`@nq/transport-node`).
 */
import { TransportError, type TransportErrorKind, type TransportErrorPhase } from "@nq/models";
import { isRetryable, kindByPhase, nativeCode, socketCodeKind } from "@nq/transport-node";

/** HTTP/2 error codes (RFC 9113 §7) by number, as nghttp2 names them. */
const H2_CODE_NAMES = [
  "NO_ERROR",
  "PROTOCOL_ERROR",
  "INTERNAL_ERROR",
  "FLOW_CONTROL_ERROR",
  "SETTINGS_TIMEOUT",
  "STREAM_CLOSED",
  "FRAME_SIZE_ERROR",
  "REFUSED_STREAM",
  "CANCEL",
  "COMPRESSION_ERROR",
  "CONNECT_ERROR",
  "ENHANCE_YOUR_CALM",
  "INADEQUATE_SECURITY",
  "HTTP_1_1_REQUIRED",
] as const;

/** RST_STREAM REFUSED_STREAM: the server did not process the stream (RFC 9113 §8.7). */
export const REFUSED_STREAM = 7;
/** RST_STREAM CANCEL: what we reset a stream with when its exchange is abandoned. */
export const CANCEL = 8;
/** HTTP_1_1_REQUIRED: the server wants this request over HTTP/1.1 and did not process it. */
export const HTTP_1_1_REQUIRED = 13;

// One kind per HTTP/2 error code. A peer that breaks the protocol (or says we did) is
// `protocol`; one that gives up on a stream it had accepted is `reset`.
const KIND_BY_H2_CODE: readonly TransportErrorKind[] = [
  "closed", // NO_ERROR: closed without a complete response
  "protocol", // PROTOCOL_ERROR
  "reset", // INTERNAL_ERROR
  "protocol", // FLOW_CONTROL_ERROR
  "protocol", // SETTINGS_TIMEOUT
  "protocol", // STREAM_CLOSED
  "protocol", // FRAME_SIZE_ERROR
  "reset", // REFUSED_STREAM (retryable: nothing was processed)
  "reset", // CANCEL
  "protocol", // COMPRESSION_ERROR
  "reset", // CONNECT_ERROR
  "reset", // ENHANCE_YOUR_CALM
  "tls", // INADEQUATE_SECURITY
  "protocol", // HTTP_1_1_REQUIRED (retryable: nothing was processed)
];

/** `NGHTTP2_<NAME>` for an HTTP/2 error code, the name nghttp2 and Node use. */
export function h2CodeName(code: number): string {
  const name = H2_CODE_NAMES[code];
  return name === undefined ? `NGHTTP2_UNKNOWN_${code}` : `NGHTTP2_${name}`;
}

/** The kind an HTTP/2 error code (RST_STREAM or GOAWAY) stands for. */
export function kindOfH2Code(code: number): TransportErrorKind {
  // Unknown codes are to be treated as INTERNAL_ERROR (RFC 9113 §7).
  return KIND_BY_H2_CODE[code] ?? "reset";
}

// node:http2's codes (and a few of Node's) → kind, in front of @nq/transport-node's socket, DNS
// and TLS codes (socketCodeKind).
const KIND_BY_CODE: ReadonlyMap<string, TransportErrorKind> = new Map<string, TransportErrorKind>([
  // The connection broke (HTTP/1.1 leaves this one to the phase).
  ["ERR_STREAM_WRITE_AFTER_END", "reset"],
  // node:http2: the session cannot take the stream (never sent; see isUnsentCode).
  ["ERR_HTTP2_GOAWAY_SESSION", "closed"],
  ["ERR_HTTP2_INVALID_SESSION", "closed"],
  ["ERR_HTTP2_OUT_OF_STREAMS", "closed"],
  ["ERR_HTTP2_STREAM_CANCEL", "closed"],
  ["ERR_HTTP2_PING_CANCEL", "closed"],
  ["ERR_HTTP2_SETTINGS_CANCEL", "closed"],
  // node:http2: nghttp2 or Node found the peer (or the socket) unusable.
  ["ERR_HTTP2_ERROR", "protocol"],
  ["ERR_HTTP2_TOO_MANY_INVALID_FRAMES", "protocol"],
  ["ERR_HTTP2_MAX_PENDING_SETTINGS_ACK", "protocol"],
  ["ERR_HTTP2_SOCKET_BOUND", "protocol"],
  ["ERR_HTTP2_UNSUPPORTED_PROTOCOL", "protocol"],
  ["ERR_HTTP2_STREAM_SELF_DEPENDENCY", "protocol"],
  ["ERR_HTTP2_PING_LENGTH", "protocol"],
  ["ERR_HTTP2_INVALID_SETTING_VALUE", "protocol"],
  // A request header node:http2 refuses to send.
  ["ERR_HTTP2_INVALID_HEADER_VALUE", "header"],
  ["ERR_HTTP2_INVALID_CONNECTION_HEADERS", "header"],
  ["ERR_HTTP2_HEADER_SINGLE_VALUE", "header"],
  ["ERR_HTTP2_INVALID_PSEUDOHEADER", "header"],
  ["ERR_INVALID_HTTP_TOKEN", "header"],
  ["ERR_INVALID_CHAR", "header"],
  // The server offers no protocol we asked for in ALPN: no HTTP/2 there, not a certificate issue.
  ["ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL", "protocol"],
  // Our own codes.
  ["NQ_H2_NOT_NEGOTIATED", "protocol"],
  ["NQ_H2_PING_TIMEOUT", "reset"],
]);

// Codes that say where they happened better than the exchange's state does.
const PHASE_BY_CODE: ReadonlyMap<string, TransportErrorPhase> = new Map<string, TransportErrorPhase>([
  ["ERR_HTTP2_INVALID_HEADER_VALUE", "send"],
  ["ERR_HTTP2_INVALID_CONNECTION_HEADERS", "send"],
  ["ERR_HTTP2_HEADER_SINGLE_VALUE", "send"],
  ["ERR_HTTP2_INVALID_PSEUDOHEADER", "send"],
  ["ERR_INVALID_HTTP_TOKEN", "send"],
  ["ERR_INVALID_CHAR", "send"],
  ["NQ_H2_NOT_NEGOTIATED", "connect"],
  ["ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL", "connect"],
]);

/**
 * Node codes meaning node:http2 refused to start the stream: nothing went on the wire, so the
 * request can go on another session whatever its method.
 */
export function isUnsentCode(code: string | undefined): boolean {
  return (
    code === "ERR_HTTP2_GOAWAY_SESSION" ||
    code === "ERR_HTTP2_INVALID_SESSION" ||
    code === "ERR_HTTP2_OUT_OF_STREAMS" ||
    code === "ERR_HTTP2_STREAM_CANCEL"
  );
}

const DESCRIPTIONS: Readonly<Record<TransportErrorKind, string>> = {
  connect: "Failed to establish a new connection",
  tls: "TLS handshake failed",
  timeout: "Timed out",
  aborted: "Request aborted",
  reset: "HTTP/2 stream reset",
  protocol: "HTTP/2 protocol error",
  closed: "HTTP/2 connection closed",
  header: "Invalid header",
  decoding: "Failed to decode response content",
  proxy: "Proxy error",
};

/** The kind a native (non-HTTP/2) code stands for at a phase, from the code alone. */
export function kindOf(code: string | undefined, phase: TransportErrorPhase): TransportErrorKind {
  if (code !== undefined) {
    // Ours first: ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL is `protocol` here, not `tls`.
    const known = KIND_BY_CODE.get(code) ?? socketCodeKind(code);
    if (known !== undefined) return known;
  }
  return kindByPhase(phase);
}

/** What the stream or session said when it ended, beyond the error object. */
export interface CloseDetails {
  /** The RST_STREAM code the stream closed with (`stream.rstCode`). */
  readonly rstCode?: number | undefined;
  /** The error code of a GOAWAY the session received. */
  readonly goawayCode?: number | undefined;
  /** True when the server cannot have processed the stream (refused, above GOAWAY's last id, never sent). */
  readonly unprocessed?: boolean | undefined;
  /** The origin, for the message. */
  readonly origin?: string | undefined;
}

/**
 * Maps any node:http2, socket or TLS error — or a stream that closed without an error object —
 * to the one `TransportError`, keeping the native error as `cause`. `phase` is where the
 * exchange stood; the HTTP/2 error code, when there is one, decides the kind and becomes `code`
 * (`NGHTTP2_REFUSED_STREAM`…).
 */
export function toTransportError(
  error: unknown,
  phase: TransportErrorPhase,
  details: CloseDetails = {},
): TransportError {
  if (error instanceof TransportError) return error;
  const native = nativeCode(error);
  const at = (native !== undefined && PHASE_BY_CODE.get(native)) || phase;
  // A stream error carries its RST_STREAM code, a session error the GOAWAY's: that code says
  // more than Node's generic ERR_HTTP2_STREAM_ERROR / ERR_HTTP2_SESSION_ERROR. A stream that
  // closed without any error object is judged by the GOAWAY that ended its session, if any.
  let h2Code: number | undefined;
  if (native === "ERR_HTTP2_STREAM_ERROR") h2Code = details.rstCode ?? details.goawayCode;
  else if (native === "ERR_HTTP2_SESSION_ERROR") h2Code = details.goawayCode ?? details.rstCode;
  else if (error === undefined) h2Code = details.goawayCode ?? details.rstCode ?? 0;
  const kind = h2Code === undefined ? kindOf(native, at) : kindOfH2Code(h2Code);
  const code = h2Code === undefined ? native : h2CodeName(h2Code);
  const unprocessed =
    details.unprocessed === true || h2Code === REFUSED_STREAM || h2Code === HTTP_1_1_REQUIRED;
  const detail =
    error === undefined
      ? "the stream closed before the response was complete"
      : error instanceof Error && error.message
        ? error.message
        : String(error);
  const where = details.origin === undefined ? "" : ` (${details.origin})`;
  return new TransportError(`${DESCRIPTIONS[kind]}${where}: ${detail}`, {
    kind,
    phase: at,
    // Streams the server refused or never saw are replayable whatever the phase.
    retryable: unprocessed || isRetryable(kind, at),
    code,
    cause: error,
  });
}
