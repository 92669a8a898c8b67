/**
 * Pacing (RFC 9002 §7.7): spreads a congestion window's worth of packets over a round trip
 * instead of sending it as one burst.
 *
 * A token bucket refills at N × congestion_window / smoothed_rtt bytes per millisecond, with
 * N = 1.25 so that RTT variation does not leave the window underused. The bucket holds at most
 * one burst, the initial window unless told otherwise (§7.7 asks to limit bursts to it). The
 * pacer takes the window and RTT as arguments on every call, so it works with any controller.
 *
 * @packageDocumentation
 */

import { initialWindow, MIN_MAX_DATAGRAM_SIZE } from "./congestion-control.js";

/**
 * The N of RFC 9002 §7.7's pacing rate.
 *
 * @alpha
 */
export const PACING_GAIN = 1.25;

/**
 * Options of `Pacer`.
 *
 * @alpha
 */
export interface PacerOptions {
  /** The maximum datagram size in bytes; 1200 unless given. */
  readonly maxDatagramSize?: number;
  /** The largest burst in bytes; the initial congestion window unless given, never below one datagram. */
  readonly burst?: number;
  /** The rate multiplier N; 1.25 unless given. */
  readonly gain?: number;
}

/**
 * A token-bucket pacer that says when the next packet may leave.
 *
 * @alpha
 */
export class Pacer {
  /** The bucket size, in bytes. */
  readonly capacity: number;
  /** The rate multiplier N. */
  readonly gain: number;
  #tokens: number;
  #updated: number | undefined;

  constructor(options: PacerOptions = {}) {
    const mds = options.maxDatagramSize ?? MIN_MAX_DATAGRAM_SIZE;
    this.capacity = Math.max(options.burst ?? initialWindow(mds), mds);
    this.gain = options.gain ?? PACING_GAIN;
    if (!(this.gain >= 1)) throw new RangeError("pacing gain must be at least 1");
    this.#tokens = this.capacity;
  }

  /** The pacing rate in bytes per millisecond for a window and smoothed RTT. */
  rate(congestionWindow: number, smoothedRtt: number): number {
    return smoothedRtt > 0 ? (this.gain * congestionWindow) / smoothedRtt : Number.POSITIVE_INFINITY;
  }

  /** The earliest time, `now` or later, at which a packet of `bytes` may be sent. */
  nextSendTime(now: number, bytes: number, congestionWindow: number, smoothedRtt: number): number {
    const rate = this.rate(congestionWindow, smoothedRtt);
    const tokens = this.#refill(now, rate);
    const needed = Math.min(bytes, this.capacity);
    return tokens >= needed ? now : now + (needed - tokens) / rate;
  }

  /**
   * Takes a sent packet's bytes out of the bucket. Packets carrying only ACK frames should not
   * be paced (§7.7) and need not be reported.
   */
  onPacketSent(now: number, bytes: number, congestionWindow: number, smoothedRtt: number): void {
    const tokens = this.#refill(now, this.rate(congestionWindow, smoothedRtt));
    this.#tokens = Math.max(0, tokens - bytes);
  }

  #refill(now: number, rate: number): number {
    const elapsed = this.#updated === undefined ? 0 : Math.max(0, now - this.#updated);
    this.#updated = this.#updated === undefined ? now : Math.max(this.#updated, now);
    this.#tokens =
      rate === Number.POSITIVE_INFINITY
        ? this.capacity
        : Math.min(this.capacity, this.#tokens + elapsed * rate);
    return this.#tokens;
  }
}
