/**
 * Header protection (RFC 9001 §5.4): a 5-byte mask computed from a 16-byte sample of the
 * protected payload hides the packet number length, the key phase and the packet number.
 *
 * AES suites encrypt the sample as one AES-ECB block (§5.4.3). ChaCha20 (§5.4.4) uses the
 * first 4 sample bytes as the little-endian block counter and the other 12 as the nonce, and
 * encrypts five zero bytes; Node's `chacha20` cipher takes exactly that layout as its 16-byte
 * IV (OpenSSL's counter ‖ nonce), so the sample is passed through unchanged.
 *
 * @packageDocumentation
 */

import { type Cipher, createCipheriv } from "node:crypto";
import type { CipherSuite } from "./cipher-suite.js";

/**
 * The number of payload bytes sampled for header protection.
 *
 * @alpha
 */
export const HEADER_PROTECTION_SAMPLE_LENGTH = 16;

const FIVE_ZEROS = new Uint8Array(5);

/**
 * Computes header protection masks with one key; reuses the AES-ECB cipher between packets.
 *
 * @alpha
 */
export class HeaderProtection {
  /** The cipher suite whose header protection algorithm this is. */
  readonly suite: CipherSuite;
  readonly #key: Uint8Array;
  // ECB keeps no state between whole blocks, so one cipher object serves every packet.
  #ecb: Cipher | undefined;

  constructor(suite: CipherSuite, key: Uint8Array) {
    if (key.length !== suite.keyLength) {
      throw new RangeError(`${suite.name} header protection needs a ${suite.keyLength}-byte key`);
    }
    this.suite = suite;
    this.#key = new Uint8Array(key);
  }

  /** The 5-byte mask for a 16-byte sample. */
  mask(sample: Uint8Array): Uint8Array {
    if (sample.length !== HEADER_PROTECTION_SAMPLE_LENGTH) {
      throw new RangeError(`header protection sample must be ${HEADER_PROTECTION_SAMPLE_LENGTH} bytes`);
    }
    if (this.suite.headerProtection === "chacha20") {
      const cipher = createCipheriv("chacha20", this.#key, sample);
      const out = cipher.update(FIVE_ZEROS);
      return new Uint8Array(out.buffer, out.byteOffset, 5);
    }
    if (this.#ecb === undefined) {
      this.#ecb = createCipheriv(this.suite.headerProtection, this.#key, null);
      this.#ecb.setAutoPadding(false);
    }
    const block = this.#ecb.update(sample);
    return new Uint8Array(block.buffer, block.byteOffset, 5);
  }
}

/**
 * The header protection mask for one sample (RFC 9001 §5.4.3, §5.4.4).
 *
 * @alpha
 */
export function headerProtectionMask(suite: CipherSuite, key: Uint8Array, sample: Uint8Array): Uint8Array {
  return new HeaderProtection(suite, key).mask(sample);
}
