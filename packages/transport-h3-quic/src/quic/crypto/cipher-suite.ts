/**
 * The TLS 1.3 cipher suites QUIC v1 runs on (RFC 9001 §5.3, §5.4.3, §5.4.4, §6.6), with the
 * `node:crypto` algorithm names for packet protection and header protection.
 *
 * TLS_AES_128_CCM_SHA256 is left out: RFC 9001 allows it, no server we interoperate with
 * chooses it, and leaving it out of the ClientHello means no server can pick it.
 *
 * @packageDocumentation
 */

import type { HashAlgorithm } from "./hkdf.js";

/**
 * One TLS 1.3 cipher suite as QUIC uses it.
 *
 * @alpha
 */
export interface CipherSuite {
  /** The TLS CipherSuite code point (RFC 8446 §B.4). */
  readonly id: number;
  /** The IANA name. */
  readonly name: "TLS_AES_128_GCM_SHA256" | "TLS_AES_256_GCM_SHA384" | "TLS_CHACHA20_POLY1305_SHA256";
  /** The hash of the key schedule and HKDF. */
  readonly hash: HashAlgorithm;
  /** The `node:crypto` AEAD for packet protection (RFC 9001 §5.3). */
  readonly aead: "aes-128-gcm" | "aes-256-gcm" | "chacha20-poly1305";
  /** The AEAD key length, which is also the header protection key length (RFC 9001 §5.4.3, §5.4.4). */
  readonly keyLength: 16 | 32;
  /** The AEAD nonce length; every suite here uses 12. */
  readonly ivLength: 12;
  /** The authentication tag length; 16 for every suite here. */
  readonly tagLength: 16;
  /** The `node:crypto` cipher that makes the header protection mask. */
  readonly headerProtection: "aes-128-ecb" | "aes-256-ecb" | "chacha20";
  /** Packets that may be protected with one key before a key update (RFC 9001 §6.6). */
  readonly confidentialityLimit: number;
  /** Packets that may fail authentication before the connection must close (RFC 9001 §6.6). */
  readonly integrityLimit: number;
}

/**
 * AEAD_AES_128_GCM with SHA-256, the suite every QUIC endpoint supports and Initial packets use.
 *
 * @alpha
 */
export const TLS_AES_128_GCM_SHA256: CipherSuite = Object.freeze({
  id: 0x1301,
  name: "TLS_AES_128_GCM_SHA256",
  hash: "sha256",
  aead: "aes-128-gcm",
  keyLength: 16,
  ivLength: 12,
  tagLength: 16,
  headerProtection: "aes-128-ecb",
  confidentialityLimit: 2 ** 23,
  integrityLimit: 2 ** 52,
});

/**
 * AEAD_AES_256_GCM with SHA-384.
 *
 * @alpha
 */
export const TLS_AES_256_GCM_SHA384: CipherSuite = Object.freeze({
  id: 0x1302,
  name: "TLS_AES_256_GCM_SHA384",
  hash: "sha384",
  aead: "aes-256-gcm",
  keyLength: 32,
  ivLength: 12,
  tagLength: 16,
  headerProtection: "aes-256-ecb",
  confidentialityLimit: 2 ** 23,
  integrityLimit: 2 ** 52,
});

/**
 * AEAD_CHACHA20_POLY1305 with SHA-256.
 *
 * @alpha
 */
export const TLS_CHACHA20_POLY1305_SHA256: CipherSuite = Object.freeze({
  id: 0x1303,
  name: "TLS_CHACHA20_POLY1305_SHA256",
  hash: "sha256",
  aead: "chacha20-poly1305",
  keyLength: 32,
  ivLength: 12,
  tagLength: 16,
  headerProtection: "chacha20",
  // RFC 9001 §6.6: no confidentiality limit is needed (the count space is larger than 2^62).
  confidentialityLimit: Number.MAX_SAFE_INTEGER,
  integrityLimit: 2 ** 36,
});

/**
 * The suites this client offers, in preference order.
 *
 * @alpha
 */
export const CIPHER_SUITES: readonly CipherSuite[] = Object.freeze([
  TLS_AES_128_GCM_SHA256,
  TLS_AES_256_GCM_SHA384,
  TLS_CHACHA20_POLY1305_SHA256,
]);

/**
 * The suite with a TLS code point, or `undefined` for one this module does not implement.
 *
 * @alpha
 */
export function cipherSuiteById(id: number): CipherSuite | undefined {
  return CIPHER_SUITES.find((suite) => suite.id === id);
}
