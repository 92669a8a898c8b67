import { createRequire } from "node:module";
import { TransportError, type TransportErrorKind, type TransportErrorPhase } from "@nq/models";
import { errors } from "undici";

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

// Native code → kind, for codes whose kind does not depend on the phase.
const KIND_BY_CODE: ReadonlyMap<string, TransportErrorKind> = new Map<string, TransportErrorKind>([
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
  ["ERR_SOCKET_CONNECTION_TIMEOUT", "timeout"],
  // The connection broke.
  ["ECONNRESET", "reset"],
  ["EPIPE", "reset"],
  ["ECONNABORTED", "reset"],
  ["ERR_SOCKET_CLOSED", "reset"],
  ["ERR_STREAM_PREMATURE_CLOSE", "reset"],
  ["ERR_STREAM_DESTROYED", "reset"],
  ["UND_ERR_SOCKET", "reset"],
  ["UND_ERR_INFO", "reset"],
  ["HPE_CLOSED_CONNECTION", "reset"],
  ["HPE_INVALID_EOF_STATE", "reset"],
  // Timers.
  ["ETIMEDOUT", "timeout"],
  ["UND_ERR_CONNECT_TIMEOUT", "timeout"],
  ["UND_ERR_HEADERS_TIMEOUT", "timeout"],
  ["UND_ERR_BODY_TIMEOUT", "timeout"],
  // The response head is unacceptable.
  ["UND_ERR_HEADERS_OVERFLOW", "header"],
  ["HPE_HEADER_OVERFLOW", "header"],
  ["HPE_INVALID_HEADER_TOKEN", "header"],
  ["HPE_INVALID_CONTENT_LENGTH", "header"],
  ["HPE_UNEXPECTED_CONTENT_LENGTH", "header"],
  ["HPE_INVALID_TRANSFER_ENCODING", "header"],
  // The dispatcher is gone.
  ["UND_ERR_CLOSED", "closed"],
  ["UND_ERR_DESTROYED", "closed"],
  ["UND_ERR_ABORT", "aborted"],
  ["UND_ERR_ABORTED", "aborted"],
  // The request itself cannot be sent as given.
  ["UND_ERR_INVALID_ARG", "protocol"],
  ["UND_ERR_NOT_SUPPORTED", "protocol"],
  ["UND_ERR_REQ_CONTENT_LENGTH_MISMATCH", "protocol"],
  ["ERR_INVALID_ARG_TYPE", "protocol"],
  ["ERR_INVALID_ARG_VALUE", "protocol"],
  ["UND_ERR_RES_EXCEEDED_MAX_SIZE", "protocol"],
]);

// Some codes say where they happened better than our own state does: undici raises a headers
// timeout only while waiting for the head, and an invalid argument before anything is written.
const PHASE_BY_CODE: ReadonlyMap<string, TransportErrorPhase> = new Map<string, TransportErrorPhase>([
  ["UND_ERR_CONNECT_TIMEOUT", "connect"],
  ["UND_ERR_HEADERS_TIMEOUT", "head"],
  ["UND_ERR_BODY_TIMEOUT", "body"],
  ["UND_ERR_HEADERS_OVERFLOW", "head"],
  ["HPE_HEADER_OVERFLOW", "head"],
  ["UND_ERR_INVALID_ARG", "send"],
  ["UND_ERR_NOT_SUPPORTED", "send"],
  ["UND_ERR_REQ_CONTENT_LENGTH_MISMATCH", "send"],
  ["ERR_INVALID_ARG_TYPE", "send"],
  ["ERR_INVALID_ARG_VALUE", "send"],
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

let parserCodesRecovered = false;

/**
 * undici 7 builds `HTTPParserError.code` as `HPE_${constants.ERROR[errno]}`, but that table maps
 * names to numbers only, so every parser error arrives without a code and an invalid
 * Content-Length looks like any other parse failure. Adding the reverse entries (numbers to
 * names) to undici's own table restores the llhttp codes (`HPE_INVALID_CONTENT_LENGTH`…). It only
 * adds keys undici looks up on this path, and is skipped once undici ships them itself.
 */
export function recoverParserErrorCodes(): void {
  if (parserCodesRecovered) return;
  parserCodesRecovered = true;
  try {
    const require = createRequire(import.meta.url);
    const constants = require("undici/lib/llhttp/constants.js") as {
      ERROR?: Record<string | number, unknown>;
    };
    const table = constants.ERROR;
    if (table === undefined || typeof table.OK !== "number" || table[table.OK] !== undefined) return;
    for (const [name, value] of Object.entries(table)) {
      if (typeof value === "number" && table[value] === undefined) table[value] = name;
    }
  } catch {
    // A different undici layout: parser errors then map by class, to "protocol".
  }
}

function isTlsCode(code: string): boolean {
  if (TLS_CODES.has(code)) return true;
  for (const prefix of TLS_PREFIXES) if (code.startsWith(prefix)) return true;
  return false;
}

/**
 * The kind a native code stands for at a given phase, decided from the code alone, never from
 * the message.
 */
export function kindOf(code: string | undefined, phase: TransportErrorPhase): TransportErrorKind {
  if (code !== undefined) {
    // undici reports a duplicate or malformed Content-Length as a length mismatch before the
    // body starts (it concatenates the repeated values); only in the body is it a truncation.
    if (code === "UND_ERR_RES_CONTENT_LENGTH_MISMATCH") return phase === "body" ? "reset" : "header";
    const known = KIND_BY_CODE.get(code);
    if (known !== undefined) return known;
    if (isTlsCode(code)) return "tls";
    if (code.startsWith("HPE_")) return "protocol";
  }
  return phase === "connect" ? "connect" : "reset";
}

/**
 * True when the server cannot have seen any of the request: the failure happened while getting
 * a connection. A closed transport and a request undici refuses are not worth replaying.
 */
export function isRetryable(kind: TransportErrorKind, phase: TransportErrorPhase): boolean {
  return phase === "connect" && kind !== "closed" && kind !== "protocol" && kind !== "aborted";
}

/** What a transport-level failure means in one line, without the native message. */
export function describe(kind: TransportErrorKind, phase: TransportErrorPhase): string {
  return kind === "timeout" ? TIMEOUT_DESCRIPTIONS[phase] : DESCRIPTIONS[kind];
}

/**
 * Maps any undici or Node error to the one `TransportError`, keeping the native code and the
 * error itself as `cause`. `phase` is where the exchange stood when the error arrived; some
 * codes override it (a headers timeout is always in the head).
 */
export function toTransportError(
  error: unknown,
  phase: TransportErrorPhase,
  origin?: string,
): TransportError {
  if (error instanceof TransportError) return error;
  const code = nativeCode(error);
  const at = (code !== undefined && PHASE_BY_CODE.get(code)) || phase;
  // A parser error that lost its llhttp code (see recoverParserErrorCodes) is still a protocol error.
  const kind = code === undefined && error instanceof errors.HTTPParserError ? "protocol" : kindOf(code, at);
  const detail = error instanceof Error && error.message ? error.message : String(error);
  const where = origin === undefined ? "" : ` (${origin})`;
  return new TransportError(`${describe(kind, at)}${where}: ${detail}`, {
    kind,
    phase: at,
    retryable: isRetryable(kind, at),
    code,
    cause: error,
  });
}
