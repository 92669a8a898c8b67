/**
 * Receive-side acknowledgement state for one packet number space (RFC 9000 §13.2): which packet
 * numbers arrived, whether a new one is a duplicate, when an ACK frame is due, and the frame.
 *
 * Received packet numbers are kept as ranges, highest first, which is the order ACK frames
 * carry them. The number of ranges is bounded; when it overflows, the lowest range is forgotten.
 * Everything at or below what has been forgotten counts as already received, so an old packet
 * whose number can no longer be checked is dropped as a possible duplicate (RFC 9000 §12.3 only
 * lets a receiver process a packet it is certain it has not processed). The same happens once
 * the peer acknowledges one of our ACK frames: the peer then knows about every packet up to that
 * frame's Largest Acknowledged, so those need not be acknowledged again (§13.2.4).
 *
 * @packageDocumentation
 */

import type { AckFrame, AckRange } from "../frames/frame.js";
import { DEFAULT_TRANSPORT_PARAMETERS } from "../frames/transport-parameters.js";
import type { PacketNumberSpace } from "./packet-number-space.js";

/**
 * How many ranges an `AckTracker` keeps unless told otherwise.
 *
 * @alpha
 */
export const DEFAULT_MAX_ACK_RANGES = 32;

/**
 * The ACK Delay field for a delay in milliseconds (RFC 9000 §19.3): microseconds divided by
 * 2^ack_delay_exponent, rounded down.
 *
 * @alpha
 */
export function encodeAckDelay(delay: number, ackDelayExponent: number): number {
  return Math.floor((Math.max(0, delay) * 1000) / 2 ** ackDelayExponent);
}

/**
 * The delay in milliseconds an ACK Delay field stands for, given the ack_delay_exponent of the
 * endpoint that sent the ACK frame (RFC 9000 §19.3).
 *
 * @alpha
 */
export function decodeAckDelay(encoded: number, ackDelayExponent: number): number {
  return (encoded * 2 ** ackDelayExponent) / 1000;
}

/**
 * The ECN codepoint a packet arrived with (RFC 9000 §13.4); a packet without ECN has none.
 *
 * @alpha
 */
export type EcnCodepoint = "ect0" | "ect1" | "ce";

/**
 * Options of `AckTracker`.
 *
 * @alpha
 */
export interface AckTrackerOptions {
  /** The packet number space tracked; Initial and Handshake packets are acknowledged at once. */
  readonly space: PacketNumberSpace;
  /** Our max_ack_delay transport parameter, in milliseconds; 25 unless given. */
  readonly maxAckDelay?: number;
  /** Our ack_delay_exponent transport parameter; 3 unless given. */
  readonly ackDelayExponent?: number;
  /** The most ranges kept and sent in one ACK frame; 32 unless given. */
  readonly maxRanges?: number;
  /** How many ack-eliciting packets make an application-data ACK due at once (§13.2.2); 2 unless given. */
  readonly ackElicitingThreshold?: number;
}

interface MutableRange {
  smallest: number;
  largest: number;
}

/**
 * The packets received in one packet number space, and when and what to acknowledge.
 *
 * @alpha
 */
export class AckTracker {
  /** The packet number space tracked. */
  readonly space: PacketNumberSpace;
  readonly #maxAckDelay: number;
  readonly #ackDelayExponent: number;
  readonly #maxRanges: number;
  readonly #threshold: number;
  readonly #ranges: MutableRange[] = [];
  // Every packet number at or below this counts as received: pruned or forgotten ranges.
  #floor = -1;
  #largestReceived = -1;
  #largestReceivedTime = 0;
  #largestAckEliciting = -1;
  #ackElicitingSinceAck = 0;
  #ackDeadline: number | undefined;
  #unacknowledged = false;
  #ecn: { ect0: number; ect1: number; ce: number } | undefined;

  constructor(options: AckTrackerOptions) {
    this.space = options.space;
    this.#maxAckDelay = options.maxAckDelay ?? DEFAULT_TRANSPORT_PARAMETERS.maxAckDelay;
    this.#ackDelayExponent = options.ackDelayExponent ?? DEFAULT_TRANSPORT_PARAMETERS.ackDelayExponent;
    this.#maxRanges = options.maxRanges ?? DEFAULT_MAX_ACK_RANGES;
    this.#threshold = options.ackElicitingThreshold ?? 2;
    if (!(this.#maxAckDelay >= 0)) throw new RangeError("max_ack_delay must be non-negative");
    if (
      !Number.isInteger(this.#ackDelayExponent) ||
      this.#ackDelayExponent < 0 ||
      this.#ackDelayExponent > 20
    )
      throw new RangeError("ack_delay_exponent must be an integer in 0..20");
    if (!Number.isInteger(this.#maxRanges) || this.#maxRanges < 1)
      throw new RangeError("maxRanges must be a positive integer");
    if (!Number.isInteger(this.#threshold) || this.#threshold < 1)
      throw new RangeError("ackElicitingThreshold must be a positive integer");
  }

  /** The largest packet number received, or -1 before any; the base for decoding packet numbers. */
  get largestReceived(): number {
    return this.#largestReceived;
  }

  /**
   * When an ACK frame must be sent, or undefined if none is owed; a time at or before the
   * current one means "now". Only ack-eliciting packets set it (§13.2.1).
   */
  get ackDeadline(): number | undefined {
    return this.#ackDeadline;
  }

  /** Whether an ACK frame is owed by `now`. */
  ackDue(now: number): boolean {
    return this.#ackDeadline !== undefined && now >= this.#ackDeadline;
  }

  /**
   * Whether packets arrived since the last ACK frame was sent, even if none asks for one: the
   * connection can then add an ACK frame to a packet it is sending anyway.
   */
  get hasUnacknowledged(): boolean {
    return this.#unacknowledged;
  }

  /**
   * Whether a packet with this number may already have been processed: it was received, or it
   * is at or below the ranges this tracker has stopped remembering.
   */
  isDuplicate(packetNumber: number): boolean {
    if (packetNumber <= this.#floor) return true;
    for (const range of this.#ranges) {
      if (packetNumber > range.largest) return false;
      if (packetNumber >= range.smallest) return true;
    }
    return false;
  }

  /**
   * Records a packet that was decrypted and processed at `now`. Returns false, changing
   * nothing, for a duplicate (see `isDuplicate`), which the connection must not process.
   */
  onPacketReceived(packetNumber: number, now: number, ackEliciting: boolean, ecn?: EcnCodepoint): boolean {
    if (!Number.isSafeInteger(packetNumber) || packetNumber < 0)
      throw new RangeError("packet number must be a non-negative integer");
    if (this.isDuplicate(packetNumber)) return false;
    this.#insert(packetNumber);
    if (packetNumber > this.#largestReceived) {
      this.#largestReceived = packetNumber;
      this.#largestReceivedTime = now;
    }
    if (ecn !== undefined) {
      this.#ecn ??= { ect0: 0, ect1: 0, ce: 0 };
      this.#ecn[ecn]++;
    }
    this.#unacknowledged = true;
    if (!ackEliciting) return true;

    // §13.2.1: a packet below an ack-eliciting one already received, or one that leaves a gap
    // above the highest ack-eliciting one, means reordering or loss; the sender's loss detection
    // needs to hear about it now rather than after max_ack_delay.
    // A range dropped for the range limit at once means the packet was far below the rest.
    const range = this.#rangeOf(packetNumber);
    const outOfOrder =
      packetNumber < this.#largestAckEliciting ||
      range === undefined ||
      range.smallest > Math.max(this.#largestAckEliciting, this.#floor) + 1;
    this.#largestAckEliciting = Math.max(this.#largestAckEliciting, packetNumber);
    this.#ackElicitingSinceAck++;
    const immediate =
      this.space !== "application" ||
      outOfOrder ||
      ecn === "ce" ||
      this.#ackElicitingSinceAck >= this.#threshold;
    const deadline = immediate ? now : now + this.#maxAckDelay;
    this.#ackDeadline = this.#ackDeadline === undefined ? deadline : Math.min(this.#ackDeadline, deadline);
    return true;
  }

  /** The received ranges, highest first, as an ACK frame would carry them. */
  ranges(): AckRange[] {
    return this.#ranges.map(({ smallest, largest }) => ({ smallest, largest }));
  }

  /**
   * The ACK frame to send at `now`, or undefined if nothing is left to acknowledge. It does not
   * count as sent until `onAckSent`.
   */
  ackFrame(now: number): AckFrame | undefined {
    if (this.#ranges.length === 0) return undefined;
    const frame: AckFrame = { type: "ack", ackDelay: this.#encodedAckDelay(now), ranges: this.ranges() };
    return this.#ecn === undefined ? frame : { ...frame, ecn: { ...this.#ecn } };
  }

  /** Records that an ACK frame built by `ackFrame` went out: nothing is owed until more packets arrive. */
  onAckSent(): void {
    this.#ackElicitingSinceAck = 0;
    this.#ackDeadline = undefined;
    this.#unacknowledged = false;
  }

  /**
   * Records that the peer acknowledged a packet carrying one of our ACK frames whose Largest
   * Acknowledged was `largestAcknowledged`: packets up to it need no acknowledging again.
   */
  onAckAcknowledged(largestAcknowledged: number): void {
    // Our ACK frames never go above what arrived; a larger value would make real packets duplicates.
    const upTo = Math.min(largestAcknowledged, this.#largestReceived);
    if (upTo <= this.#floor) return;
    this.#floor = upTo;
    let keep = this.#ranges.length;
    while (keep > 0 && this.#ranges[keep - 1]!.largest <= upTo) keep--;
    this.#ranges.length = keep;
    const last = this.#ranges[keep - 1];
    if (last !== undefined && last.smallest <= upTo) last.smallest = upTo + 1;
  }

  #encodedAckDelay(now: number): number {
    // Initial and Handshake ACKs are never delayed on purpose, and the peer may not know our
    // ack_delay_exponent yet when it reads them; 0 cannot be misread (RFC 9002 §5.3 lets it
    // ignore those delays anyway).
    if (this.space !== "application") return 0;
    return encodeAckDelay(now - this.#largestReceivedTime, this.#ackDelayExponent);
  }

  #rangeOf(packetNumber: number): MutableRange | undefined {
    for (const range of this.#ranges) {
      if (packetNumber > range.largest) return undefined;
      if (packetNumber >= range.smallest) return range;
    }
    return undefined;
  }

  #insert(packetNumber: number): void {
    const ranges = this.#ranges;
    let i = 0;
    while (i < ranges.length && ranges[i]!.largest > packetNumber) i++;
    const above = ranges[i - 1];
    const below = ranges[i];
    const joinsAbove = above !== undefined && above.smallest === packetNumber + 1;
    const joinsBelow = below !== undefined && below.largest === packetNumber - 1;
    if (joinsAbove && joinsBelow) {
      above.smallest = below.smallest;
      ranges.splice(i, 1);
    } else if (joinsAbove) {
      above.smallest = packetNumber;
    } else if (joinsBelow) {
      below.largest = packetNumber;
    } else {
      ranges.splice(i, 0, { smallest: packetNumber, largest: packetNumber });
    }
    if (ranges.length > this.#maxRanges) {
      // Dropping the oldest range keeps ACK frames bounded; packets in it that the peer has not
      // heard about will be declared lost and their data sent again, which costs bandwidth only.
      const dropped = ranges.pop()!;
      this.#floor = Math.max(this.#floor, dropped.largest);
    }
  }
}
