import type { TimeoutSettings } from "@nq/models";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type ExchangeTimer, ExchangeTimers } from "./exchange-timers.js";

function setup(timeout: Partial<TimeoutSettings> = {}) {
  const fired: ExchangeTimer[] = [];
  const timers = new ExchangeTimers(
    { timedOut: (timer) => fired.push(timer) },
    { connect: null, read: null, total: null, ...timeout },
  );
  return { fired, timers };
}

describe("ExchangeTimers", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("arms nothing for a limit of null", () => {
    const { fired, timers } = setup();
    timers.startConnect();
    timers.startTotal();
    timers.armRead();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(1_000_000);
    expect(fired).toEqual([]);
  });

  it("restarts a running connect timer instead of arming a second one", () => {
    const { fired, timers } = setup({ connect: 100 });
    timers.startConnect();
    vi.advanceTimersByTime(60);
    timers.startConnect();
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(99);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual(["connect"]);
    vi.advanceTimersByTime(1_000);
    expect(fired).toEqual(["connect"]);
  });

  it("fires connect and total at their limits, once each", () => {
    const { fired, timers } = setup({ connect: 100, total: 300 });
    timers.startConnect();
    timers.startTotal();
    vi.advanceTimersByTime(99);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual(["connect"]);
    vi.advanceTimersByTime(1_000);
    expect(fired).toEqual(["connect", "total"]);
  });

  it("stops the connect timer once the request has its connection", () => {
    const { fired, timers } = setup({ connect: 100 });
    timers.startConnect();
    vi.advanceTimersByTime(50);
    timers.stopConnect();
    vi.advanceTimersByTime(1_000);
    expect(fired).toEqual([]);
  });

  it("measures the read timeout as silence: every arm restarts it", () => {
    const { fired, timers } = setup({ read: 100 });
    timers.armRead();
    for (let i = 0; i < 5; i++) {
      vi.advanceTimersByTime(80);
      timers.armRead();
    }
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(100);
    expect(fired).toEqual(["read"]);
  });

  it("refreshes a running read timer, but does not start a stopped one", () => {
    const { fired, timers } = setup({ read: 100 });
    timers.refreshRead();
    expect(vi.getTimerCount()).toBe(0);
    timers.armRead();
    vi.advanceTimersByTime(80);
    timers.refreshRead();
    vi.advanceTimersByTime(80);
    expect(fired).toEqual([]);
    timers.stopRead();
    timers.refreshRead();
    vi.advanceTimersByTime(1_000);
    expect(fired).toEqual([]);
  });

  it("re-arms the read timer after it fired, and clear stops everything", () => {
    const { fired, timers } = setup({ connect: 100, read: 100, total: 100 });
    timers.armRead();
    vi.advanceTimersByTime(100);
    expect(fired).toEqual(["read"]);
    timers.armRead();
    timers.startConnect();
    timers.startTotal();
    expect(vi.getTimerCount()).toBe(3);
    timers.clear();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(1_000);
    expect(fired).toEqual(["read"]);
  });

  it("keeps its timers from holding the process open", () => {
    const { timers } = setup({ connect: 100 });
    const spy = vi.spyOn(globalThis, "setTimeout");
    timers.startConnect();
    const handle = spy.mock.results[0]?.value as NodeJS.Timeout;
    expect(handle.hasRef()).toBe(false);
    spy.mockRestore();
    timers.clear();
  });
});
