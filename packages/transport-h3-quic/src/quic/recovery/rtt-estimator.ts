/**
 * Round-trip time estimation (RFC 9002 §5): min_rtt, smoothed_rtt, rttvar and latest_rtt, and
 * the probe timeout and persistent congestion durations derived from them (§6.2.1, §7.6.1).
 *
 * All times are milliseconds from the caller's monotonic clock (`performance.now()`-like); the
 * estimator reads no clock of its own.
 *
 * @packageDocumentation
 */

import { DEFAULT_TRANSPORT_PARAMETERS } from "../frames/transport-parameters.js";

/**
 * kInitialRtt (RFC 9002 §6.2.2): the RTT assumed before the first sample, in milliseconds.
 *
 * @alpha
 */
export const INITIAL_RTT = 333;

/**
 * kGranularity (RFC 9002 §6.1.2): the timer granularity, in milliseconds.
 *
 * @alpha
 */
export const GRANULARITY = 1;

/**
 * kPersistentCongestionThreshold (RFC 9002 §7.6.1).
 *
 * @alpha
 */
export const PERSISTENT_CONGESTION_THRESHOLD = 3;

/**
 * Options of `RttEstimator`.
 *
 * @alpha
 */
export interface RttEstimatorOptions {
  /** The RTT to assume before the first sample, e.g. from a previous connection; 333 ms unless given. */
  readonly initialRtt?: number;
  /** The peer's max_ack_delay in milliseconds; 25 unless given, and settable once transport parameters arrive. */
  readonly maxAckDelay?: number;
}

/**
 * The RTT estimate of one path (RFC 9002 §5), updated from acknowledgement samples.
 *
 * @alpha
 */
export class RttEstimator {
  /** The most recent RTT sample, before any ack delay adjustment; 0 before the first sample. */
  latestRtt = 0;
  /** The lowest sample seen, never adjusted for ack delay; 0 before the first sample. */
  minRtt = 0;
  /** The exponentially weighted moving average of adjusted samples. */
  smoothedRtt: number;
  /** The mean deviation of the samples. */
  rttvar: number;
  /** When the first sample was taken, or undefined before it; persistent congestion only counts later packets. */
  firstSampleTime: number | undefined;
  /** The peer's max_ack_delay in milliseconds, used in PTO and to cap reported ack delays. */
  maxAckDelay: number;

  constructor(options: RttEstimatorOptions = {}) {
    const initialRtt = options.initialRtt ?? INITIAL_RTT;
    const maxAckDelay = options.maxAckDelay ?? DEFAULT_TRANSPORT_PARAMETERS.maxAckDelay;
    if (!(initialRtt > 0) || !Number.isFinite(initialRtt))
      throw new RangeError("initial RTT must be positive");
    if (!(maxAckDelay >= 0) || !Number.isFinite(maxAckDelay))
      throw new RangeError("max_ack_delay must be a non-negative number");
    this.smoothedRtt = initialRtt;
    this.rttvar = initialRtt / 2;
    this.firstSampleTime = undefined;
    this.maxAckDelay = maxAckDelay;
  }

  /** Whether at least one RTT sample has been taken. */
  get hasSample(): boolean {
    return this.firstSampleTime !== undefined;
  }

  /**
   * Takes one RTT sample: `latestRtt` measured locally, `ackDelay` as the peer reported it
   * (milliseconds), at time `now`. Before the handshake is confirmed the delay is not capped by
   * max_ack_delay, since peers may legitimately delay handshake acknowledgements longer (§5.3).
   */
  update(latestRtt: number, ackDelay: number, now: number, handshakeConfirmed: boolean): void {
    const sample = Math.max(0, latestRtt);
    this.latestRtt = sample;
    if (this.firstSampleTime === undefined) {
      this.minRtt = sample;
      this.smoothedRtt = sample;
      this.rttvar = sample / 2;
      this.firstSampleTime = now;
      return;
    }
    this.minRtt = Math.min(this.minRtt, sample);
    const delay = handshakeConfirmed
      ? Math.min(Math.max(0, ackDelay), this.maxAckDelay)
      : Math.max(0, ackDelay);
    // Subtracting the delay must not take the sample below min_rtt: min_rtt was measured
    // without the peer's say, so it bounds how much a wrong ack delay can shrink the estimate.
    const adjusted = sample >= this.minRtt + delay ? sample - delay : sample;
    // rttvar uses the smoothed_rtt from before this sample, as RFC 6298 does and as RFC 9002
    // Appendix A.7 and erratum 7539 correct §5.3's ordering to.
    this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.smoothedRtt - adjusted);
    this.smoothedRtt = 0.875 * this.smoothedRtt + 0.125 * adjusted;
  }

  /**
   * The probe timeout before backoff (RFC 9002 §6.2.1); Initial and Handshake acknowledgements
   * are not delayed by the peer, so only application data includes max_ack_delay.
   */
  probeTimeout(includeMaxAckDelay: boolean): number {
    return (
      this.smoothedRtt + Math.max(4 * this.rttvar, GRANULARITY) + (includeMaxAckDelay ? this.maxAckDelay : 0)
    );
  }

  /** How long a run of losses must span to be persistent congestion (RFC 9002 §7.6.1). */
  persistentCongestionDuration(): number {
    return this.probeTimeout(true) * PERSISTENT_CONGESTION_THRESHOLD;
  }

  /**
   * Forgets min_rtt in favour of the latest sample after persistent congestion (§5.2), so a
   * path whose RTT has grown does not keep declaring persistent congestion.
   */
  onPersistentCongestion(): void {
    if (this.firstSampleTime !== undefined) this.minRtt = this.latestRtt;
  }
}
