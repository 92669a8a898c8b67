import { describe, expect, it } from "vitest";
import { type CongestionPacket, initialWindow, minimumWindow, NewReno } from "./congestion-control.js";
import { RttEstimator } from "./rtt-estimator.js";

const rtt = new RttEstimator();

function packets(count: number, timeSent: number, size = 1200): CongestionPacket[] {
  return Array.from({ length: count }, () => ({ size, timeSent, inFlight: true }));
}

function sendAll(cc: NewReno, sent: readonly CongestionPacket[]): void {
  for (const packet of sent) cc.onPacketSent(packet, packet.timeSent);
}

describe("NewReno windows (RFC 9002 §7.2)", () => {
  it("starts at min(10 × mds, max(14720, 2 × mds)) with a floor of 2 × mds", () => {
    expect(initialWindow(1200)).toBe(12000);
    expect(initialWindow(1472)).toBe(14720);
    expect(initialWindow(9000)).toBe(18000);
    expect(minimumWindow(1200)).toBe(2400);
    const cc = new NewReno();
    expect([cc.congestionWindow, cc.ssthresh, cc.bytesInFlight]).toEqual([12000, Infinity, 0]);
    expect(new NewReno({ maxDatagramSize: 1472 }).congestionWindow).toBe(14720);
    expect(() => new NewReno({ maxDatagramSize: 1199 })).toThrow(RangeError);
  });

  it("counts in-flight bytes and refuses to exceed the window", () => {
    const cc = new NewReno();
    sendAll(cc, packets(9, 0));
    cc.onPacketSent({ size: 50, timeSent: 0, inFlight: false }, 0);
    expect(cc.bytesInFlight).toBe(10800);
    expect(cc.canSend(1200)).toBe(true);
    expect(cc.canSend(1201)).toBe(false);
  });
});

describe("NewReno slow start and congestion avoidance (§7.3.1, §7.3.3)", () => {
  it("grows by the bytes acknowledged in slow start", () => {
    const cc = new NewReno();
    const sent = packets(10, 0);
    sendAll(cc, sent);
    expect(cc.canSend(1)).toBe(false);
    cc.onPacketsAcked(sent.slice(0, 5), 100, rtt);
    expect([cc.congestionWindow, cc.bytesInFlight]).toEqual([18000, 6000]);
  });

  it("grows by one datagram per congestion window acknowledged after a loss", () => {
    const cc = new NewReno();
    const first = packets(2, 1);
    sendAll(cc, first);
    cc.onPacketsLost(first.slice(0, 1), 50, false);
    expect([cc.congestionWindow, cc.ssthresh]).toEqual([6000, 6000]);
    cc.onPacketsAcked(first.slice(1), 60, rtt);

    const window1 = packets(5, 100);
    sendAll(cc, window1);
    cc.onPacketsAcked(window1.slice(0, 4), 200, rtt);
    expect(cc.congestionWindow).toBe(6000);
    cc.onPacketsAcked(window1.slice(4), 200, rtt);
    expect(cc.congestionWindow).toBe(7200);

    const window2 = packets(6, 300);
    sendAll(cc, window2);
    cc.onPacketsAcked(window2, 400, rtt);
    expect(cc.congestionWindow).toBe(8400);
    expect(cc.bytesInFlight).toBe(0);
  });

  it("does not grow while application limited (§7.8)", () => {
    const cc = new NewReno();
    const sent = packets(2, 0);
    sendAll(cc, sent);
    cc.appLimited = true;
    cc.onPacketsAcked(sent, 10, rtt);
    expect([cc.congestionWindow, cc.bytesInFlight]).toEqual([12000, 0]);
  });
});

describe("NewReno recovery (§7.3.2, B.6)", () => {
  it("halves once per recovery period, keyed by the time the lost packet was sent", () => {
    const cc = new NewReno();
    const early = [1, 2, 3].map((t) => ({ size: 1200, timeSent: t, inFlight: true }));
    sendAll(cc, early);
    cc.onPacketsLost([early[0]!], 50, false);
    expect([cc.congestionWindow, cc.ssthresh, cc.recoveryStartTime]).toEqual([6000, 6000, 50]);

    // Sent before recovery began: the same congestion event.
    cc.onPacketsLost([early[1]!], 60, false);
    expect([cc.congestionWindow, cc.ssthresh]).toEqual([6000, 6000]);
    // Acknowledgements of those packets do not grow the window either.
    cc.onPacketsAcked([early[2]!], 70, rtt);
    expect(cc.congestionWindow).toBe(6000);

    // A packet sent after recovery began starts a new congestion event.
    const late = { size: 1200, timeSent: 80, inFlight: true };
    cc.onPacketSent(late, 80);
    cc.onPacketsLost([late], 100, false);
    expect([cc.congestionWindow, cc.ssthresh, cc.recoveryStartTime]).toEqual([3000, 3000, 100]);

    const later = { size: 1200, timeSent: 110, inFlight: true };
    cc.onPacketSent(later, 110);
    cc.onPacketsLost([later], 120, false);
    expect([cc.congestionWindow, cc.ssthresh]).toEqual([2400, 1500]);
    expect(cc.bytesInFlight).toBe(0);
  });

  it("ignores losses of packets that were not in flight", () => {
    const cc = new NewReno();
    cc.onPacketsLost([{ size: 40, timeSent: 0, inFlight: false }], 10, false);
    expect([cc.congestionWindow, cc.recoveryStartTime]).toEqual([12000, undefined]);
  });

  it("collapses to the minimum window on persistent congestion and leaves recovery (§7.6.2)", () => {
    const cc = new NewReno();
    const sent = packets(4, 10);
    sendAll(cc, sent);
    cc.onPacketsLost(sent, 2000, true);
    expect([cc.congestionWindow, cc.ssthresh, cc.recoveryStartTime, cc.bytesInFlight]).toEqual([
      2400,
      6000,
      undefined,
      0,
    ]);
    // Back in slow start below ssthresh.
    const next = packets(2, 2100);
    sendAll(cc, next);
    cc.onPacketsAcked(next, 2200, rtt);
    expect(cc.congestionWindow).toBe(4800);
  });

  it("treats a new ECN-CE mark as a congestion event (B.7)", () => {
    const cc = new NewReno();
    cc.onCongestionEvent(5, 20);
    expect([cc.congestionWindow, cc.recoveryStartTime]).toEqual([6000, 20]);
    cc.onCongestionEvent(15, 30);
    expect(cc.congestionWindow).toBe(6000);
  });
});

describe("NewReno bytes in flight", () => {
  it("removes discarded packets without a congestion response (§6.4)", () => {
    const cc = new NewReno();
    const sent = packets(3, 0);
    sendAll(cc, sent);
    cc.onPacketsDiscarded([...sent, { size: 30, timeSent: 0, inFlight: false }]);
    expect([cc.bytesInFlight, cc.congestionWindow]).toEqual([0, 12000]);
  });

  it("throws rather than count a packet out twice", () => {
    const cc = new NewReno();
    const sent = packets(1, 0);
    sendAll(cc, sent);
    cc.onPacketsAcked(sent, 1, rtt);
    expect(() => cc.onPacketsAcked(sent, 2, rtt)).toThrow(RangeError);
  });
});
