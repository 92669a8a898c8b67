import { describe, expect, it } from "vitest";
import { QuicError, TransportErrorCode } from "../errors.js";
import { FrameType } from "../frames/frame.js";
import { ReceiveWindow, SendCredit } from "./flow-control.js";

// Plays a peer that always fills the window and an application that reads `chunk` bytes every
// `interval` ms; returns the limits sent and the window after each update.
function download(
  window: ReceiveWindow,
  options: { chunk: number; interval: number; rtt: number; total: number },
) {
  const updates: { at: number; limit: number; window: number }[] = [];
  let now = 0;
  while (window.consumed < options.total) {
    window.onReceived(window.limit - window.received);
    window.onConsumed(Math.min(options.chunk, window.received - window.consumed), now, options.rtt);
    const limit = window.takeUpdate();
    if (limit !== undefined) updates.push({ at: now, limit, window: window.window });
    now += options.interval;
  }
  return updates;
}

describe("ReceiveWindow updates", () => {
  it("becomes due once consumption passes half the window, and the new limit is consumed + window", () => {
    const window = new ReceiveWindow({ initialWindow: 1000, maxWindow: 1000 });
    window.onReceived(1000);
    window.onConsumed(499, 0, 100);
    expect(window.isUpdateDue).toBe(false);
    expect(window.takeUpdate()).toBeUndefined();
    window.onConsumed(1, 0, 100);
    expect(window.isUpdateDue).toBe(true);
    window.onConsumed(100, 0, 100);
    expect(window.takeUpdate()).toBe(1600);
    window.onReceived(600);
    expect(window.limit).toBe(1600);
    expect(window.takeUpdate()).toBeUndefined();
    // The next one is due half a window later: when no more than 500 bytes of credit remain.
    window.onConsumed(499, 0, 100);
    expect(window.isUpdateDue).toBe(false);
    window.onConsumed(1, 0, 100);
    expect(window.takeUpdate()).toBe(2100);
  });

  it("honours a different update fraction", () => {
    const window = new ReceiveWindow({ initialWindow: 1000, maxWindow: 1000, updateFraction: 0.25 });
    window.onReceived(1000);
    window.onConsumed(249, 0, 100);
    expect(window.isUpdateDue).toBe(false);
    window.onConsumed(1, 0, 100);
    expect(window.takeUpdate()).toBe(1250);
  });

  it("throws FLOW_CONTROL_ERROR when the peer sends past the limit", () => {
    const window = new ReceiveWindow({ initialWindow: 100, maxWindow: 100, frameType: FrameType.STREAM });
    window.onReceived(60);
    window.onReceived(40);
    let error: unknown;
    try {
      window.onReceived(1);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(QuicError);
    expect((error as QuicError).code).toBe(TransportErrorCode.FLOW_CONTROL_ERROR);
    expect((error as QuicError).frameType).toBe(FrameType.STREAM);
  });

  it("refuses to count consumption of data never received (a caller bug)", () => {
    const window = new ReceiveWindow({ initialWindow: 100, maxWindow: 100 });
    window.onReceived(10);
    expect(() => window.onConsumed(11, 0, 1)).toThrow(RangeError);
  });
});

describe("ReceiveWindow auto-tuning", () => {
  it("doubles the window while the application reads a window in under two RTTs, then stops", () => {
    const window = new ReceiveWindow({ initialWindow: 16_384, maxWindow: 16 * 1024 * 1024 });
    // 1 KiB per ms against a 50 ms RTT: a 16 KiB window lasts 16 ms, far less than 100 ms. At
    // 128 KiB a window lasts 128 ms, so growth stops there, well below the maximum.
    const updates = download(window, { chunk: 1024, interval: 1, rtt: 50, total: 4 * 1024 * 1024 });
    expect(updates.slice(0, 5).map((u) => u.window)).toEqual([32_768, 65_536, 131_072, 131_072, 131_072]);
    expect(window.window).toBe(131_072);
  });

  it("never grows past the maximum", () => {
    const window = new ReceiveWindow({ initialWindow: 16_384, maxWindow: 65_536 });
    const updates = download(window, { chunk: 16_384, interval: 1, rtt: 50, total: 4 * 1024 * 1024 });
    expect(updates.slice(0, 4).map((u) => u.window)).toEqual([32_768, 65_536, 65_536, 65_536]);
    expect(window.window).toBe(65_536);
  });

  it("keeps the window when the application reads slower than a window per two RTTs", () => {
    const window = new ReceiveWindow({ initialWindow: 16_384, maxWindow: 16_384 * 16 });
    // 1 KiB per 10 ms: a 16 KiB window lasts 160 ms, more than 2 × 50 ms.
    const updates = download(window, { chunk: 1024, interval: 10, rtt: 50, total: 1024 * 1024 });
    expect(updates.length).toBeGreaterThan(100);
    expect(updates.every((u) => u.window === 16_384)).toBe(true);
  });

  it("draws the line at a window per two RTTs: half a window in just under or over one RTT", () => {
    const run = (elapsed: number) => {
      const window = new ReceiveWindow({ initialWindow: 1000, maxWindow: 4000 });
      window.onReceived(1000);
      window.onConsumed(0, 0, 100);
      window.onConsumed(500, elapsed, 100);
      window.takeUpdate();
      return window.window;
    };
    expect(run(99)).toBe(2000);
    expect(run(101)).toBe(1000);
  });

  it("does not grow without an RTT estimate", () => {
    const window = new ReceiveWindow({ initialWindow: 1000, maxWindow: 4000 });
    window.onReceived(1000);
    window.onConsumed(500, 0, 0);
    expect(window.takeUpdate()).toBe(1500);
    expect(window.window).toBe(1000);
  });

  it("lets the connection window follow a stream window that grew, within its own maximum", () => {
    const connection = new ReceiveWindow({ initialWindow: 1000, maxWindow: 3000 });
    connection.ensureWindow(1500);
    expect(connection.window).toBe(1500);
    connection.ensureWindow(1200);
    expect(connection.window).toBe(1500);
    connection.ensureWindow(10_000);
    expect(connection.window).toBe(3000);
  });

  it("a large download over a long path is not window-bound once tuned", () => {
    const rtt = 100;
    const window = new ReceiveWindow({ initialWindow: 64 * 1024, maxWindow: 16 * 1024 * 1024 });
    // 10 MiB at 10 KiB per ms (~80 Mbit/s): the bandwidth-delay product is 1 MiB.
    const updates = download(window, { chunk: 10 * 1024, interval: 1, rtt, total: 10 * 1024 * 1024 });
    const bdp = 10 * 1024 * rtt;
    expect(window.window).toBeGreaterThanOrEqual(2 * bdp);
    expect(window.window).toBeLessThanOrEqual(16 * 1024 * 1024);
    expect(updates.length).toBeLessThan(100);
  });
});

describe("SendCredit", () => {
  it("tracks the peer's limit, which never decreases", () => {
    const credit = new SendCredit(100);
    credit.consume(60);
    expect(credit.available).toBe(40);
    expect(credit.update(90)).toBe(false);
    expect(credit.limit).toBe(100);
    expect(credit.update(150)).toBe(true);
    expect(credit.available).toBe(90);
    expect(credit.used).toBe(60);
  });

  it("refuses to send past the limit (a bug on this side)", () => {
    const credit = new SendCredit(10);
    expect(() => credit.consume(11)).toThrow(RangeError);
  });

  it("reports DATA_BLOCKED once per limit, only when blocked", () => {
    const credit = new SendCredit(10);
    expect(credit.takeBlocked()).toBeUndefined();
    credit.consume(10);
    expect(credit.takeBlocked()).toBe(10);
    expect(credit.takeBlocked()).toBeUndefined();
    credit.update(20);
    expect(credit.takeBlocked()).toBeUndefined();
    credit.consume(10);
    expect(credit.takeBlocked()).toBe(20);
    expect(credit.takeBlocked()).toBeUndefined();
  });
});
