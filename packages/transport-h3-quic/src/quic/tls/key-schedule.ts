/**
 * The TLS 1.3 key schedule (RFC 8446 §7.1) as QUIC uses it (RFC 9001 §5.1), plus the running
 * transcript hash (RFC 8446 §4.4.1) and QUIC's key update (RFC 9001 §6.1).
 *
 * ```
 *              0
 *              |
 *   PSK or 0 → HKDF-Extract = Early Secret
 *              |
 *        Derive-Secret(., "derived", "")
 *              |
 *   (EC)DHE → HKDF-Extract = Handshake Secret ─→ c hs traffic, s hs traffic  (CH..SH)
 *              |
 *        Derive-Secret(., "derived", "")
 *              |
 *        0 → HKDF-Extract = Master Secret ─→ c ap traffic, s ap traffic, exp master (CH..server Finished)
 *                                          └→ res master (CH..client Finished)
 * ```
 *
 * QUIC has no TLS record layer: each traffic secret becomes packet protection keys with the
 * "quic key", "quic iv" and "quic hp" labels, and a key update replaces the application
 * secrets with HKDF-Expand-Label(secret, "quic ku", "", Hash.length).
 *
 * @packageDocumentation
 */

import { createHash, type Hash } from "node:crypto";
import {
  digest,
  type HashAlgorithm,
  hashLength,
  hkdfExpandLabel,
  hkdfExtract,
  hmac,
  toUint8Array,
} from "../crypto/hkdf.js";

/**
 * Derive-Secret(Secret, Label, Messages) with the transcript hash of Messages already computed.
 *
 * @alpha
 */
export function deriveSecret(
  hash: HashAlgorithm,
  secret: Uint8Array,
  label: string,
  transcriptHash: Uint8Array,
): Uint8Array {
  return hkdfExpandLabel(hash, secret, label, transcriptHash, hashLength(hash));
}

/**
 * Hash("") — the transcript hash of no messages, the context of every "derived" step.
 *
 * @alpha
 */
export function emptyHash(hash: HashAlgorithm): Uint8Array {
  return digest(hash, new Uint8Array(0));
}

/**
 * The Early Secret: HKDF-Extract(0, PSK), with a zero PSK when no session is resumed.
 *
 * @alpha
 */
export function computeEarlySecret(hash: HashAlgorithm, psk?: Uint8Array): Uint8Array {
  const zeros = new Uint8Array(hashLength(hash));
  return hkdfExtract(hash, zeros, psk ?? zeros);
}

/**
 * The Handshake Secret: HKDF-Extract(Derive-Secret(early, "derived", ""), (EC)DHE shared secret).
 *
 * @alpha
 */
export function computeHandshakeSecret(
  hash: HashAlgorithm,
  earlySecret: Uint8Array,
  sharedSecret: Uint8Array,
): Uint8Array {
  return hkdfExtract(hash, deriveSecret(hash, earlySecret, "derived", emptyHash(hash)), sharedSecret);
}

/**
 * The Master Secret: HKDF-Extract(Derive-Secret(handshake, "derived", ""), 0).
 *
 * @alpha
 */
export function computeMasterSecret(hash: HashAlgorithm, handshakeSecret: Uint8Array): Uint8Array {
  return hkdfExtract(
    hash,
    deriveSecret(hash, handshakeSecret, "derived", emptyHash(hash)),
    new Uint8Array(hashLength(hash)),
  );
}

/**
 * finished_key = HKDF-Expand-Label(BaseKey, "finished", "", Hash.length) (RFC 8446 §4.4.4).
 *
 * @alpha
 */
export function finishedKey(hash: HashAlgorithm, baseKey: Uint8Array): Uint8Array {
  return hkdfExpandLabel(hash, baseKey, "finished", new Uint8Array(0), hashLength(hash));
}

/**
 * verify_data = HMAC(finished_key, Transcript-Hash(Handshake Context, Certificate*,
 * CertificateVerify*)) (RFC 8446 §4.4.4). `transcriptHash` covers every message before the
 * Finished being computed, not the Finished itself.
 *
 * @alpha
 */
export function finishedVerifyData(
  hash: HashAlgorithm,
  baseKey: Uint8Array,
  transcriptHash: Uint8Array,
): Uint8Array {
  return hmac(hash, finishedKey(hash, baseKey), transcriptHash);
}

/**
 * The next generation of an application traffic secret for a QUIC key update (RFC 9001 §6.1):
 * HKDF-Expand-Label(secret, "quic ku", "", Hash.length). TLS's own "traffic upd" label is not
 * used by QUIC.
 *
 * @alpha
 */
export function nextTrafficSecret(hash: HashAlgorithm, secret: Uint8Array): Uint8Array {
  return hkdfExpandLabel(hash, secret, "quic ku", new Uint8Array(0), hashLength(hash));
}

/**
 * A client and a server secret derived from the same step.
 *
 * @alpha
 */
export interface TrafficSecrets {
  /** The client's secret (protects what the client sends). */
  readonly client: Uint8Array;
  /** The server's secret (protects what the server sends). */
  readonly server: Uint8Array;
}

/**
 * The key schedule of one connection, stage by stage. Each stage takes the transcript hash at
 * the point RFC 8446 §7.1 names, so the handshake code decides when to call it and this class
 * only holds the chain of secrets.
 *
 * @alpha
 */
export class KeySchedule {
  /** The hash of the negotiated cipher suite. */
  readonly hash: HashAlgorithm;
  /** The Early Secret. */
  readonly earlySecret: Uint8Array;
  #handshakeSecret: Uint8Array | undefined;
  #masterSecret: Uint8Array | undefined;

  constructor(hash: HashAlgorithm, psk?: Uint8Array) {
    this.hash = hash;
    this.earlySecret = computeEarlySecret(hash, psk);
  }

  /** The Handshake Secret, once `KeySchedule.handshakeTrafficSecrets` has run. */
  get handshakeSecret(): Uint8Array | undefined {
    return this.#handshakeSecret;
  }

  /** The Master Secret, once `KeySchedule.applicationTrafficSecrets` has run. */
  get masterSecret(): Uint8Array | undefined {
    return this.#masterSecret;
  }

  /** Mixes in the (EC)DHE secret and derives the handshake traffic secrets over ClientHello..ServerHello. */
  handshakeTrafficSecrets(sharedSecret: Uint8Array, helloHash: Uint8Array): TrafficSecrets {
    const secret = computeHandshakeSecret(this.hash, this.earlySecret, sharedSecret);
    this.#handshakeSecret = secret;
    return {
      client: deriveSecret(this.hash, secret, "c hs traffic", helloHash),
      server: deriveSecret(this.hash, secret, "s hs traffic", helloHash),
    };
  }

  /** Derives the first application traffic secrets over ClientHello..server Finished. */
  applicationTrafficSecrets(serverFinishedHash: Uint8Array): TrafficSecrets {
    if (this.#handshakeSecret === undefined)
      throw new Error("handshake secrets come before application secrets");
    const master = computeMasterSecret(this.hash, this.#handshakeSecret);
    this.#masterSecret = master;
    return {
      client: deriveSecret(this.hash, master, "c ap traffic", serverFinishedHash),
      server: deriveSecret(this.hash, master, "s ap traffic", serverFinishedHash),
    };
  }

  /** exporter_master_secret, over ClientHello..server Finished. */
  exporterMasterSecret(serverFinishedHash: Uint8Array): Uint8Array {
    return deriveSecret(this.hash, this.#requireMaster(), "exp master", serverFinishedHash);
  }

  /** resumption_master_secret, over ClientHello..client Finished. */
  resumptionMasterSecret(clientFinishedHash: Uint8Array): Uint8Array {
    return deriveSecret(this.hash, this.#requireMaster(), "res master", clientFinishedHash);
  }

  #requireMaster(): Uint8Array {
    if (this.#masterSecret === undefined) throw new Error("the master secret is not derived yet");
    return this.#masterSecret;
  }
}

/** The handshake type of the synthetic message that replaces ClientHello1 after a HelloRetryRequest. */
const MESSAGE_HASH = 254;

/**
 * The running Transcript-Hash over handshake messages (RFC 8446 §4.4.1). Messages are fed
 * whole, with their 4-byte handshake header, exactly as they travel in CRYPTO frames.
 *
 * @alpha
 */
export class TranscriptHash {
  readonly #algorithm: HashAlgorithm;
  #hash: Hash;

  constructor(algorithm: HashAlgorithm) {
    this.#algorithm = algorithm;
    this.#hash = createHash(algorithm);
  }

  /** Adds one handshake message. */
  update(message: Uint8Array): this {
    this.#hash.update(message);
    return this;
  }

  /** The hash of everything so far; the transcript keeps running (Hash.copy()). */
  digest(): Uint8Array {
    return toUint8Array(this.#hash.copy().digest());
  }

  /**
   * After a HelloRetryRequest, ClientHello1 is replaced by message_hash(254) || 00 00 Hash.length
   * || Hash(ClientHello1) (RFC 8446 §4.4.1). Call this once ClientHello1 alone has been added,
   * before adding the HelloRetryRequest.
   */
  replaceWithMessageHash(): this {
    const inner = this.digest();
    this.#hash = createHash(this.#algorithm);
    this.#hash.update(Uint8Array.of(MESSAGE_HASH, 0, 0, inner.length));
    this.#hash.update(inner);
    return this;
  }
}
