/**
 * HTTP/3 error codes (RFC 9114 §8.1) and QPACK's (RFC 9204 §6), and the one error the HTTP/3
 * layer throws for bad input from the peer.
 *
 * Every decoder in this folder throws `H3Error` and nothing else for malformed bytes, so the
 * caller can reset a stream or close the connection with the code the RFC names instead of
 * guessing from a message. A mistake on this side (encoding a negative integer) is a
 * `RangeError` instead.
 *
 * @packageDocumentation
 */

/**
 * The HTTP/3 application error codes of RFC 9114 §8.1 and the QPACK ones of RFC 9204 §6.
 *
 * @alpha
 */
export const H3ErrorCode = {
  H3_NO_ERROR: 0x0100,
  H3_GENERAL_PROTOCOL_ERROR: 0x0101,
  H3_INTERNAL_ERROR: 0x0102,
  H3_STREAM_CREATION_ERROR: 0x0103,
  H3_CLOSED_CRITICAL_STREAM: 0x0104,
  H3_FRAME_UNEXPECTED: 0x0105,
  H3_FRAME_ERROR: 0x0106,
  H3_EXCESSIVE_LOAD: 0x0107,
  H3_ID_ERROR: 0x0108,
  H3_SETTINGS_ERROR: 0x0109,
  H3_MISSING_SETTINGS: 0x010a,
  H3_REQUEST_REJECTED: 0x010b,
  H3_REQUEST_CANCELLED: 0x010c,
  H3_REQUEST_INCOMPLETE: 0x010d,
  H3_MESSAGE_ERROR: 0x010e,
  H3_CONNECT_ERROR: 0x010f,
  H3_VERSION_FALLBACK: 0x0110,
  QPACK_DECOMPRESSION_FAILED: 0x0200,
  QPACK_ENCODER_STREAM_ERROR: 0x0201,
  QPACK_DECODER_STREAM_ERROR: 0x0202,
} as const;

/**
 * One of the named codes in `H3ErrorCode`.
 *
 * @alpha
 */
export type H3ErrorCode = (typeof H3ErrorCode)[keyof typeof H3ErrorCode];

const CODE_NAMES = new Map<number, string>(Object.entries(H3ErrorCode).map(([name, code]) => [code, name]));

/**
 * The RFC name of an HTTP/3 or QPACK error code, `H3_FRAME_ERROR`, or the hex value for any other code.
 *
 * @alpha
 */
export function h3ErrorName(code: number): string {
  return CODE_NAMES.get(code) ?? `0x${code.toString(16)}`;
}

const H3_ERROR_BRAND = Symbol.for("nq.h3.H3Error");

/**
 * A protocol error found in what the HTTP/3 peer sent, carrying the error code to reset the stream
 * or close the connection with.
 *
 * @alpha
 */
export class H3Error extends Error {
  static {
    Object.defineProperty(this.prototype, "name", { value: "H3Error", writable: true, configurable: true });
  }

  /** The HTTP/3 or QPACK error code (RFC 9114 §8.1, RFC 9204 §6). */
  readonly code: number;

  /** An error with an HTTP/3 or QPACK code and a message saying what was wrong. */
  constructor(code: number, message: string, options: { readonly cause?: unknown } = {}) {
    super(
      `${h3ErrorName(code)}: ${message}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.code = code;
    Object.defineProperty(this, H3_ERROR_BRAND, { value: true });
  }

  /** The RFC name of `H3Error.code`. */
  get codeName(): string {
    return h3ErrorName(this.code);
  }

  // A brand instead of the prototype chain, so two installed copies of this package still
  // recognise each other's errors (the same rule as QuicError).
  static override [Symbol.hasInstance](value: unknown): boolean {
    return (value as { [H3_ERROR_BRAND]?: boolean } | null | undefined)?.[H3_ERROR_BRAND] === true;
  }
}
