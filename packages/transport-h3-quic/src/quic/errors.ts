/**
 * QUIC transport error codes (RFC 9000 §20.1) and the one error the QUIC layer throws for bad
 * input from the network.
 *
 * Every parser in this module throws `QuicError` and nothing else for malformed bytes,
 * so the connection can close with the code the RFC names instead of guessing from a message.
 * A programming mistake (encoding a negative number, a key of the wrong size) is a `RangeError`
 * or `TypeError` instead: those are bugs on this side, not a peer to blame.
 *
 * @packageDocumentation
 */

/**
 * The QUIC transport error codes of RFC 9000 §20.1; TLS alerts map into 0x0100–0x01ff.
 *
 * @alpha
 */
export const TransportErrorCode = {
  NO_ERROR: 0x00,
  INTERNAL_ERROR: 0x01,
  CONNECTION_REFUSED: 0x02,
  FLOW_CONTROL_ERROR: 0x03,
  STREAM_LIMIT_ERROR: 0x04,
  STREAM_STATE_ERROR: 0x05,
  FINAL_SIZE_ERROR: 0x06,
  FRAME_ENCODING_ERROR: 0x07,
  TRANSPORT_PARAMETER_ERROR: 0x08,
  CONNECTION_ID_LIMIT_ERROR: 0x09,
  PROTOCOL_VIOLATION: 0x0a,
  INVALID_TOKEN: 0x0b,
  APPLICATION_ERROR: 0x0c,
  CRYPTO_BUFFER_EXCEEDED: 0x0d,
  KEY_UPDATE_ERROR: 0x0e,
  AEAD_LIMIT_REACHED: 0x0f,
  NO_VIABLE_PATH: 0x10,
} as const;

/**
 * One of the named codes in `TransportErrorCode`.
 *
 * @alpha
 */
export type TransportErrorCode = (typeof TransportErrorCode)[keyof typeof TransportErrorCode];

/**
 * The first code of the CRYPTO_ERROR range; the TLS alert is added to it (RFC 9001 §4.8).
 *
 * @alpha
 */
export const CRYPTO_ERROR_BASE = 0x0100;

/**
 * The transport error code that carries a TLS alert (RFC 9001 §4.8), e.g. 42 bad_certificate → 0x12a.
 *
 * @alpha
 */
export function cryptoErrorCode(alert: number): number {
  if (!Number.isInteger(alert) || alert < 0 || alert > 0xff)
    throw new RangeError(`not a TLS alert: ${alert}`);
  return CRYPTO_ERROR_BASE + alert;
}

const CODE_NAMES = new Map<number, string>(Object.entries(TransportErrorCode).map(([k, v]) => [v, k]));

/**
 * The RFC name of a transport error code: `FRAME_ENCODING_ERROR`, `CRYPTO_ERROR(0x12a)`, or the hex value.
 *
 * @alpha
 */
export function transportErrorName(code: number): string {
  const name = CODE_NAMES.get(code);
  if (name !== undefined) return name;
  if (code >= CRYPTO_ERROR_BASE && code <= 0x01ff) return `CRYPTO_ERROR(0x${code.toString(16)})`;
  return `0x${code.toString(16)}`;
}

/**
 * Options of `QuicError`.
 *
 * @alpha
 */
export interface QuicErrorOptions {
  /** The frame type being processed when the error was found, as CONNECTION_CLOSE reports it (§19.19). */
  readonly frameType?: number | undefined;
  /** The lower-level error, if one led to this. */
  readonly cause?: unknown;
}

const QUIC_ERROR_BRAND = Symbol.for("nq.quic.QuicError");

/**
 * A protocol error found in bytes from the peer, carrying the RFC 9000 transport error code the
 * connection should close with.
 *
 * @alpha
 */
export class QuicError extends Error {
  static {
    Object.defineProperty(this.prototype, "name", { value: "QuicError", writable: true, configurable: true });
  }

  /** The transport error code (RFC 9000 §20.1), or 0x0100 + TLS alert for a CRYPTO_ERROR. */
  readonly code: number;
  /** The frame type that triggered the error, when it came from a frame. */
  readonly frameType: number | undefined;

  /** An error with a transport error code and a message saying what was wrong in the bytes. */
  constructor(code: number, message: string, options: QuicErrorOptions = {}) {
    super(
      `${transportErrorName(code)}: ${message}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.code = code;
    this.frameType = options.frameType;
    Object.defineProperty(this, QUIC_ERROR_BRAND, { value: true });
  }

  /** The RFC name of `QuicError.code`. */
  get codeName(): string {
    return transportErrorName(this.code);
  }

  // A brand instead of the prototype chain, so two installed copies of this package still
  // recognise each other's errors (the same rule as TransportError in @nq/models).
  static override [Symbol.hasInstance](value: unknown): boolean {
    return (value as { [QUIC_ERROR_BRAND]?: boolean } | null | undefined)?.[QUIC_ERROR_BRAND] === true;
  }
}
