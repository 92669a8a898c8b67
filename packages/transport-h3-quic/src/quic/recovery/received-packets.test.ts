import { describe, expect, it } from "vitest";
import type { AckFrame } from "../frames/frame.js";
import { decodeFrames, encodeFrames } from "../frames/frame-codec.js";
import { toHex } from "../test-support/hex.js";
import { AckTracker, decodeAckDelay, encodeAckDelay } from "./received-packets.js";

function roundTrip(frame: AckFrame): AckFrame {
  const [decoded] = decodeFrames(encodeFrames([frame]), "1rtt");
  return decoded as AckFrame;
}

function receiveAll(tracker: AckTracker, packetNumbers: number[], now = 0): void {
  for (const pn of packetNumbers) expect(tracker.onPacketReceived(pn, now, true)).toBe(true);
}

describe("AckTracker ranges and ACK frames (RFC 9000 §13.2, §19.3)", () => {
  it("keeps received packet numbers as ranges, highest first, whatever the arrival order", () => {
    const tracker = new AckTracker({ space: "application" });
    receiveAll(tracker, [0, 2, 1, 9, 5, 6]);
    expect(tracker.ranges()).toEqual([
      { smallest: 9, largest: 9 },
      { smallest: 5, largest: 6 },
      { smallest: 0, largest: 2 },
    ]);
    expect(tracker.largestReceived).toBe(9);
    receiveAll(tracker, [7, 8, 3, 4]);
    expect(tracker.ranges()).toEqual([{ smallest: 0, largest: 9 }]);
  });

  it("builds the ACK frame frame-codec.ts encodes and decodes back to the same value", () => {
    const tracker = new AckTracker({ space: "application" });
    receiveAll(tracker, [0, 2, 1, 9, 5, 6]);
    const frame = tracker.ackFrame(1)!;
    // 1 ms since the largest arrived = 1000 µs >> 3 = 125 (a two-byte varint)
    expect(frame).toEqual({
      type: "ack",
      ackDelay: 125,
      ranges: [
        { smallest: 9, largest: 9 },
        { smallest: 5, largest: 6 },
        { smallest: 0, largest: 2 },
      ],
    });
    // Largest 9, delay 125, 2 more ranges, first range 0; gap 9−6−2 = 1, length 1; gap 5−2−2 = 1, length 2.
    expect(toHex(encodeFrames([frame]))).toBe("0209407d020001010102");
    expect(roundTrip(frame)).toEqual(frame);
  });

  it("encodes the ack delay with the ack_delay_exponent, measured from the largest packet's arrival", () => {
    for (const [exponent, expected] of [
      [0, 10000],
      [3, 1250],
      [10, 9],
    ] as const) {
      const tracker = new AckTracker({ space: "application", ackDelayExponent: exponent });
      tracker.onPacketReceived(4, 100, true);
      tracker.onPacketReceived(2, 105, true);
      expect(tracker.ackFrame(110)!.ackDelay).toBe(expected);
    }
    expect(encodeAckDelay(0.0123, 0)).toBe(12);
    expect(encodeAckDelay(-5, 3)).toBe(0);
    expect(decodeAckDelay(1250, 3)).toBe(10);
    expect(decodeAckDelay(125, 3)).toBe(1);
  });

  it("reports no delay in Initial and Handshake ACKs", () => {
    for (const space of ["initial", "handshake"] as const) {
      const tracker = new AckTracker({ space });
      tracker.onPacketReceived(0, 0, true);
      expect(tracker.ackFrame(50)!.ackDelay).toBe(0);
    }
  });

  it("counts ECN codepoints and sends ACK_ECN once any arrived", () => {
    const tracker = new AckTracker({ space: "application" });
    tracker.onPacketReceived(0, 0, false);
    expect(tracker.ackFrame(0)!.ecn).toBeUndefined();
    tracker.onPacketReceived(1, 0, true, "ect0");
    tracker.onPacketReceived(2, 0, true, "ect0");
    tracker.onPacketReceived(3, 0, true, "ce");
    tracker.onPacketReceived(3, 0, true, "ce");
    const frame = tracker.ackFrame(0)!;
    expect(frame.ecn).toEqual({ ect0: 2, ect1: 0, ce: 1 });
    expect(toHex(encodeFrames([frame])).slice(0, 2)).toBe("03");
    expect(roundTrip(frame)).toEqual(frame);
  });

  it("has no ACK frame before any packet", () => {
    expect(new AckTracker({ space: "initial" }).ackFrame(0)).toBeUndefined();
  });
});

describe("AckTracker duplicates", () => {
  it("refuses a packet number received before, changing nothing", () => {
    const tracker = new AckTracker({ space: "application" });
    expect(tracker.onPacketReceived(0, 0, true)).toBe(true);
    expect(tracker.ackDeadline).toBe(25);
    expect(tracker.isDuplicate(0)).toBe(true);
    expect(tracker.isDuplicate(1)).toBe(false);
    expect(tracker.onPacketReceived(0, 10, true, "ce")).toBe(false);
    // A second ack-eliciting packet would have made the ACK due at once; a duplicate does not.
    expect(tracker.ackDeadline).toBe(25);
    expect(tracker.ackFrame(10)!.ecn).toBeUndefined();
  });

  it("rejects packet numbers that are not non-negative integers", () => {
    const tracker = new AckTracker({ space: "application" });
    expect(() => tracker.onPacketReceived(-1, 0, true)).toThrow(RangeError);
    expect(() => tracker.onPacketReceived(1.5, 0, true)).toThrow(RangeError);
  });
});

describe("AckTracker: when an ACK is due (RFC 9000 §13.2.1, §13.2.2)", () => {
  it("acknowledges ack-eliciting Initial and Handshake packets immediately", () => {
    for (const space of ["initial", "handshake"] as const) {
      const tracker = new AckTracker({ space });
      tracker.onPacketReceived(0, 7, true);
      expect(tracker.ackDeadline).toBe(7);
      expect(tracker.ackDue(7)).toBe(true);
    }
  });

  it("delays a 1-RTT ACK up to max_ack_delay, and sends it after the second ack-eliciting packet", () => {
    const tracker = new AckTracker({ space: "application", maxAckDelay: 20 });
    tracker.onPacketReceived(0, 100, true);
    expect(tracker.ackDeadline).toBe(120);
    expect(tracker.ackDue(119)).toBe(false);
    expect(tracker.ackDue(120)).toBe(true);
    tracker.onPacketReceived(1, 105, true);
    expect(tracker.ackDeadline).toBe(105);

    tracker.onAckSent();
    expect([tracker.ackDeadline, tracker.hasUnacknowledged]).toEqual([undefined, false]);
    tracker.onPacketReceived(2, 200, true);
    expect(tracker.ackDeadline).toBe(220);
  });

  it("honours a different ack-eliciting threshold", () => {
    const tracker = new AckTracker({ space: "application", ackElicitingThreshold: 3 });
    tracker.onPacketReceived(0, 0, true);
    tracker.onPacketReceived(1, 1, true);
    expect(tracker.ackDeadline).toBe(25);
    tracker.onPacketReceived(2, 2, true);
    expect(tracker.ackDeadline).toBe(2);
  });

  it("owes no ACK for non-ack-eliciting packets, but includes them in the next one", () => {
    const tracker = new AckTracker({ space: "application" });
    tracker.onPacketReceived(0, 0, false);
    tracker.onPacketReceived(5, 1, false);
    expect(tracker.ackDeadline).toBeUndefined();
    expect(tracker.hasUnacknowledged).toBe(true);
    // A later packet's deadline is not moved by a non-ack-eliciting one.
    tracker.onPacketReceived(6, 2, true);
    const deadline = tracker.ackDeadline;
    tracker.onPacketReceived(7, 3, false);
    expect(tracker.ackDeadline).toBe(deadline);
    expect(tracker.ackFrame(4)!.ranges).toEqual([
      { smallest: 5, largest: 7 },
      { smallest: 0, largest: 0 },
    ]);
  });

  it("acknowledges at once when a packet leaves a gap or fills one", () => {
    const tracker = new AckTracker({ space: "application" });
    tracker.onPacketReceived(0, 0, true);
    expect(tracker.ackDeadline).toBe(25);
    tracker.onAckSent();
    tracker.onPacketReceived(2, 1, true);
    expect(tracker.ackDeadline).toBe(1);
    tracker.onAckSent();
    // Below an ack-eliciting packet already received: reordering the sender should learn of.
    tracker.onPacketReceived(1, 2, true);
    expect(tracker.ackDeadline).toBe(2);
  });

  it("does not count a gap filled by a non-ack-eliciting packet", () => {
    const tracker = new AckTracker({ space: "application" });
    tracker.onPacketReceived(0, 0, true);
    tracker.onAckSent();
    tracker.onPacketReceived(1, 1, false);
    tracker.onPacketReceived(2, 2, true);
    expect(tracker.ackDeadline).toBe(27);
  });

  it("treats a first packet above 0 as leaving a gap", () => {
    const tracker = new AckTracker({ space: "application" });
    tracker.onPacketReceived(3, 5, true);
    expect(tracker.ackDeadline).toBe(5);
  });

  it("acknowledges an ECN-CE marked packet at once", () => {
    const tracker = new AckTracker({ space: "application" });
    tracker.onPacketReceived(0, 0, true, "ce");
    expect(tracker.ackDeadline).toBe(0);
  });
});

describe("AckTracker bounds", () => {
  it("keeps at most maxRanges ranges, forgetting the lowest and treating it as received", () => {
    const tracker = new AckTracker({ space: "application", maxRanges: 3 });
    receiveAll(tracker, [0, 2, 4, 6, 8]);
    expect(tracker.ranges()).toEqual([
      { smallest: 8, largest: 8 },
      { smallest: 6, largest: 6 },
      { smallest: 4, largest: 4 },
    ]);
    expect([0, 1, 2].map((pn) => tracker.isDuplicate(pn))).toEqual([true, true, true]);
    expect([3, 5, 7].map((pn) => tracker.isDuplicate(pn))).toEqual([false, false, false]);
    expect(tracker.onPacketReceived(1, 0, true)).toBe(false);
    expect(tracker.onPacketReceived(3, 0, true)).toBe(true);
    expect(tracker.ranges()).toEqual([
      { smallest: 8, largest: 8 },
      { smallest: 6, largest: 6 },
      { smallest: 3, largest: 4 },
    ]);
    expect(roundTrip(tracker.ackFrame(0)!).ranges).toHaveLength(3);
  });

  it("stops acknowledging what the peer has seen in one of our acknowledged ACK frames", () => {
    const tracker = new AckTracker({ space: "application" });
    receiveAll(tracker, [0, 1, 2, 3, 4, 6, 7, 8]);
    const sent = tracker.ackFrame(0)!;
    tracker.onAckSent();
    tracker.onAckAcknowledged(6);
    expect(sent.ranges[0]!.largest).toBe(8);
    expect(tracker.ranges()).toEqual([{ smallest: 7, largest: 8 }]);
    // 5 never arrived, but the peer already declared it lost; processing it late is not safe.
    expect(tracker.isDuplicate(5)).toBe(true);
    tracker.onAckAcknowledged(8);
    expect(tracker.ackFrame(0)).toBeUndefined();
    expect(tracker.largestReceived).toBe(8);
    tracker.onAckAcknowledged(3);
    expect(tracker.onPacketReceived(9, 1, true)).toBe(true);
    expect(tracker.ranges()).toEqual([{ smallest: 9, largest: 9 }]);
    // 9 follows the pruned packets without a gap.
    expect(tracker.ackDeadline).toBe(26);
  });

  it("rejects nonsense options", () => {
    expect(() => new AckTracker({ space: "initial", maxRanges: 0 })).toThrow(RangeError);
    expect(() => new AckTracker({ space: "initial", ackDelayExponent: 21 })).toThrow(RangeError);
    expect(() => new AckTracker({ space: "initial", ackElicitingThreshold: 0 })).toThrow(RangeError);
  });
});
