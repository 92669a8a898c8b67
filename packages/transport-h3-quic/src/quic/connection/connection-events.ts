/**
 * What a QUIC connection reports to its owner: its state, the events it queues, its counters,
 * and the error for the ways a connection ends without a transport error code.
 *
 * ```
 * closed event .error
 * ├─ undefined                       closed cleanly: by us, or by the peer with NO_ERROR or an application code
 * ├─ TlsAlertError (QuicError)       the handshake failed here: CRYPTO_ERROR 0x100 + alert
 * ├─ QuicError                       a protocol error here, or the peer's transport error code (remote: true)
 * └─ QuicConnectionError (QuicError) no code on the wire: idle_timeout, handshake_timeout,
 *                                    version_negotiation, stateless_reset
 * ```
 *
 * @packageDocumentation
 */

import { QuicError, TransportErrorCode } from "../errors.js";
import type { TlsAlertError } from "../tls/alert.js";

/**
 * Where a connection is in its life (RFC 9000 §10): closing and draining last three PTOs.
 *
 * @alpha
 */
export type QuicConnectionState = "handshaking" | "established" | "closing" | "draining" | "closed";

/**
 * Why a connection ended with no error code from either side.
 *
 * @alpha
 */
export type QuicConnectionErrorKind =
  | "idle_timeout"
  | "handshake_timeout"
  | "version_negotiation"
  | "stateless_reset";

/**
 * RFC 9368 §10.2 names this code; nothing is sent with it here, it only marks the error.
 *
 * @alpha
 */
export const VERSION_NEGOTIATION_ERROR = 0x11;

const KIND_CODES: Record<QuicConnectionErrorKind, number> = {
  idle_timeout: TransportErrorCode.NO_ERROR,
  handshake_timeout: TransportErrorCode.NO_ERROR,
  version_negotiation: VERSION_NEGOTIATION_ERROR,
  stateless_reset: TransportErrorCode.NO_ERROR,
};

const CONNECTION_ERROR_BRAND = Symbol.for("nq.quic.QuicConnectionError");

/**
 * A connection that ended without a CONNECTION_CLOSE: a timeout, a failed version negotiation or a stateless reset.
 *
 * @alpha
 */
export class QuicConnectionError extends QuicError {
  static {
    Object.defineProperty(this.prototype, "name", {
      value: "QuicConnectionError",
      writable: true,
      configurable: true,
    });
  }

  /** Which of the codeless endings this is. */
  readonly kind: QuicConnectionErrorKind;

  /** An error of `kind` with a message saying what happened. */
  constructor(kind: QuicConnectionErrorKind, message: string) {
    super(KIND_CODES[kind], message);
    // QuicError prefixes the code's name; "NO_ERROR: idle timeout" would read as a success.
    this.message = message;
    this.kind = kind;
    Object.defineProperty(this, CONNECTION_ERROR_BRAND, { value: true });
  }

  // Without this, QuicError's inherited brand check would accept every QuicError.
  /** True for a QuicConnectionError from any copy of this module, by its `Symbol.for` brand. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return (
      (value as { [CONNECTION_ERROR_BRAND]?: boolean } | null | undefined)?.[CONNECTION_ERROR_BRAND] === true
    );
  }
}

/**
 * How a connection ended, as its `closed` event reports it.
 *
 * @alpha
 */
export interface QuicCloseInfo {
  /** The failure, or undefined for a clean close (see the error tree in this module's documentation). */
  readonly error: QuicError | TlsAlertError | undefined;
  /** True when the peer closed the connection (CONNECTION_CLOSE or stateless reset). */
  readonly remote: boolean;
  /** The application error code of a CONNECTION_CLOSE of type 0x1d, either way; 62 bits, so a bigint. */
  readonly applicationCode?: bigint;
  /** The reason phrase of the CONNECTION_CLOSE, either way. */
  readonly reason?: string;
}

/**
 * Something the owner of a connection should react to, from `takeEvents()`.
 *
 * @alpha
 */
export type QuicConnectionEvent =
  | { readonly type: "handshake-complete" }
  | { readonly type: "stream-opened"; readonly id: number }
  | { readonly type: "stream-readable"; readonly id: number }
  | { readonly type: "stream-writable"; readonly id: number }
  | { readonly type: "stream-reset"; readonly id: number; readonly code: bigint }
  | { readonly type: "stop-sending"; readonly id: number; readonly code: bigint }
  | ({ readonly type: "closed" } & QuicCloseInfo);

/**
 * Counters of one connection.
 *
 * @alpha
 */
export interface QuicConnectionStats {
  /** Packets sent, coalesced ones counted one by one. */
  readonly packetsSent: number;
  /** Packets received and decrypted. */
  readonly packetsReceived: number;
  /** Packets declared lost by loss detection. */
  readonly packetsLost: number;
  /** Probe timeouts that fired (RFC 9002 §6.2), the client's anti-deadlock probes included. */
  readonly probeTimeouts: number;
  /** UDP payload bytes sent. */
  readonly bytesSent: number;
  /** UDP payload bytes received, including datagrams dropped as undecryptable. */
  readonly bytesReceived: number;
  /** The smoothed RTT in milliseconds. */
  readonly smoothedRtt: number;
  /** The congestion window in bytes. */
  readonly congestionWindow: number;
}
