import { createRequire } from "node:module";
import { TransportError, type TransportErrorKind, type TransportErrorPhase } from "@nq/models";
import { kindByPhase, mappedError, nativeCode, socketCodeKind } from "@nq/transport-node";
import { errors } from "undici";

// undici's and llhttp's codes → kind, for codes whose kind does not depend on the phase. Socket,
// DNS and TLS codes are @nq/transport-node's (socketCodeKind), as for every Node transport.
const KIND_BY_CODE: ReadonlyMap<string, TransportErrorKind> = new Map<string, TransportErrorKind>([
  // The connection broke.
  ["UND_ERR_SOCKET", "reset"],
  ["UND_ERR_INFO", "reset"],
  ["HPE_CLOSED_CONNECTION", "reset"],
  ["HPE_INVALID_EOF_STATE", "reset"],
  // Timers.
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

/**
 * The kind a native code stands for at a given phase, decided from the code alone, never from
 * the message.
 */
export function kindOf(code: string | undefined, phase: TransportErrorPhase): TransportErrorKind {
  if (code !== undefined) {
    // undici reports a duplicate or malformed Content-Length as a length mismatch before the
    // body starts (it concatenates the repeated values); only in the body is it a truncation.
    if (code === "UND_ERR_RES_CONTENT_LENGTH_MISMATCH") return phase === "body" ? "reset" : "header";
    const known = KIND_BY_CODE.get(code) ?? socketCodeKind(code);
    if (known !== undefined) return known;
    if (code.startsWith("HPE_")) return "protocol";
  }
  return kindByPhase(phase);
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
  return mappedError(error, { kind, phase: at, code, origin });
}
