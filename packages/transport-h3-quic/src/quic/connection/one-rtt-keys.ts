/**
 * 1-RTT packet protection with key updates (RFC 9001 §6). The Key Phase bit of a short header
 * says which generation of keys protected a packet; a flip means the sender moved to the next
 * generation, derived from the current secret with "quic ku".
 *
 * Send and receive phases are kept apart. When the peer updates, the first packet in its new
 * phase decrypts with the precomputed next receive keys, and our send keys follow at once
 * (§6.2). When we update, our send keys move first and the receive side follows once the
 * peer answers in the new phase. The keys of the previous receive phase stay for a while
 * (§6.5), so packets that were reordered across the update still decrypt.
 *
 * @packageDocumentation
 */

import { type PacketProtectionKeys, updatePacketProtectionKeys } from "../crypto/packet-keys.js";
import { decryptPayload, type UnprotectedHeader } from "../packet/packet-protection.js";

/**
 * The outcome of opening a 1-RTT packet.
 *
 * @internal
 */
export interface OpenedOneRtt {
  /** The decrypted frames. */
  readonly payload: Uint8Array;
  /** True when this packet moved the receive side to a new key phase. */
  readonly keyUpdated: boolean;
}

/**
 * The 1-RTT keys of one connection across key phases.
 *
 * @internal
 */
export class OneRttKeys {
  #send: PacketProtectionKeys;
  #receive: PacketProtectionKeys;
  #nextReceive: PacketProtectionKeys;
  #previousReceive: PacketProtectionKeys | undefined;
  #previousUntil = 0;
  #sendPhase = false;
  #receivePhase = false;
  // The lowest packet number received in the current receive phase: a packet with the other
  // phase bit below it belongs to the previous phase, above it to the next (§6.5).
  #receivePhaseStart: number | undefined;
  #sendPhaseStart: number | undefined;
  #sendPhaseAcked = false;
  #packetsSent = 0;
  #updates = 0;

  constructor(send: PacketProtectionKeys, receive: PacketProtectionKeys) {
    this.#send = send;
    this.#receive = receive;
    this.#nextReceive = updatePacketProtectionKeys(receive);
  }

  /** The keys to protect the next packet with. */
  get send(): PacketProtectionKeys {
    return this.#send;
  }

  /** The Key Phase bit to send. */
  get sendPhase(): boolean {
    return this.#sendPhase;
  }

  /** The header protection keys never change with the phase (§6): the receive side's. */
  get receiveHeaderProtection(): PacketProtectionKeys["headerProtection"] {
    return this.#receive.headerProtection;
  }

  /** How many key updates happened, either side's. */
  get updates(): number {
    return this.#updates;
  }

  /** How many packets the current send keys protected, for the confidentiality limit (§6.6). */
  get packetsSentInPhase(): number {
    return this.#packetsSent;
  }

  /** Records a packet sent with the current keys. */
  onPacketSent(packetNumber: number): void {
    this.#sendPhaseStart ??= packetNumber;
    this.#packetsSent++;
  }

  /** Records that the peer acknowledged `largest`, to know when a new update may start (§6.1). */
  onAckReceived(largest: number): void {
    if (this.#sendPhaseStart !== undefined && largest >= this.#sendPhaseStart) this.#sendPhaseAcked = true;
  }

  /**
   * Whether we may start a key update: the peer answered the last one in kind and acknowledged a
   * packet of the current phase (§6.1). The caller also needs the handshake confirmed.
   */
  get canUpdate(): boolean {
    return this.#sendPhase === this.#receivePhase && this.#sendPhaseAcked;
  }

  /** Moves the send side to the next key phase; `canUpdate` must be true. */
  update(): void {
    if (!this.canUpdate) throw new Error("a key update is already in progress");
    this.#advanceSend();
  }

  /**
   * Decrypts a packet whose header protection is removed, choosing the keys by its phase bit;
   * `retainFor` is how long to keep the keys of a phase this packet ends (three PTOs, §6.5).
   * Returns undefined if no key opens it.
   */
  open(
    header: UnprotectedHeader,
    packet: Uint8Array,
    now: number,
    retainFor: number,
  ): OpenedOneRtt | undefined {
    if (this.#previousReceive !== undefined && now >= this.#previousUntil) this.#previousReceive = undefined;
    if (header.keyPhase === this.#receivePhase) {
      const payload = decryptPayload(this.#receive, header, packet);
      if (payload === undefined) return undefined;
      this.#receivePhaseStart = Math.min(this.#receivePhaseStart ?? header.packetNumber, header.packetNumber);
      return { payload, keyUpdated: false };
    }
    const older =
      this.#previousReceive !== undefined &&
      this.#receivePhaseStart !== undefined &&
      header.packetNumber < this.#receivePhaseStart;
    if (older) {
      const payload = decryptPayload(this.#previousReceive!, header, packet);
      return payload === undefined ? undefined : { payload, keyUpdated: false };
    }
    const payload = decryptPayload(this.#nextReceive, header, packet);
    if (payload === undefined) return undefined;
    this.#advanceReceive(header.packetNumber, now + retainFor);
    return { payload, keyUpdated: true };
  }

  #advanceReceive(packetNumber: number, previousUntil: number): void {
    this.#previousReceive = this.#receive;
    this.#previousUntil = previousUntil;
    this.#receive = this.#nextReceive;
    this.#nextReceive = updatePacketProtectionKeys(this.#receive);
    this.#receivePhase = !this.#receivePhase;
    this.#receivePhaseStart = packetNumber;
    // The peer started this update: answer in the same phase from the next packet on (§6.2).
    if (this.#sendPhase !== this.#receivePhase) this.#advanceSend();
  }

  #advanceSend(): void {
    this.#send = updatePacketProtectionKeys(this.#send);
    this.#sendPhase = !this.#sendPhase;
    this.#sendPhaseStart = undefined;
    this.#sendPhaseAcked = false;
    this.#packetsSent = 0;
    this.#updates++;
  }
}
