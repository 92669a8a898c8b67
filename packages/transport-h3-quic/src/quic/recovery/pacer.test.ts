import { describe, expect, it } from "vitest";
import { Pacer } from "./pacer.js";

describe("Pacer (RFC 9002 §7.7)", () => {
  it("paces at 1.25 × cwnd / smoothed_rtt", () => {
    // 1.25 × 12000 B / 100 ms = 150 B/ms: one 1200-byte packet every 8 ms.
    expect(new Pacer().rate(12000, 100)).toBe(150);
  });

  it("lets one initial window go at once, then spaces packets evenly", () => {
    const pacer = new Pacer();
    for (let i = 0; i < 10; i++) {
      expect(pacer.nextSendTime(0, 1200, 12000, 100)).toBe(0);
      pacer.onPacketSent(0, 1200, 12000, 100);
    }
    expect(pacer.nextSendTime(0, 1200, 12000, 100)).toBe(8);
    expect(pacer.nextSendTime(4, 1200, 12000, 100)).toBe(8);
    pacer.onPacketSent(8, 1200, 12000, 100);
    expect(pacer.nextSendTime(8, 1200, 12000, 100)).toBe(16);
    // A smaller packet needs fewer tokens.
    expect(pacer.nextSendTime(8, 600, 12000, 100)).toBe(12);
  });

  it("refills no further than one burst while idle", () => {
    const pacer = new Pacer({ burst: 2400 });
    pacer.onPacketSent(0, 2400, 12000, 100);
    expect(pacer.nextSendTime(1000, 2400, 12000, 100)).toBe(1000);
    pacer.onPacketSent(1000, 2400, 12000, 100);
    expect(pacer.nextSendTime(1000, 1200, 12000, 100)).toBe(1008);
  });

  it("follows the window: twice the window, half the interval", () => {
    const pacer = new Pacer({ burst: 1200 });
    pacer.onPacketSent(0, 1200, 24000, 100);
    expect(pacer.nextSendTime(0, 1200, 24000, 100)).toBe(4);
  });

  it("does not pace without an RTT", () => {
    const pacer = new Pacer({ burst: 1200 });
    pacer.onPacketSent(0, 1200, 12000, 0);
    expect(pacer.nextSendTime(0, 1200, 12000, 0)).toBe(0);
  });

  it("rejects a gain below 1", () => {
    expect(() => new Pacer({ gain: 0.5 })).toThrow(RangeError);
  });
});
