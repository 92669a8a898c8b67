/**
 * HKDF (RFC 5869) and TLS 1.3's HKDF-Expand-Label (RFC 8446 §7.1) on `node:crypto` HMAC.
 *
 * Node's `hkdfSync` always runs Extract and Expand together; TLS and QUIC need Expand alone on
 * a secret that is already a pseudorandom key (every traffic secret, every "quic key"), so
 * both halves are written here on `createHmac`.
 *
 * @packageDocumentation
 */

import { createHash, createHmac } from "node:crypto";

/**
 * The hash functions of the TLS 1.3 cipher suites QUIC v1 uses.
 *
 * @alpha
 */
export type HashAlgorithm = "sha256" | "sha384";

/**
 * The output length of a hash, which is also the length of every secret derived with it.
 *
 * @alpha
 */
export function hashLength(hash: HashAlgorithm): 32 | 48 {
  return hash === "sha256" ? 32 : 48;
}

/**
 * Hash(data), as a plain Uint8Array.
 *
 * @alpha
 */
export function digest(hash: HashAlgorithm, data: Uint8Array): Uint8Array {
  return toUint8Array(createHash(hash).update(data).digest());
}

/**
 * HMAC-Hash(key, data).
 *
 * @alpha
 */
export function hmac(hash: HashAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array {
  return toUint8Array(createHmac(hash, key).update(data).digest());
}

/**
 * HKDF-Extract(salt, IKM) = HMAC-Hash(salt, IKM) (RFC 5869 §2.2). An empty salt is the same as
 * HashLen zero bytes there, and HMAC pads both to the same block, so no special case is needed.
 *
 * @alpha
 */
export function hkdfExtract(hash: HashAlgorithm, salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  return hmac(hash, salt, ikm);
}

/**
 * HKDF-Expand(PRK, info, L) (RFC 5869 §2.3): T(i) = HMAC(PRK, T(i−1) | info | i), L ≤ 255·HashLen.
 *
 * @alpha
 */
export function hkdfExpand(
  hash: HashAlgorithm,
  prk: Uint8Array,
  info: Uint8Array,
  length: number,
): Uint8Array {
  const hashLen = hashLength(hash);
  if (!Number.isInteger(length) || length < 0 || length > 255 * hashLen) {
    throw new RangeError(`HKDF-Expand length ${length} outside 0..${255 * hashLen}`);
  }
  const out = new Uint8Array(length);
  let previous: Uint8Array = new Uint8Array(0);
  const counter = new Uint8Array(1);
  for (let filled = 0, i = 1; filled < length; i++) {
    counter[0] = i;
    previous = toUint8Array(createHmac(hash, prk).update(previous).update(info).update(counter).digest());
    out.set(previous.subarray(0, Math.min(hashLen, length - filled)), filled);
    filled += hashLen;
  }
  return out;
}

const encoder = new TextEncoder();
const LABEL_PREFIX = encoder.encode("tls13 ");

/**
 * The HkdfLabel structure of RFC 8446 §7.1: `uint16 length`, `opaque label<7..255>` =
 * "tls13 " + label, `opaque context<0..255>`. Exposed for tests that compare with the "info"
 * the RFC 9001 A.1 and RFC 8448 traces print.
 *
 * @alpha
 */
export function hkdfLabel(label: string, context: Uint8Array, length: number): Uint8Array {
  const labelBytes = encoder.encode(label);
  const fullLabelLength = LABEL_PREFIX.length + labelBytes.length;
  if (fullLabelLength > 255) throw new RangeError(`HKDF label too long: ${label}`);
  if (context.length > 255) throw new RangeError(`HKDF context too long: ${context.length} bytes`);
  if (!Number.isInteger(length) || length < 0 || length > 0xffff)
    throw new RangeError(`bad length ${length}`);
  const info = new Uint8Array(2 + 1 + fullLabelLength + 1 + context.length);
  info[0] = length >>> 8;
  info[1] = length;
  info[2] = fullLabelLength;
  info.set(LABEL_PREFIX, 3);
  info.set(labelBytes, 3 + LABEL_PREFIX.length);
  info[3 + fullLabelLength] = context.length;
  info.set(context, 4 + fullLabelLength);
  return info;
}

/**
 * HKDF-Expand-Label(Secret, Label, Context, Length) (RFC 8446 §7.1).
 *
 * @alpha
 */
export function hkdfExpandLabel(
  hash: HashAlgorithm,
  secret: Uint8Array,
  label: string,
  context: Uint8Array,
  length: number,
): Uint8Array {
  return hkdfExpand(hash, secret, hkdfLabel(label, context, length), length);
}

/**
 * A Node Buffer seen as a plain Uint8Array over the same memory (no copy), so callers never get Buffer semantics such as a `slice()` that does not copy.
 *
 * @alpha
 */
export function toUint8Array(bytes: Uint8Array): Uint8Array {
  return bytes.constructor === Uint8Array
    ? bytes
    : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
