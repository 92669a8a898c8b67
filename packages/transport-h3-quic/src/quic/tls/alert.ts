/**
 * TLS alerts (RFC 8446 §6) as the QUIC handshake raises them. QUIC sends no alert records: a
 * fatal alert closes the connection with CRYPTO_ERROR, 0x0100 plus the alert (RFC 9001 §4.8),
 * so the alert is a `QuicError` with that code and the alert number kept beside it.
 *
 * @packageDocumentation
 */

import { cryptoErrorCode, QuicError } from "../errors.js";

/**
 * The TLS 1.3 alert descriptions (RFC 8446 §6.2) a client raises or receives.
 *
 * @alpha
 */
export const TlsAlert = {
  close_notify: 0,
  unexpected_message: 10,
  bad_record_mac: 20,
  record_overflow: 22,
  handshake_failure: 40,
  bad_certificate: 42,
  unsupported_certificate: 43,
  certificate_revoked: 44,
  certificate_expired: 45,
  certificate_unknown: 46,
  illegal_parameter: 47,
  unknown_ca: 48,
  access_denied: 49,
  decode_error: 50,
  decrypt_error: 51,
  protocol_version: 70,
  insufficient_security: 71,
  internal_error: 80,
  inappropriate_fallback: 86,
  user_canceled: 90,
  missing_extension: 109,
  unsupported_extension: 110,
  unrecognized_name: 112,
  bad_certificate_status_response: 113,
  unknown_psk_identity: 115,
  certificate_required: 116,
  no_application_protocol: 120,
} as const;

/**
 * One of the alert numbers in `TlsAlert`.
 *
 * @alpha
 */
export type TlsAlert = (typeof TlsAlert)[keyof typeof TlsAlert];

const TLS_ALERT_BRAND = Symbol.for("nq.quic.TlsAlertError");

const ALERT_NAMES = new Map<number, string>(Object.entries(TlsAlert).map(([k, v]) => [v, k]));

/**
 * The RFC name of a TLS alert (`bad_certificate`), or its number.
 *
 * @alpha
 */
export function tlsAlertName(alert: number): string {
  return ALERT_NAMES.get(alert) ?? `alert ${alert}`;
}

/**
 * A fatal TLS alert: the handshake failed for the reason the alert names, and the connection
 * closes with CRYPTO_ERROR(0x0100 + alert).
 *
 * @alpha
 */
export class TlsAlertError extends QuicError {
  static {
    Object.defineProperty(this.prototype, "name", {
      value: "TlsAlertError",
      writable: true,
      configurable: true,
    });
  }

  /** The TLS alert description (RFC 8446 §6.2). */
  readonly alert: number;

  /** An alert with a message saying what in the handshake caused it. */
  constructor(alert: number, message: string, options: { readonly cause?: unknown } = {}) {
    super(cryptoErrorCode(alert), `${tlsAlertName(alert)}: ${message}`, options);
    this.alert = alert;
    Object.defineProperty(this, TLS_ALERT_BRAND, { value: true });
  }

  // QuicError's brand check is inherited as a static; without this override every QuicError
  // would pass `instanceof TlsAlertError`.
  /** True for a TlsAlertError from any copy of this module, by its `Symbol.for` brand. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return (value as { [TLS_ALERT_BRAND]?: boolean } | null | undefined)?.[TLS_ALERT_BRAND] === true;
  }
}
