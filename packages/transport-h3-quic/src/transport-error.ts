/**
 * How a QUIC failure reads as nq's one `TransportError`, so the session raises the niquests
 * exception a user expects: a failed certificate check is an `SSLError` whether TLS ran over TCP
 * or QUIC, a silent server a timeout, a peer that closed the connection a `closed` error.
 *
 * @packageDocumentation
 */

import { TransportError, type TransportErrorKind, type TransportErrorPhase } from "@nq/models";
import { mappedError, nativeCode, toSocketTransportError } from "@nq/transport-node";
import { CRYPTO_ERROR_BASE, QuicConnectionError, QuicError, TransportErrorCode } from "./quic/index.js";

const CRYPTO_ERROR_END = 0x01ff;

function kindOfCode(code: number): TransportErrorKind {
  if (code >= CRYPTO_ERROR_BASE && code <= CRYPTO_ERROR_END) return "tls";
  // A peer that closed without an error, or with an application's reason, closed the connection;
  // every other transport code names a protocol fault on one side or the other.
  if (code === TransportErrorCode.NO_ERROR || code === TransportErrorCode.APPLICATION_ERROR) return "closed";
  if (code === TransportErrorCode.CONNECTION_REFUSED) return "connect";
  return "protocol";
}

function kindOfConnectionError(error: QuicConnectionError): TransportErrorKind {
  switch (error.kind) {
    case "handshake_timeout":
    case "idle_timeout":
      return "timeout";
    case "stateless_reset":
      return "reset";
    case "version_negotiation":
      return "protocol";
  }
}

/**
 * The `TransportError` for a failure of a QUIC connection or stream at `phase`: a TLS alert or a
 * peer's CRYPTO_ERROR is `tls`, a handshake or idle timeout `timeout`, a stateless reset `reset`,
 * a peer's NO_ERROR or application close `closed`, any other QUIC code `protocol`, and a socket
 * or DNS error what it is for TCP; the QUIC error stays the `cause` and its code name the `code`.
 *
 * @alpha
 */
export function transportErrorFromQuic(
  error: unknown,
  phase: TransportErrorPhase,
  origin?: string,
): TransportError {
  if (error instanceof TransportError) return error;
  if (!(error instanceof QuicError)) return toSocketTransportError(error, phase, origin);
  const kind = error instanceof QuicConnectionError ? kindOfConnectionError(error) : kindOfCode(error.code);
  // A certificate the verifier refused carries Node's own code (CERT_HAS_EXPIRED…) in its cause.
  const code = (kind === "tls" ? nativeCode(error.cause) : undefined) ?? `QUIC_${error.codeName}`;
  return mappedError(error, { kind, phase, code, origin });
}
