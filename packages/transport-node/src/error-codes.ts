/**
 * The part of error mapping every Node transport shares: the socket, DNS and TLS codes Node
 * reports the same way under undici and node:http2, decided from the code alone, never from the
 * message. Each transport puts its own codes (undici's `UND_ERR_*` and llhttp's `HPE_*`,
 * node:http2's `ERR_HTTP2_*` and HTTP/2 error codes) in front of these.
 */
import { TransportError, type TransportErrorKind, type TransportErrorPhase } from "@nq/models";

// OpenSSL's certificate verification results as Node reports them in `error.code`
// (X509_V_ERR_* without the prefix), plus EPROTO, which Node gives a handshake that failed
// inside OpenSSL. Other TLS failures carry an `ERR_TLS_`, `ERR_SSL_` or `ERR_OSSL_` prefix.
const TLS_CODES = new Set([
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_CRL",
  "UNABLE_TO_DECRYPT_CERT_SIGNATURE",
  "UNABLE_TO_DECRYPT_CRL_SIGNATURE",
  "UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY",
  "CERT_SIGNATURE_FAILURE",
  "CRL_SIGNATURE_FAILURE",
  "CERT_NOT_YET_VALID",
  "CERT_HAS_EXPIRED",
  "CRL_NOT_YET_VALID",
  "CRL_HAS_EXPIRED",
  "ERROR_IN_CERT_NOT_BEFORE_FIELD",
  "ERROR_IN_CERT_NOT_AFTER_FIELD",
  "ERROR_IN_CRL_LAST_UPDATE_FIELD",
  "ERROR_IN_CRL_NEXT_UPDATE_FIELD",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "CERT_CHAIN_TOO_LONG",
  "CERT_REVOKED",
  "INVALID_CA",
  "PATH_LENGTH_EXCEEDED",
  "INVALID_PURPOSE",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "HOSTNAME_MISMATCH",
  "EPROTO",
]);

const TLS_PREFIXES = ["ERR_TLS_", "ERR_SSL_", "ERR_OSSL_"];

// Socket and DNS codes → kind, the same whatever the phase.
const KIND_BY_SOCKET_CODE: ReadonlyMap<string, TransportErrorKind> = new Map<string, TransportErrorKind>([
  // The connection could not be made: nothing was sent.
  ["ECONNREFUSED", "connect"],
  ["ENOTFOUND", "connect"],
  ["EAI_AGAIN", "connect"],
  ["EAI_FAIL", "connect"],
  ["EAI_NONAME", "connect"],
  ["EAI_NODATA", "connect"],
  ["EHOSTUNREACH", "connect"],
  ["EHOSTDOWN", "connect"],
  ["ENETUNREACH", "connect"],
  ["ENETDOWN", "connect"],
  ["EADDRNOTAVAIL", "connect"],
  ["EADDRINUSE", "connect"],
  // Timers.
  ["ERR_SOCKET_CONNECTION_TIMEOUT", "timeout"],
  ["ETIMEDOUT", "timeout"],
  // The connection broke.
  ["ECONNRESET", "reset"],
  ["EPIPE", "reset"],
  ["ECONNABORTED", "reset"],
  ["ERR_SOCKET_CLOSED", "reset"],
  ["ERR_STREAM_PREMATURE_CLOSE", "reset"],
  ["ERR_STREAM_DESTROYED", "reset"],
]);

const DESCRIPTIONS: Readonly<Record<TransportErrorKind, string>> = {
  connect: "Failed to establish a new connection",
  tls: "TLS handshake failed",
  timeout: "Timed out",
  aborted: "Request aborted",
  reset: "Connection broken",
  protocol: "HTTP protocol error",
  closed: "Transport closed",
  header: "Invalid response header",
  decoding: "Failed to decode response content",
  proxy: "Proxy error",
};

const TIMEOUT_DESCRIPTIONS: Readonly<Record<TransportErrorPhase, string>> = {
  connect: "Connection timed out",
  send: "Timed out while sending the request",
  head: "Read timed out waiting for the response head",
  body: "Read timed out in the response body",
};

/** The native error code of anything thrown, looking inside an `AggregateError` from happy eyeballs. */
export function nativeCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") return code;
  if (error instanceof AggregateError) return nativeCode(error.errors[0]);
  return undefined;
}

/** True for OpenSSL's certificate verification codes, `EPROTO`, and `ERR_TLS_*` / `ERR_SSL_*` / `ERR_OSSL_*`. */
export function isTlsCode(code: string): boolean {
  if (TLS_CODES.has(code)) return true;
  for (const prefix of TLS_PREFIXES) if (code.startsWith(prefix)) return true;
  return false;
}

/**
 * The kind a socket, DNS or TLS code stands for, or `undefined` for a code this table does not
 * know (the transport's own, or none of ours).
 */
export function socketCodeKind(code: string): TransportErrorKind | undefined {
  return KIND_BY_SOCKET_CODE.get(code) ?? (isTlsCode(code) ? "tls" : undefined);
}

/** The kind of a failure no code explains: a failed connection before a socket, a broken one after. */
export function kindByPhase(phase: TransportErrorPhase): TransportErrorKind {
  return phase === "connect" ? "connect" : "reset";
}

/**
 * True when the server cannot have seen the request because the failure happened while getting
 * a connection; a closed transport, a request refused as given (`protocol`) and an abort are
 * not worth replaying.
 */
export function isRetryable(kind: TransportErrorKind, phase: TransportErrorPhase): boolean {
  return phase === "connect" && kind !== "closed" && kind !== "protocol" && kind !== "aborted";
}

/** What a transport-level failure means in one line, without the native message. */
export function describeFailure(kind: TransportErrorKind, phase: TransportErrorPhase): string {
  return kind === "timeout" ? TIMEOUT_DESCRIPTIONS[phase] : DESCRIPTIONS[kind];
}

/** What {@link mappedError} builds a `TransportError` from. */
export interface MappedFailure {
  /** What went wrong. */
  readonly kind: TransportErrorKind;
  /** Where the exchange stood. */
  readonly phase: TransportErrorPhase;
  /** The native code, kept as the error's `code`. */
  readonly code: string | undefined;
  /** The origin, for the message. */
  readonly origin?: string | undefined;
}

/**
 * The `TransportError` for a native `error` already judged as `failure`: the message says what
 * happened ({@link describeFailure}), where, and what the native error said; the native error is
 * the `cause`, and `retryable` follows {@link isRetryable}.
 */
export function mappedError(error: unknown, failure: MappedFailure): TransportError {
  const { kind, phase, origin } = failure;
  const detail = error instanceof Error && error.message ? error.message : String(error);
  const where = origin === undefined ? "" : ` (${origin})`;
  return new TransportError(`${describeFailure(kind, phase)}${where}: ${detail}`, {
    kind,
    phase,
    retryable: isRetryable(kind, phase),
    code: failure.code,
    cause: error,
  });
}

/**
 * Maps an error of a plain Node socket (TCP, DNS, TLS) to the one `TransportError`, by its code
 * alone: what the protocol router's own handshakes report. A `TransportError` passes through.
 */
export function toSocketTransportError(
  error: unknown,
  phase: TransportErrorPhase,
  origin?: string,
): TransportError {
  if (error instanceof TransportError) return error;
  const code = nativeCode(error);
  const kind = (code === undefined ? undefined : socketCodeKind(code)) ?? kindByPhase(phase);
  return mappedError(error, { kind, phase, code, origin });
}

/** The error a closed transport refuses new requests with. */
export function transportClosedError(): TransportError {
  return new TransportError("The transport is closed", {
    kind: "closed",
    phase: "connect",
    retryable: false,
  });
}
