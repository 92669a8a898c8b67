/**
 * Packet protection keys from a traffic secret (RFC 9001 §5.1), and their replacement on a
 * key update (RFC 9001 §6.1).
 *
 * @packageDocumentation
 */

import { nextTrafficSecret } from "../tls/key-schedule.js";
import type { CipherSuite } from "./cipher-suite.js";
import { HeaderProtection } from "./header-protection.js";
import { hkdfExpandLabel } from "./hkdf.js";

/**
 * What protects the packets of one direction at one encryption level.
 *
 * @alpha
 */
export interface PacketProtectionKeys {
  /** The negotiated cipher suite (AES-128-GCM for Initial packets). */
  readonly suite: CipherSuite;
  /** The traffic secret the keys come from; kept for the next key update. */
  readonly secret: Uint8Array;
  /** The AEAD key ("quic key"). */
  readonly key: Uint8Array;
  /** The AEAD IV ("quic iv"), XORed with the packet number to form each nonce. */
  readonly iv: Uint8Array;
  /** The header protection key ("quic hp"). */
  readonly hp: Uint8Array;
  /** The header protection cipher for `PacketProtectionKeys.hp`, made once. */
  readonly headerProtection: HeaderProtection;
}

const EMPTY = new Uint8Array(0);

/**
 * key, iv and hp from a traffic secret with QUIC's own labels (RFC 9001 §5.1): "quic key",
 * "quic iv", "quic hp". TLS over TCP uses "key" and "iv"; the different labels keep QUIC keys
 * apart from TLS record keys even for the same secret (§9.6).
 *
 * @alpha
 */
export function derivePacketProtectionKeys(suite: CipherSuite, secret: Uint8Array): PacketProtectionKeys {
  const hp = hkdfExpandLabel(suite.hash, secret, "quic hp", EMPTY, suite.keyLength);
  return { ...aeadKeys(suite, secret), hp, headerProtection: new HeaderProtection(suite, hp) };
}

// The part of the keys a key update replaces: the secret and the AEAD key and IV from it.
function aeadKeys(
  suite: CipherSuite,
  secret: Uint8Array,
): Pick<PacketProtectionKeys, "suite" | "secret" | "key" | "iv"> {
  return {
    suite,
    secret,
    key: hkdfExpandLabel(suite.hash, secret, "quic key", EMPTY, suite.keyLength),
    iv: hkdfExpandLabel(suite.hash, secret, "quic iv", EMPTY, suite.ivLength),
  };
}

/**
 * The keys after a key update (RFC 9001 §6.1): a new secret through "quic ku", a new key and
 * IV from it, and the same header protection key — §6 says the header protection key is not
 * updated, so a receiver can remove header protection before knowing which key phase it has.
 *
 * @alpha
 */
export function updatePacketProtectionKeys(keys: PacketProtectionKeys): PacketProtectionKeys {
  const { suite, hp, headerProtection } = keys;
  return { ...aeadKeys(suite, nextTrafficSecret(suite.hash, keys.secret)), hp, headerProtection };
}
