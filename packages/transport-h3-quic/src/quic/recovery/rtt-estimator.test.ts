import { describe, expect, it } from "vitest";
import { RttEstimator } from "./rtt-estimator.js";

function sampled(first: number): RttEstimator {
  const rtt = new RttEstimator();
  rtt.update(first, 0, first, true);
  return rtt;
}

describe("RttEstimator (RFC 9002 §5)", () => {
  it("starts from kInitialRtt: smoothed 333 ms, rttvar 166.5 ms", () => {
    const rtt = new RttEstimator();
    expect([rtt.smoothedRtt, rtt.rttvar, rtt.hasSample]).toEqual([333, 166.5, false]);
    // §6.2.1: PTO = smoothed_rtt + max(4 × rttvar, kGranularity) [+ max_ack_delay]
    expect(rtt.probeTimeout(false)).toBe(999);
    expect(rtt.probeTimeout(true)).toBe(1024);
  });

  it("takes the first sample as smoothed_rtt and half of it as rttvar, ignoring the ack delay", () => {
    const rtt = new RttEstimator();
    rtt.update(100, 30, 500, true);
    expect(rtt).toMatchObject({
      latestRtt: 100,
      minRtt: 100,
      smoothedRtt: 100,
      rttvar: 50,
      firstSampleTime: 500,
    });
  });

  it("subtracts the ack delay from later samples: 7/8 and 3/4 weights with the old smoothed_rtt", () => {
    const rtt = sampled(100);
    rtt.update(120, 10, 1000, true);
    // adjusted = 120 − 10 = 110; rttvar = 3/4·50 + 1/4·|100 − 110| = 40; smoothed = 7/8·100 + 1/8·110
    expect(rtt).toMatchObject({ latestRtt: 120, minRtt: 100, rttvar: 40, smoothedRtt: 101.25 });
  });

  it("caps the ack delay at max_ack_delay only once the handshake is confirmed", () => {
    const confirmed = sampled(100);
    confirmed.update(200, 50, 1000, true);
    // delay capped to 25: adjusted 175; rttvar = 37.5 + 18.75; smoothed = 87.5 + 21.875
    expect([confirmed.rttvar, confirmed.smoothedRtt]).toEqual([56.25, 109.375]);

    const handshaking = sampled(100);
    handshaking.update(200, 50, 1000, false);
    // delay used in full: adjusted 150; rttvar = 37.5 + 12.5; smoothed = 87.5 + 18.75
    expect([handshaking.rttvar, handshaking.smoothedRtt]).toEqual([50, 106.25]);

    const lowCap = new RttEstimator({ maxAckDelay: 5 });
    lowCap.update(100, 0, 100, true);
    lowCap.update(200, 50, 1000, true);
    expect(lowCap.smoothedRtt).toBe(0.875 * 100 + 0.125 * 195);
  });

  it("never lets the ack delay take a sample below min_rtt", () => {
    const rtt = sampled(100);
    rtt.update(105, 10, 1000, true);
    // 105 < min_rtt + ack_delay = 110, so the sample stays 105
    expect([rtt.rttvar, rtt.smoothedRtt]).toEqual([38.75, 100.625]);
  });

  it("tracks min_rtt from raw samples, without the ack delay", () => {
    const rtt = sampled(100);
    rtt.update(80, 10, 1000, true);
    expect(rtt.minRtt).toBe(80);
    // 80 < 80 + 10: unadjusted
    expect(rtt.smoothedRtt).toBe(97.5);
  });

  it("derives the persistent congestion duration and resets min_rtt after persistent congestion", () => {
    const rtt = sampled(100);
    // (100 + max(4·50, 1) + 25) × 3
    expect(rtt.persistentCongestionDuration()).toBe(975);
    rtt.update(300, 0, 2000, true);
    expect(rtt.minRtt).toBe(100);
    rtt.onPersistentCongestion();
    expect(rtt.minRtt).toBe(300);
  });

  it("uses kGranularity when rttvar is tiny", () => {
    const rtt = new RttEstimator({ initialRtt: 10, maxAckDelay: 0 });
    rtt.update(10, 0, 10, true);
    for (let i = 0; i < 40; i++) rtt.update(10, 0, 20 + i, true);
    expect(rtt.rttvar).toBeLessThan(0.25);
    expect(rtt.probeTimeout(true)).toBe(11);
  });

  it("rejects nonsense options", () => {
    expect(() => new RttEstimator({ initialRtt: 0 })).toThrow(RangeError);
    expect(() => new RttEstimator({ maxAckDelay: -1 })).toThrow(RangeError);
  });
});
