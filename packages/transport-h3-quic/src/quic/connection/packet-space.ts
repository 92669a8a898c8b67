/**
 * The per-space state of a connection (RFC 9000 §12.3): packet numbers, what arrived and needs
 * acknowledging, the CRYPTO stream in each direction, and the keys of the Initial and Handshake
 * levels. 1-RTT keys change phase and live in `one-rtt-keys.ts`.
 *
 * @packageDocumentation
 */

import type { PacketProtectionKeys } from "../crypto/packet-keys.js";
import { TransportErrorCode } from "../errors.js";
import { FrameType } from "../frames/frame.js";
import type { PacketNumberSpace } from "../recovery/packet-number-space.js";
import { AckTracker } from "../recovery/received-packets.js";
import { ReceiveBuffer } from "../streams/receive-buffer.js";
import { SendBuffer } from "../streams/send-buffer.js";
import type { EncryptionLevel } from "../tls/client-handshake.js";

/**
 * How far past the read position CRYPTO data may reach: two of the largest handshake messages
 * the TLS reader accepts, far above the 4096 bytes RFC 9000 §7.5 asks every endpoint to buffer,
 * and a bound on what an out-of-order flight can make us hold.
 *
 * @internal
 */
export const CRYPTO_BUFFER_LIMIT = 2 * 65_540;

/**
 * The TLS encryption level whose handshake bytes travel in a packet number space.
 *
 * @internal
 */
export const LEVEL_OF_SPACE: Readonly<Record<PacketNumberSpace, EncryptionLevel>> = {
  initial: "initial",
  handshake: "handshake",
  application: "application",
};

/**
 * One packet number space of a connection.
 *
 * @internal
 */
export class PacketSpace {
  /** Which space this is. */
  readonly space: PacketNumberSpace;
  /** Received packet numbers and the ACK frames they call for. */
  readonly acks: AckTracker;
  /** Handshake bytes to send at this level. */
  readonly cryptoSend = new SendBuffer();
  /** Handshake bytes received at this level, reassembled. */
  readonly cryptoReceive = new ReceiveBuffer({
    maxBuffered: CRYPTO_BUFFER_LIMIT,
    limitErrorCode: TransportErrorCode.CRYPTO_BUFFER_EXCEEDED,
    frameType: FrameType.CRYPTO,
  });
  /** Keys for packets we send (Initial and Handshake only). */
  sendKeys: PacketProtectionKeys | undefined;
  /** Keys for packets we receive (Initial and Handshake only). */
  receiveKeys: PacketProtectionKeys | undefined;
  /** Set once the keys are discarded (RFC 9001 §4.9): the space then sends and accepts nothing. */
  discarded = false;
  #nextPacketNumber = 0;

  constructor(space: PacketNumberSpace, maxAckDelay: number) {
    this.space = space;
    this.acks = new AckTracker({ space, maxAckDelay });
  }

  /** The packet number the next packet will carry. */
  get nextPacketNumber(): number {
    return this.#nextPacketNumber;
  }

  /** Takes the next packet number. */
  takePacketNumber(): number {
    return this.#nextPacketNumber++;
  }

  /** Drops both keys and marks the space discarded. */
  discard(): void {
    this.discarded = true;
    this.sendKeys = undefined;
    this.receiveKeys = undefined;
  }
}
