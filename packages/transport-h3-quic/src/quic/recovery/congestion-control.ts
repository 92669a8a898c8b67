/**
 * Congestion control (RFC 9002 §7, Appendix B): the `CongestionController` seam and NewReno
 * behind it, with bytes_in_flight accounting.
 *
 * The controller is told about packets, never about frames or packet number spaces: loss
 * detection decides what was acknowledged, lost or discarded, and the controller only turns
 * that into a window. CUBIC or another algorithm can replace NewReno by implementing the same
 * interface.
 *
 * @packageDocumentation
 */

import type { RttEstimator } from "./rtt-estimator.js";

/**
 * The smallest maximum datagram size QUIC allows (RFC 9000 §14), and the default here.
 *
 * @alpha
 */
export const MIN_MAX_DATAGRAM_SIZE = 1200;

/**
 * kLossReductionFactor (RFC 9002 §7.3.2).
 *
 * @alpha
 */
export const LOSS_REDUCTION_FACTOR = 0.5;

/**
 * The initial congestion window for a maximum datagram size (RFC 9002 §7.2), in bytes.
 *
 * @alpha
 */
export function initialWindow(maxDatagramSize: number): number {
  return Math.min(10 * maxDatagramSize, Math.max(14720, 2 * maxDatagramSize));
}

/**
 * kMinimumWindow, the congestion window's floor (RFC 9002 §7.2), in bytes.
 *
 * @alpha
 */
export function minimumWindow(maxDatagramSize: number): number {
  return 2 * maxDatagramSize;
}

/**
 * What a congestion controller needs to know about one sent packet.
 *
 * @alpha
 */
export interface CongestionPacket {
  /** The bytes the packet took on the wire, UDP payload only. */
  readonly size: number;
  /** When it was sent, in milliseconds. */
  readonly timeSent: number;
  /** Whether it counts toward bytes in flight: ack-eliciting or padded (RFC 9002 §2). */
  readonly inFlight: boolean;
}

/**
 * A congestion control algorithm, fed by loss detection; NewReno is the one provided.
 *
 * @alpha
 */
export interface CongestionController {
  /** The congestion window, in bytes. */
  readonly congestionWindow: number;
  /** The bytes of in-flight packets sent and not yet acknowledged, lost or discarded. */
  readonly bytesInFlight: number;
  /** Whether a packet of `bytes` may be sent without exceeding the window (PTO probes may exceed it, §7.5). */
  canSend(bytes: number): boolean;
  /** A packet was sent; only in-flight packets count. */
  onPacketSent(packet: CongestionPacket, now: number): void;
  /** Packets were newly acknowledged, all in one ACK frame. */
  onPacketsAcked(packets: readonly CongestionPacket[], now: number, rtt: RttEstimator): void;
  /** Packets were declared lost; `persistentCongestion` when loss detection established it (§7.6). */
  onPacketsLost(packets: readonly CongestionPacket[], now: number, persistentCongestion: boolean): void;
  /** The peer reported a new ECN-CE mark on the packet sent at `timeSent` or before (§7.1, B.7). */
  onCongestionEvent(timeSent: number, now: number): void;
  /** Packets were forgotten with their keys (§6.4): they leave bytes in flight without any verdict. */
  onPacketsDiscarded(packets: readonly CongestionPacket[]): void;
}

/**
 * Options of `NewReno`.
 *
 * @alpha
 */
export interface NewRenoOptions {
  /** The maximum datagram size in bytes; 1200 unless given. */
  readonly maxDatagramSize?: number;
}

/**
 * The NewReno congestion controller of RFC 9002 §7 and Appendix B.
 *
 * @alpha
 */
export class NewReno implements CongestionController {
  /** The maximum datagram size the windows are computed from. */
  readonly maxDatagramSize: number;
  /** The congestion window, in bytes. */
  congestionWindow: number;
  /** The slow start threshold; Infinity until the first congestion event. */
  ssthresh = Number.POSITIVE_INFINITY;
  /** The bytes in flight. */
  bytesInFlight = 0;
  /** When the current recovery period started, or undefined outside recovery. */
  recoveryStartTime: number | undefined;
  /**
   * Set by the connection while it is application or flow control limited: acknowledgements then
   * do not grow the window (§7.8), since a window that was never filled has not been tested.
   */
  appLimited = false;
  // Bytes acknowledged in congestion avoidance since the window last grew; integer growth of
  // one datagram per window acknowledged instead of fractions of a byte per packet (§7.3.3).
  #ackedInAvoidance = 0;

  constructor(options: NewRenoOptions = {}) {
    const mds = options.maxDatagramSize ?? MIN_MAX_DATAGRAM_SIZE;
    if (!Number.isInteger(mds) || mds < MIN_MAX_DATAGRAM_SIZE)
      throw new RangeError(`max datagram size must be an integer ≥ ${MIN_MAX_DATAGRAM_SIZE}`);
    this.maxDatagramSize = mds;
    this.congestionWindow = initialWindow(mds);
  }

  /** Whether the window has room for `bytes` more. */
  canSend(bytes: number): boolean {
    return this.bytesInFlight + bytes <= this.congestionWindow;
  }

  /** Whether a packet sent at `timeSent` belongs to the current recovery period (B.5). */
  inRecovery(timeSent: number): boolean {
    return this.recoveryStartTime !== undefined && timeSent <= this.recoveryStartTime;
  }

  /** Adds an in-flight packet to bytes in flight. */
  onPacketSent(packet: CongestionPacket, _now: number): void {
    if (packet.inFlight) this.bytesInFlight += packet.size;
  }

  /** Removes acknowledged packets from flight and grows the window: slow start, then congestion avoidance (B.5). */
  onPacketsAcked(packets: readonly CongestionPacket[], _now: number, _rtt: RttEstimator): void {
    for (const packet of packets) {
      if (!packet.inFlight) continue;
      this.#removeFromFlight(packet.size);
      if (this.appLimited || this.inRecovery(packet.timeSent)) continue;
      if (this.congestionWindow < this.ssthresh) {
        this.congestionWindow += packet.size;
        continue;
      }
      this.#ackedInAvoidance += packet.size;
      while (this.#ackedInAvoidance >= this.congestionWindow) {
        this.#ackedInAvoidance -= this.congestionWindow;
        this.congestionWindow += this.maxDatagramSize;
      }
    }
  }

  /** Removes lost packets from flight and reacts once per recovery period, or to persistent congestion (B.8). */
  onPacketsLost(packets: readonly CongestionPacket[], now: number, persistentCongestion: boolean): void {
    let lastLossSent: number | undefined;
    for (const packet of packets) {
      if (!packet.inFlight) continue;
      this.#removeFromFlight(packet.size);
      lastLossSent = lastLossSent === undefined ? packet.timeSent : Math.max(lastLossSent, packet.timeSent);
    }
    if (lastLossSent !== undefined) this.onCongestionEvent(lastLossSent, now);
    if (persistentCongestion) {
      // Like a TCP RTO: the path may have changed completely, so restart from the floor and
      // leave recovery, letting slow start probe again up to the halved ssthresh.
      this.congestionWindow = minimumWindow(this.maxDatagramSize);
      this.recoveryStartTime = undefined;
      this.#ackedInAvoidance = 0;
    }
  }

  /** Halves the window and enters recovery, unless the packet sent at `timeSent` is already covered (B.6). */
  onCongestionEvent(timeSent: number, now: number): void {
    // One reduction per round trip: losses of packets sent before recovery began are the same
    // congestion event that started it (§7.3.2).
    if (this.inRecovery(timeSent)) return;
    this.recoveryStartTime = now;
    this.ssthresh = Math.floor(this.congestionWindow * LOSS_REDUCTION_FACTOR);
    this.congestionWindow = Math.max(this.ssthresh, minimumWindow(this.maxDatagramSize));
    this.#ackedInAvoidance = 0;
  }

  /** Removes packets of discarded keys from flight, with no congestion response (B.9). */
  onPacketsDiscarded(packets: readonly CongestionPacket[]): void {
    for (const packet of packets) if (packet.inFlight) this.#removeFromFlight(packet.size);
  }

  #removeFromFlight(size: number): void {
    // Going below zero would mean a packet was counted out twice: a bug in the caller that
    // would otherwise silently let the sender exceed its window.
    if (size > this.bytesInFlight) throw new RangeError("bytes in flight would go negative");
    this.bytesInFlight -= size;
  }
}
