/**
 * The Retry Integrity Tag (RFC 9001 §5.8): AEAD_AES_128_GCM with a key and nonce fixed by the
 * version, over a pseudo-packet that prefixes the Retry packet with the Destination Connection
 * ID the client first used. It proves the Retry came from something that saw the client's
 * Initial; it is not secret, since the key is published.
 *
 * @packageDocumentation
 */

import { Buffer } from "node:buffer";
import { timingSafeEqual } from "node:crypto";
import { aeadSeal } from "../crypto/aead.js";
import { TLS_AES_128_GCM_SHA256 } from "../crypto/cipher-suite.js";
import { type RetryFields, serializeRetryWithoutTag } from "./header.js";

/**
 * The QUIC v1 Retry integrity key (RFC 9001 §5.8).
 *
 * @alpha
 */
export const RETRY_INTEGRITY_KEY_V1: Uint8Array = Uint8Array.from(
  Buffer.from("be0c690b9f66575a1d766b54e368c84e", "hex"),
);

/**
 * The QUIC v1 Retry integrity nonce (RFC 9001 §5.8).
 *
 * @alpha
 */
export const RETRY_INTEGRITY_NONCE_V1: Uint8Array = Uint8Array.from(
  Buffer.from("461599d35d632bf2239825bb", "hex"),
);

const TAG_LENGTH = 16;

/** The Retry Pseudo-Packet: ODCID Length (8), Original Destination Connection ID, the Retry packet without its tag. */
function pseudoPacket(originalDcid: Uint8Array, retryWithoutTag: Uint8Array): Uint8Array {
  if (originalDcid.length > 255) throw new RangeError("connection ID longer than 255 bytes");
  const out = new Uint8Array(1 + originalDcid.length + retryWithoutTag.length);
  out[0] = originalDcid.length;
  out.set(originalDcid, 1);
  out.set(retryWithoutTag, 1 + originalDcid.length);
  return out;
}

/**
 * The tag for a Retry packet (given without its tag), as a server computes it.
 *
 * @alpha
 */
export function retryIntegrityTag(originalDcid: Uint8Array, retryWithoutTag: Uint8Array): Uint8Array {
  // The tag is the whole output of sealing an empty plaintext with the pseudo-packet as AAD.
  return aeadSeal(
    TLS_AES_128_GCM_SHA256,
    RETRY_INTEGRITY_KEY_V1,
    RETRY_INTEGRITY_NONCE_V1,
    pseudoPacket(originalDcid, retryWithoutTag),
    new Uint8Array(0),
  );
}

/**
 * Checks the tag of a whole Retry packet against the Destination Connection ID of the client's
 * first Initial. A client must discard a Retry that fails this (RFC 9000 §17.2.5.2).
 *
 * @alpha
 */
export function verifyRetryIntegrity(originalDcid: Uint8Array, retryPacket: Uint8Array): boolean {
  if (retryPacket.length < TAG_LENGTH) return false;
  const split = retryPacket.length - TAG_LENGTH;
  const expected = retryIntegrityTag(originalDcid, retryPacket.subarray(0, split));
  return timingSafeEqual(expected, retryPacket.subarray(split));
}

/**
 * A whole Retry packet with its integrity tag, as a server (or a test peer) sends it.
 *
 * @alpha
 */
export function buildRetryPacket(fields: RetryFields, originalDcid: Uint8Array): Uint8Array {
  const withoutTag = serializeRetryWithoutTag(fields);
  const tag = retryIntegrityTag(originalDcid, withoutTag);
  const out = new Uint8Array(withoutTag.length + TAG_LENGTH);
  out.set(withoutTag, 0);
  out.set(tag, withoutTag.length);
  return out;
}
