import { type Hooks, PreparedRequest } from "@nq/models";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { combineHooks } from "./combine-hooks.js";
import { LeakyBucketLimiter, TokenBucketLimiter } from "./rate-limiters.js";

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

/** Starts `count` acquisitions at once and records, in fake milliseconds, when each resolved. */
function startMany(acquire: () => Promise<unknown>, count: number): number[] {
  const start = performance.now();
  const released: number[] = [];
  for (let i = 0; i < count; i++) {
    void acquire().then(() => {
      released[i] = performance.now() - start;
    });
  }
  return released;
}

describe("LeakyBucketLimiter", () => {
  it("lets the first request go at once and spaces the next ones 1000 / rate ms apart", async () => {
    const limiter = new LeakyBucketLimiter({ rate: 4 });
    expect(limiter.interval).toBe(250);
    const released = startMany(() => limiter.acquire(), 4);
    await vi.advanceTimersByTimeAsync(0);
    expect(released).toEqual([0]);
    await vi.advanceTimersByTimeAsync(249);
    expect(released).toEqual([0]);
    await vi.advanceTimersByTimeAsync(1);
    expect(released).toEqual([0, 250]);
    await vi.advanceTimersByTimeAsync(500);
    expect(released).toEqual([0, 250, 500, 750]);
  });

  it("serves concurrent callers in the order they arrived", async () => {
    const limiter = new LeakyBucketLimiter({ rate: 10 });
    const order: string[] = [];
    const all = ["a", "b", "c", "d"].map((name) => limiter.acquire().then(() => order.push(name)));
    await vi.advanceTimersByTimeAsync(1_000);
    await Promise.all(all);
    expect(order).toEqual(["a", "b", "c", "d"]);
  });

  it("does not wait when the last request left long enough ago", async () => {
    const limiter = new LeakyBucketLimiter({ rate: 2 });
    await limiter.acquire();
    await vi.advanceTimersByTimeAsync(600);
    const released = startMany(() => limiter.acquire(), 1);
    await vi.advanceTimersByTimeAsync(0);
    expect(released).toEqual([0]);
  });

  it("waits only the rest of the interval", async () => {
    const limiter = new LeakyBucketLimiter({ rate: 2 });
    await limiter.acquire();
    await vi.advanceTimersByTimeAsync(300);
    const released = startMany(() => limiter.acquire(), 1);
    await vi.advanceTimersByTimeAsync(199);
    expect(released).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(released).toEqual([200]);
  });

  it("never releases early when the interval is not a whole number of milliseconds", async () => {
    const limiter = new LeakyBucketLimiter({ rate: 3 });
    const released = startMany(() => limiter.acquire(), 4);
    await vi.advanceTimersByTimeAsync(2_000);
    for (let i = 1; i < released.length; i++) {
      expect(released[i]! - released[i - 1]!).toBeGreaterThanOrEqual(1000 / 3);
    }
    expect(released[3]).toBeLessThanOrEqual(1003);
  });

  it("defaults to niquests' 10 per second and rejects a rate that is not positive", () => {
    expect(new LeakyBucketLimiter().rate).toBe(10);
    expect(() => new LeakyBucketLimiter({ rate: 0 })).toThrow(RangeError);
    expect(() => new LeakyBucketLimiter({ rate: -1 })).toThrow(RangeError);
    expect(() => new LeakyBucketLimiter({ rate: Number.NaN })).toThrow(RangeError);
    expect(() => new LeakyBucketLimiter({ rate: Number.POSITIVE_INFINITY })).toThrow(RangeError);
    expect(() => new LeakyBucketLimiter({ rate: "5" as unknown as number })).toThrow(TypeError);
  });
});

describe("TokenBucketLimiter", () => {
  it("lets a burst of capacity through at once, then one per 1000 / rate ms", async () => {
    const limiter = new TokenBucketLimiter({ rate: 10, capacity: 3 });
    const released = startMany(() => limiter.acquire(), 6);
    await vi.advanceTimersByTimeAsync(0);
    expect(released).toEqual([0, 0, 0]);
    await vi.advanceTimersByTimeAsync(100);
    expect(released).toEqual([0, 0, 0, 100]);
    await vi.advanceTimersByTimeAsync(200);
    expect(released).toEqual([0, 0, 0, 100, 200, 300]);
  });

  it("defaults capacity to rate: one second's worth of burst", async () => {
    const limiter = new TokenBucketLimiter({ rate: 5 });
    expect(limiter.capacity).toBe(5);
    const released = startMany(() => limiter.acquire(), 6);
    await vi.advanceTimersByTimeAsync(0);
    expect(released).toHaveLength(5);
    await vi.advanceTimersByTimeAsync(200);
    expect(released[5]).toBe(200);
  });

  it("refills at rate while idle, never beyond capacity", async () => {
    const limiter = new TokenBucketLimiter({ rate: 10, capacity: 2 });
    await Promise.all([limiter.acquire(), limiter.acquire()]);
    // Ten seconds idle would be 100 tokens; the bucket holds 2.
    await vi.advanceTimersByTimeAsync(10_000);
    const released = startMany(() => limiter.acquire(), 3);
    await vi.advanceTimersByTimeAsync(0);
    expect(released).toEqual([0, 0]);
    await vi.advanceTimersByTimeAsync(100);
    expect(released).toEqual([0, 0, 100]);
  });

  it("waits only for the missing part of a token", async () => {
    const limiter = new TokenBucketLimiter({ rate: 10, capacity: 1 });
    await limiter.acquire();
    await vi.advanceTimersByTimeAsync(40);
    const released = startMany(() => limiter.acquire(), 1);
    await vi.advanceTimersByTimeAsync(59);
    expect(released).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(released).toEqual([60]);
  });

  it("serves concurrent callers in the order they arrived", async () => {
    const limiter = new TokenBucketLimiter({ rate: 20, capacity: 1 });
    const order: number[] = [];
    const all = [1, 2, 3, 4, 5].map((n) => limiter.acquire().then(() => order.push(n)));
    await vi.advanceTimersByTimeAsync(1_000);
    await Promise.all(all);
    expect(order).toEqual([1, 2, 3, 4, 5]);
  });

  it("rejects a rate or capacity that is not positive, and a bucket smaller than one token", () => {
    expect(new TokenBucketLimiter().rate).toBe(10);
    expect(() => new TokenBucketLimiter({ rate: 0 })).toThrow(RangeError);
    expect(() => new TokenBucketLimiter({ rate: -2 })).toThrow(RangeError);
    expect(() => new TokenBucketLimiter({ rate: 1, capacity: 0 })).toThrow(RangeError);
    expect(() => new TokenBucketLimiter({ rate: 1, capacity: 0.5 })).toThrow(RangeError);
    expect(() => new TokenBucketLimiter({ rate: 0.5 })).toThrow(RangeError);
    expect(new TokenBucketLimiter({ rate: 0.5, capacity: 1 }).capacity).toBe(1);
  });
});

describe("limiters as hooks", () => {
  it("are Hooks whose preRequest keeps the request and works unbound", async () => {
    const limiter = new LeakyBucketLimiter({ rate: 1 });
    const hooks: Hooks = limiter;
    const preRequest = hooks.preRequest as (r: PreparedRequest) => Promise<PreparedRequest | undefined>;
    const request = new PreparedRequest();
    const first = preRequest(request);
    await vi.advanceTimersByTimeAsync(0);
    await expect(first).resolves.toBeUndefined();
    let done = false;
    void preRequest(request).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(999);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(done).toBe(true);
    const tokens: Hooks = new TokenBucketLimiter();
    expect(typeof tokens.preRequest).toBe("function");
  });
});

describe("combineHooks", () => {
  it("joins hook sets event by event in argument order, as LifeCycleHook + LifeCycleHook", () => {
    const limiter = new TokenBucketLimiter();
    const log = () => undefined;
    const stamp = () => undefined;
    const combined = combineHooks(limiter, { preRequest: [stamp], response: log }, {});
    expect(combined.preRequest).toEqual([limiter.preRequest, stamp]);
    expect(combined.response).toEqual([log]);
    expect(Object.keys(combined).sort()).toEqual(["preRequest", "response"]);
  });
});
