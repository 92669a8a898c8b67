/**
 * The ephemeral (EC)DHE of the TLS 1.3 handshake (RFC 8446 §4.2.8, §7.4) on `node:crypto`:
 * X25519 (RFC 7748) and secp256r1 (P-256, uncompressed points only).
 *
 * A peer's public value is checked before it is used: a wrong length, a compressed or
 * malformed point, a point off the curve, or an X25519 result of all zeros is
 * illegal_parameter, as RFC 8446 §4.2.8.2 and §7.4.2 require.
 *
 * @packageDocumentation
 */

import { Buffer } from "node:buffer";
import {
  createECDH,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  type ECDH,
  generateKeyPairSync,
  type KeyObject,
} from "node:crypto";
import { toUint8Array } from "../crypto/hkdf.js";
import { TlsAlert, TlsAlertError } from "./alert.js";
import { NamedGroup } from "./handshake-messages.js";

/**
 * The key exchange groups this client implements.
 *
 * @alpha
 */
export type KeyExchangeGroup = "x25519" | "secp256r1";

/**
 * The TLS NamedGroup code of a group this client implements.
 *
 * @alpha
 */
export function namedGroupCode(group: KeyExchangeGroup): number {
  return group === "x25519" ? NamedGroup.x25519 : NamedGroup.secp256r1;
}

/**
 * The group with a TLS NamedGroup code, or `undefined` for a group this client does not implement.
 *
 * @alpha
 */
export function keyExchangeGroupByCode(code: number): KeyExchangeGroup | undefined {
  if (code === NamedGroup.x25519) return "x25519";
  if (code === NamedGroup.secp256r1) return "secp256r1";
  return undefined;
}

// RFC 8410 DER wrappers: node:crypto imports raw X25519 keys only as PKCS#8 or SPKI.
const X25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b656e04220420", "hex");
const X25519_SPKI_PREFIX = Buffer.from("302a300506032b656e032100", "hex");
const X25519_KEY_LENGTH = 32;
const P256_POINT_LENGTH = 65;
const UNCOMPRESSED_POINT = 0x04;

function badPeerKey(message: string, cause?: unknown): TlsAlertError {
  return new TlsAlertError(TlsAlert.illegal_parameter, message, cause === undefined ? {} : { cause });
}

/**
 * One side's ephemeral key pair for one group: its public value for the key_share extension,
 * and the shared secret with the peer's value.
 *
 * @alpha
 */
export interface EphemeralKeyShare {
  /** The group. */
  readonly group: KeyExchangeGroup;
  /** The TLS NamedGroup code of the group. */
  readonly namedGroup: number;
  /** The public value in the key_share encoding: 32 bytes for X25519, a 65-byte point for P-256. */
  readonly publicKey: Uint8Array;
  /** The (EC)DHE shared secret with the peer's public value; a bad value is illegal_parameter. */
  sharedSecret(peerPublicKey: Uint8Array): Uint8Array;
}

/**
 * A fresh ephemeral key pair.
 *
 * @alpha
 */
export function generateKeyShare(group: KeyExchangeGroup): EphemeralKeyShare {
  if (group === "x25519") return new X25519KeyShare(generateKeyPairSync("x25519").privateKey);
  const ecdh = createECDH("prime256v1");
  ecdh.generateKeys();
  return new P256KeyShare(ecdh);
}

/**
 * A key pair from a known private key (a 32-byte X25519 scalar or P-256 private value), so a
 * test can reproduce a published trace.
 *
 * @alpha
 */
export function keyShareFromPrivateKey(group: KeyExchangeGroup, privateKey: Uint8Array): EphemeralKeyShare {
  if (privateKey.length !== 32)
    throw new RangeError(`a ${group} private key is 32 bytes, not ${privateKey.length}`);
  if (group === "x25519") {
    const der = Buffer.concat([X25519_PKCS8_PREFIX, privateKey]);
    return new X25519KeyShare(createPrivateKey({ key: der, format: "der", type: "pkcs8" }));
  }
  const ecdh = createECDH("prime256v1");
  ecdh.setPrivateKey(privateKey);
  return new P256KeyShare(ecdh);
}

class X25519KeyShare implements EphemeralKeyShare {
  readonly group = "x25519";
  readonly namedGroup = NamedGroup.x25519;
  readonly publicKey: Uint8Array;
  readonly #privateKey: KeyObject;

  constructor(privateKey: KeyObject) {
    this.#privateKey = privateKey;
    const spki = toUint8Array(createPublicKey(privateKey).export({ type: "spki", format: "der" }));
    this.publicKey = spki.slice(spki.length - X25519_KEY_LENGTH);
  }

  sharedSecret(peerPublicKey: Uint8Array): Uint8Array {
    if (peerPublicKey.length !== X25519_KEY_LENGTH)
      throw badPeerKey(`an X25519 key share is 32 bytes, not ${peerPublicKey.length}`);
    let secret: Uint8Array;
    try {
      const publicKey = createPublicKey({
        key: Buffer.concat([X25519_SPKI_PREFIX, peerPublicKey]),
        format: "der",
        type: "spki",
      });
      secret = toUint8Array(diffieHellman({ privateKey: this.#privateKey, publicKey }));
    } catch (error) {
      // OpenSSL refuses a low-order point itself (its result would be all zeros).
      throw badPeerKey("the X25519 key share gives no shared secret", error);
    }
    // RFC 8446 §7.4.2: a low-order point gives all zeros; checked here too in case the
    // OpenSSL underneath does not refuse it.
    if (secret.every((byte) => byte === 0)) throw badPeerKey("the X25519 shared secret is all zeros");
    return secret;
  }
}

class P256KeyShare implements EphemeralKeyShare {
  readonly group = "secp256r1";
  readonly namedGroup = NamedGroup.secp256r1;
  readonly publicKey: Uint8Array;
  readonly #ecdh: ECDH;

  constructor(ecdh: ECDH) {
    this.#ecdh = ecdh;
    this.publicKey = toUint8Array(ecdh.getPublicKey());
  }

  sharedSecret(peerPublicKey: Uint8Array): Uint8Array {
    // RFC 8446 §4.2.8.2: TLS 1.3 allows only the uncompressed form, 0x04 || X || Y.
    if (peerPublicKey.length !== P256_POINT_LENGTH || peerPublicKey[0] !== UNCOMPRESSED_POINT)
      throw badPeerKey(`a secp256r1 key share is an uncompressed 65-byte point`);
    try {
      return toUint8Array(this.#ecdh.computeSecret(peerPublicKey));
    } catch (error) {
      throw badPeerKey("the secp256r1 key share is not a point on the curve", error);
    }
  }
}
