import {
  ConnectionError,
  type PreparedRequest,
  RetryError,
  TransportError,
  type TransportErrorKind,
  type TransportErrorPhase,
} from "@nq/models";
import { RetryConfiguration } from "@nq/retry";
import { type MockResponse, MockTransport } from "@nq/testkit";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Session, type SessionOptions } from "./index.js";

type Step = MockResponse | TransportError;

/** A session whose transport plays `steps` in order and records the fake time of each attempt. */
function scripted(steps: Step[], options: SessionOptions = {}) {
  const times: number[] = [];
  const methods: string[] = [];
  const transport = new MockTransport((request: PreparedRequest) => {
    times.push(Date.now());
    methods.push(request.method);
    const step = steps[Math.min(times.length - 1, steps.length - 1)]!;
    if (step instanceof TransportError) throw step;
    return step;
  });
  const session = new Session({ transports: [transport], trustEnv: false, ...options });
  return { session, times, methods, gaps: () => times.slice(1).map((t, i) => t - times[i]!) };
}

function failure(kind: TransportErrorKind, phase: TransportErrorPhase, retryable: boolean): TransportError {
  return new TransportError(`${kind} in ${phase}`, { kind, phase, retryable });
}

/** Runs `promise` to completion, advancing fake time as far as it needs. */
async function settle<T>(promise: Promise<T>): Promise<T> {
  let result: { value: T } | { error: unknown } | undefined;
  promise.then(
    (value) => (result = { value }),
    (error: unknown) => (result = { error }),
  );
  for (let i = 0; i < 1_000 && result === undefined; i++) await vi.advanceTimersByTimeAsync(100);
  if (result === undefined) throw new Error("the request did not settle");
  if ("error" in result) throw result.error;
  return result.value;
}

beforeEach(() => {
  vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) });
});
afterEach(() => {
  vi.useRealTimers();
});

describe("retries on status", () => {
  it("waits Retry-After seconds on a 503 before the next attempt", async () => {
    const { session, times, gaps } = scripted([
      { status: 503, headers: { "Retry-After": "3" } },
      { status: 200, body: "ok" },
    ]);
    const r = await settle(session.get("http://h.test/", { retries: 2 }));
    expect(r.statusCode).toBe(200);
    expect(times).toHaveLength(2);
    expect(gaps()[0]).toBeGreaterThanOrEqual(3_000);
    expect(gaps()[0]).toBeLessThan(3_200);
  });

  it("waits until a Retry-After HTTP-date", async () => {
    const at = new Date(Date.now() + 5_000).toUTCString();
    const { session, gaps } = scripted([{ status: 429, headers: { "Retry-After": at } }, { status: 200 }]);
    await settle(session.get("http://h.test/", { retries: 1 }));
    // An HTTP-date has one-second precision: the wait is the remaining time to that second.
    expect(gaps()[0]).toBeGreaterThanOrEqual(4_000);
    expect(gaps()[0]).toBeLessThanOrEqual(5_100);
  });

  it("raises RetryError after the budget for a forced status, with the last response", async () => {
    const { session, times } = scripted([{ status: 500 }], {
      retries: new RetryConfiguration({ total: 2, statusForcelist: [500] }),
    });
    const error = await settle(session.get("http://h.test/status/500")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryError);
    expect((error as RetryError).response?.statusCode).toBe(500);
    expect((error as RetryError).message).toContain("too many 500 error responses");
    expect(times).toHaveLength(3);
  });

  it("returns the last response instead when raiseOnStatus is off", async () => {
    const { session, times } = scripted([{ status: 502 }], {
      retries: new RetryConfiguration({ total: 1, statusForcelist: [502], raiseOnStatus: false }),
    });
    const r = await settle(session.get("http://h.test/"));
    expect(r.statusCode).toBe(502);
    expect(times).toHaveLength(2);
  });

  it("backs off exponentially: 0, then factor × 2^(n-1), capped", async () => {
    const { session, gaps } = scripted(
      [{ status: 503 }, { status: 503 }, { status: 503 }, { status: 503 }, { status: 200 }],
      {
        retries: new RetryConfiguration({
          total: 5,
          statusForcelist: [503],
          backoffFactor: 400,
          backoffMax: 1_000,
        }),
      },
    );
    await settle(session.get("http://h.test/"));
    const [first, second, third, fourth] = gaps().map((g) => Math.round(g / 100) * 100);
    expect([first, second, third, fourth]).toEqual([0, 800, 1_000, 1_000]);
  });

  it("does not retry a method outside allowedMethods on status", async () => {
    const { session, times } = scripted([{ status: 503, headers: { "Retry-After": "1" } }, { status: 200 }]);
    const r = await settle(session.post("http://h.test/", { data: "x", retries: 3 }));
    expect(r.statusCode).toBe(503);
    expect(times).toHaveLength(1);
  });
});

describe("retries on transport errors", () => {
  it("retries a refused connection on the connect budget, then raises ConnectionError with the cause", async () => {
    const refused = failure("connect", "connect", true);
    const { session, times } = scripted([refused], { retries: 2 });
    const error = await settle(session.post("http://h.test/", { data: "x" })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).cause).toBe(refused);
    expect(times).toHaveLength(3);
  });

  it("retries a reset before the response for GET but not for POST", async () => {
    const reset = failure("reset", "head", false);
    const get = scripted([reset, { status: 200 }], { retries: 1 });
    expect((await settle(get.session.get("http://h.test/"))).statusCode).toBe(200);
    expect(get.times).toHaveLength(2);
    const post = scripted([reset, { status: 200 }], { retries: 1 });
    await expect(settle(post.session.post("http://h.test/", { data: "x" }))).rejects.toBeInstanceOf(
      ConnectionError,
    );
    expect(post.times).toHaveLength(1);
  });

  it("retries POST when the transport says nothing was processed", async () => {
    const { session, times } = scripted([failure("closed", "connect", true), { status: 201 }], {
      retries: 1,
    });
    expect((await settle(session.post("http://h.test/", { data: "x" }))).statusCode).toBe(201);
    expect(times).toHaveLength(2);
  });

  it("never retries a certificate failure", async () => {
    const { session, times } = scripted([failure("tls", "connect", true)], { retries: 5 });
    await expect(settle(session.get("https://h.test/"))).rejects.toBeInstanceOf(ConnectionError);
    expect(times).toHaveLength(1);
  });

  it("does not retry by default (retries: 0) and not with retries: false", async () => {
    for (const retries of [undefined, 0, false] as const) {
      const { session, times } = scripted([failure("connect", "connect", true), { status: 200 }], {
        retries,
      });
      await expect(settle(session.get("http://h.test/"))).rejects.toBeInstanceOf(ConnectionError);
      expect(times).toHaveLength(1);
    }
  });

  it("cannot resend a one-shot stream body, so does not retry it", async () => {
    const { session, times } = scripted([failure("connect", "connect", true), { status: 200 }], {
      retries: 3,
    });
    async function* body() {
      yield new TextEncoder().encode("x");
    }
    await expect(settle(session.post("http://h.test/", { data: body() }))).rejects.toBeInstanceOf(
      ConnectionError,
    );
    expect(times).toHaveLength(1);
  });

  it("aborts a retry wait with the signal's reason", async () => {
    const { session } = scripted([{ status: 503, headers: { "Retry-After": "60" } }, { status: 200 }]);
    const controller = new AbortController();
    const pending = session.get("http://h.test/", { retries: 1, signal: controller.signal });
    await vi.advanceTimersByTimeAsync(1_000);
    controller.abort(new Error("stop"));
    await expect(pending).rejects.toThrow("stop");
  });
});
