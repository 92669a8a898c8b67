import { Headers, TransportError } from "@nq/models";
import { describe, expect, it } from "vitest";
import { RetryConfiguration, type RetryEvent, type RetryFailure } from "./retry-configuration.js";

const connectTimeout: RetryFailure = { kind: "timeout", phase: "connect", retryable: true };
const refused: RetryFailure = { kind: "connect", phase: "connect", retryable: true };
const readTimeout: RetryFailure = { kind: "timeout", phase: "head", retryable: false };
const resetMidBody: RetryFailure = { kind: "reset", phase: "body", retryable: false };
const refusedStream: RetryFailure = { kind: "reset", phase: "send", retryable: true };
const badCertificate: RetryFailure = { kind: "tls", phase: "connect", retryable: false };
const badHeader: RetryFailure = { kind: "header", phase: "head", retryable: false };

function incrementTimes(retry: RetryConfiguration, times: number, event: RetryEvent = { method: "GET" }) {
  for (let i = 0; i < times; i++) retry = retry.increment(event);
  return retry;
}

describe("RetryConfiguration defaults and toString", () => {
  it("has urllib3's defaults, durations in milliseconds", () => {
    const retry = new RetryConfiguration();
    expect(retry).toMatchObject({
      total: 10,
      connect: null,
      read: null,
      redirect: null,
      status: null,
      other: null,
      backoffFactor: 0,
      backoffMax: 120_000,
      backoffJitter: 0,
      raiseOnRedirect: true,
      raiseOnStatus: true,
      respectRetryAfterHeader: true,
      retryAfterMax: 21_600_000,
      history: [],
    });
    expect([...retry.allowedMethods!]).toEqual(["HEAD", "GET", "PUT", "DELETE", "OPTIONS", "TRACE"]);
    expect(retry.statusForcelist.size).toBe(0);
    expect([...retry.removeHeadersOnRedirect].sort()).toEqual([
      "authorization",
      "cookie",
      "proxy-authorization",
    ]);
  });

  it("lower-cases removeHeadersOnRedirect and upper-cases allowedMethods", () => {
    const retry = new RetryConfiguration({
      removeHeadersOnRedirect: ["X-API-Secret"],
      allowedMethods: ["post"],
    });
    expect([...retry.removeHeadersOnRedirect]).toEqual(["x-api-secret"]);
    expect(retry.isRetry("POST", 503, true)).toBe(true);
  });

  it("prints every count, and the counts left after increments", () => {
    let retry = new RetryConfiguration();
    expect(String(retry)).toBe(
      "RetryConfiguration(total=10, connect=null, read=null, redirect=null, status=null, other=null)",
    );
    retry = incrementTimes(retry, 3);
    expect(String(retry)).toBe(
      "RetryConfiguration(total=7, connect=null, read=null, redirect=null, status=null, other=null)",
    );
  });
});

describe("RetryConfiguration.from", () => {
  it("reads a count as urllib3's Retry.from_int, 0 also setting read: false as niquests does", () => {
    expect(RetryConfiguration.from(3)).toMatchObject({ total: 3, connect: null, read: null, redirect: null });
    expect(RetryConfiguration.from(0)).toMatchObject({ total: 0, read: false, raiseOnRedirect: true });
  });

  it("uses niquests' default of 0 retries for undefined and null", () => {
    expect(RetryConfiguration.from(undefined)).toMatchObject({ total: 0, read: false });
    expect(RetryConfiguration.from(null)).toMatchObject({ total: 0, read: false });
  });

  it("disables retrying for false, and for true as niquests' adapter does", () => {
    for (const value of [false, true]) {
      const retry = RetryConfiguration.from(value);
      expect(retry).toMatchObject({ total: false, redirect: 0, raiseOnRedirect: false });
      expect(retry.shouldRetryError("GET", refused)).toBe(false);
    }
  });

  it("passes a configuration through and builds one from its fields", () => {
    const retry = new RetryConfiguration({ total: 2 });
    expect(RetryConfiguration.from(retry)).toBe(retry);
    expect(RetryConfiguration.from({ connect: 5, statusForcelist: [502] })).toMatchObject({
      total: 10,
      connect: 5,
    });
  });

  it("rejects negative and fractional counts and other types", () => {
    expect(() => RetryConfiguration.from(-1)).toThrow(RangeError);
    expect(() => RetryConfiguration.from(1.5)).toThrow(RangeError);
    expect(() => RetryConfiguration.from(Number.NaN)).toThrow(RangeError);
    expect(() => RetryConfiguration.from("3" as unknown as number)).toThrow(TypeError);
  });
});

describe("RetryConfiguration validation", () => {
  it("rejects bad counts, durations and flags", () => {
    expect(() => new RetryConfiguration({ total: -1 })).toThrow(RangeError);
    expect(() => new RetryConfiguration({ connect: 0.5 })).toThrow(RangeError);
    expect(() => new RetryConfiguration({ status: false as unknown as number })).toThrow(TypeError);
    expect(() => new RetryConfiguration({ read: "2" as unknown as number })).toThrow(TypeError);
    expect(() => new RetryConfiguration({ backoffFactor: -1 })).toThrow(RangeError);
    expect(() => new RetryConfiguration({ backoffJitter: Number.NaN })).toThrow(RangeError);
    expect(() => new RetryConfiguration({ backoffMax: "1" as unknown as number })).toThrow(TypeError);
    expect(() => new RetryConfiguration({ raiseOnStatus: 1 as unknown as boolean })).toThrow(TypeError);
    expect(() => new RetryConfiguration({ statusForcelist: ["418" as unknown as number] })).toThrow(
      TypeError,
    );
  });

  it("reads Infinity as no limit", () => {
    expect(new RetryConfiguration({ total: Number.POSITIVE_INFINITY }).total).toBeNull();
    expect(new RetryConfiguration({ backoffMax: Number.POSITIVE_INFINITY }).backoffMax).toBe(
      Number.POSITIVE_INFINITY,
    );
  });

  it("makes redirect: false mean 0 redirects and no raise, as total: false does", () => {
    expect(new RetryConfiguration({ redirect: false })).toMatchObject({
      redirect: 0,
      raiseOnRedirect: false,
    });
    expect(new RetryConfiguration({ total: 0 }).raiseOnRedirect).toBe(true);
    expect(new RetryConfiguration({ total: false }).raiseOnRedirect).toBe(false);
  });
});

describe("immutability", () => {
  it("returns a new configuration from increment and leaves the old one as it was", () => {
    const retry = new RetryConfiguration({ total: 3, connect: 2 });
    const next = retry.increment({ method: "GET", error: refused });
    expect(next).not.toBe(retry);
    expect(retry).toMatchObject({ total: 3, connect: 2, history: [] });
    expect(next).toMatchObject({ total: 2, connect: 1 });
  });

  it("is frozen, history included, and copies the collections it is given", () => {
    const methods = ["GET"];
    const retry = new RetryConfiguration({ allowedMethods: methods });
    methods.push("POST");
    expect(retry.isRetry("POST", 503, true)).toBe(false);
    expect(Object.isFrozen(retry)).toBe(true);
    const next = retry.increment({ method: "GET", statusCode: 503 });
    expect(Object.isFrozen(next.history)).toBe(true);
    expect(Object.isFrozen(next.history[0])).toBe(true);
    expect(() => {
      (next as { total: unknown }).total = 99;
    }).toThrow(TypeError);
  });

  it("copies with changes through new(), keeping the history and spent counts", () => {
    const spent = new RetryConfiguration({ total: 1, respectRetryAfterHeader: false })
      .increment({ method: "GET" })
      .increment({ method: "GET" });
    expect(spent.total).toBe(-1);
    const copy = spent.new({ backoffFactor: 100 });
    expect(copy).toMatchObject({ total: -1, backoffFactor: 100, respectRetryAfterHeader: false });
    expect(copy.history).toHaveLength(2);
    expect(spent.new({ total: 5 }).isExhausted()).toBe(false);
    expect(() => spent.new({ connect: -2 })).toThrow(RangeError);
  });
});

describe("subclasses", () => {
  it("keep their class and overrides through increment and new(), as urllib3's type(self) does", () => {
    class NoRetryOn418 extends RetryConfiguration {
      readonly label = "custom";
      override isRetry(method: string, statusCode: number, hasRetryAfter = false): boolean {
        return statusCode !== 418 && super.isRetry(method, statusCode, hasRetryAfter);
      }
    }
    const retry = new NoRetryOn418({ statusForcelist: [418, 500] });
    const next = retry.increment({ method: "GET", statusCode: 500 }).new({ backoffFactor: 10 });
    expect(next).toBeInstanceOf(NoRetryOn418);
    expect(next.isRetry("GET", 418)).toBe(false);
    expect(next.isRetry("GET", 500)).toBe(true);
    expect(next.total).toBe(9);
  });
});

describe("budgets per kind (urllib3 test_retry.py)", () => {
  it("lets a lower total win over connect", () => {
    let retry = new RetryConfiguration({ connect: 3, total: 2 });
    retry = retry.increment({ method: "GET", error: connectTimeout });
    retry = retry.increment({ method: "GET", error: connectTimeout });
    expect(retry.isExhausted()).toBe(false);
    expect(retry.increment({ method: "GET", error: connectTimeout }).isExhausted()).toBe(true);
  });

  it("lets a lower connect win over total", () => {
    let retry = new RetryConfiguration({ connect: 2, total: 3 });
    retry = retry.increment({ method: "GET", error: refused });
    retry = retry.increment({ method: "GET", error: refused });
    expect(retry.increment({ method: "GET", error: refused }).isExhausted()).toBe(true);
  });

  it("lets a lower read win over total", () => {
    let retry = new RetryConfiguration({ read: 2, total: 3 });
    retry = retry.increment({ method: "GET", error: readTimeout });
    retry = retry.increment({ method: "GET", error: readTimeout });
    expect(retry.increment({ method: "GET", error: readTimeout }).isExhausted()).toBe(true);
  });

  it("with no total, spends only the counter of the error's kind", () => {
    let retry = new RetryConfiguration({ connect: 2, total: null });
    retry = retry.increment({ method: "GET", error: refused });
    retry = retry.increment({ method: "GET", error: refused });
    expect(retry.increment({ method: "GET", error: refused }).isExhausted()).toBe(true);

    retry = new RetryConfiguration({ connect: 2, total: null });
    retry = incrementTimes(retry, 3, { method: "GET", error: readTimeout });
    expect(retry.isExhausted()).toBe(false);
  });

  it("counts connect retries from a connect-phase failure", () => {
    let retry = new RetryConfiguration({ connect: 1 });
    retry = retry.increment({ method: "GET", error: connectTimeout });
    expect(retry.isExhausted()).toBe(false);
    expect(retry.increment({ method: "GET", error: connectTimeout }).isExhausted()).toBe(true);
  });

  it("spends other on an error that is neither connect nor read", () => {
    let retry = new RetryConfiguration({ connect: 1 });
    retry = retry.increment({ method: "GET", error: badHeader });
    retry = retry.increment({ method: "GET", error: badHeader });
    expect(retry.isExhausted()).toBe(false);
    expect(retry).toMatchObject({ connect: 1, other: null, total: 8 });

    retry = new RetryConfiguration({ other: 1 });
    retry = retry.increment({ method: "GET", error: badHeader });
    expect(retry.isExhausted()).toBe(false);
    expect(retry.increment({ method: "GET", error: badHeader }).isExhausted()).toBe(true);
  });

  it("exhausts read: 0 on the first read error", () => {
    const retry = new RetryConfiguration({ read: 0 });
    expect(retry.increment({ method: "GET", error: readTimeout }).isExhausted()).toBe(true);
  });

  it("counts statuses in status", () => {
    let retry = new RetryConfiguration({ status: 2 });
    retry = retry.increment({ method: "GET", statusCode: 400 });
    retry = retry.increment({ method: "GET", statusCode: 400 });
    expect(retry.isExhausted()).toBe(false);
    expect(retry.increment({ method: "GET", statusCode: 400 }).isExhausted()).toBe(true);
  });

  it("counts redirects in redirect", () => {
    let retry = new RetryConfiguration({ redirect: 1 });
    retry = retry.increment({ method: "GET", statusCode: 302, redirectLocation: "/next" });
    expect(retry).toMatchObject({ redirect: 0, total: 9 });
    expect(retry.increment({ method: "GET", statusCode: 302, redirect: true }).isExhausted()).toBe(true);
  });

  it("spends only total on an increment with neither error nor status", () => {
    expect(new RetryConfiguration({ status: 1, other: 1 }).increment({ method: "GET" })).toMatchObject({
      total: 9,
      status: 1,
      other: 1,
    });
  });

  it("takes a TransportError as it is", () => {
    const error = new TransportError("refused", { kind: "connect", phase: "connect", retryable: true });
    const retry = new RetryConfiguration({ connect: 3 }).increment({ method: "POST", error });
    expect(retry.connect).toBe(2);
    expect(retry.history[0]!.error).toBe(error);
  });
});

describe("counter choice from kind and phase", () => {
  const cases: [RetryFailure, "connect" | "read" | "other"][] = [
    [{ kind: "connect", phase: "connect", retryable: true }, "connect"],
    [{ kind: "timeout", phase: "connect", retryable: true }, "connect"],
    [{ kind: "reset", phase: "connect", retryable: true }, "connect"],
    [{ kind: "closed", phase: "connect", retryable: true }, "connect"],
    [{ kind: "protocol", phase: "connect", retryable: true }, "connect"],
    [{ kind: "proxy", phase: "connect", retryable: true }, "connect"],
    [{ kind: "timeout", phase: "head", retryable: false }, "read"],
    [{ kind: "timeout", phase: "body", retryable: false }, "read"],
    [{ kind: "timeout", phase: "send", retryable: false }, "read"],
    [{ kind: "reset", phase: "send", retryable: true }, "read"],
    [{ kind: "reset", phase: "head", retryable: false }, "read"],
    [{ kind: "closed", phase: "head", retryable: false }, "read"],
    [{ kind: "protocol", phase: "body", retryable: false }, "read"],
    [{ kind: "header", phase: "head", retryable: false }, "other"],
    [{ kind: "decoding", phase: "body", retryable: false }, "other"],
    [{ kind: "proxy", phase: "head", retryable: false }, "other"],
    [{ kind: "tls", phase: "connect", retryable: false }, "other"],
    [{ kind: "aborted", phase: "head", retryable: false }, "other"],
  ];

  it.each(cases)("%o spends %s", (error, counter) => {
    const retry = new RetryConfiguration({ total: null, connect: 5, read: 5, other: 5 });
    const next = retry.increment({ method: "GET", error });
    expect({ connect: next.connect, read: next.read, other: next.other }).toEqual({
      connect: 5,
      read: 5,
      other: 5,
      [counter]: 4,
    });
  });
});

describe("shouldRetryError", () => {
  const retry = new RetryConfiguration();

  it("retries connect-phase failures for any method: the request never left", () => {
    expect(retry.shouldRetryError("POST", refused)).toBe(true);
    expect(retry.shouldRetryError("POST", connectTimeout)).toBe(true);
  });

  it("retries read errors only for allowed methods, or when the transport says the server saw nothing", () => {
    expect(retry.shouldRetryError("GET", readTimeout)).toBe(true);
    expect(retry.shouldRetryError("get", resetMidBody)).toBe(true);
    expect(retry.shouldRetryError("POST", readTimeout)).toBe(false);
    expect(retry.shouldRetryError("PATCH", resetMidBody)).toBe(false);
    expect(retry.shouldRetryError("POST", refusedStream)).toBe(true);
    expect(new RetryConfiguration({ allowedMethods: null }).shouldRetryError("POST", readTimeout)).toBe(true);
  });

  it("gates other errors on the method too: the server answered", () => {
    expect(retry.shouldRetryError("GET", badHeader)).toBe(true);
    expect(retry.shouldRetryError("POST", badHeader)).toBe(false);
  });

  it("never retries TLS failures or aborts", () => {
    expect(retry.shouldRetryError("GET", badCertificate)).toBe(false);
    expect(retry.shouldRetryError("GET", { kind: "aborted", phase: "head", retryable: true })).toBe(false);
  });

  it("raises as they are read errors under read: false, connect errors under connect: false, all under total: false", () => {
    expect(new RetryConfiguration({ read: false }).shouldRetryError("GET", readTimeout)).toBe(false);
    expect(new RetryConfiguration({ read: false }).shouldRetryError("GET", refusedStream)).toBe(false);
    expect(new RetryConfiguration({ read: false }).shouldRetryError("GET", refused)).toBe(true);
    expect(new RetryConfiguration({ connect: false }).shouldRetryError("GET", refused)).toBe(false);
    expect(new RetryConfiguration({ total: false }).shouldRetryError("GET", refused)).toBe(false);
  });

  it("makes increment on a rejected failure exhausted, where urllib3 re-raises", () => {
    expect(retry.increment({ method: "POST", error: readTimeout }).isExhausted()).toBe(true);
    expect(retry.increment({ method: "GET", error: badCertificate }).isExhausted()).toBe(true);
    const spent = new RetryConfiguration({ read: false }).increment({ method: "GET", error: readTimeout });
    expect(spent.read).toBe(false);
    expect(spent.isExhausted()).toBe(true);
    expect(spent.history).toHaveLength(1);
  });

  it("under niquests' default (retries 0) raises a read error as it is and exhausts on a connect error", () => {
    const retry0 = RetryConfiguration.from(0);
    expect(retry0.shouldRetryError("GET", readTimeout)).toBe(false);
    expect(retry0.shouldRetryError("GET", refused)).toBe(true);
    expect(retry0.increment({ method: "GET", error: refused }).isExhausted()).toBe(true);
  });
});

describe("isExhausted", () => {
  it("is false at 0 and true below, total included (urllib3's test_exhausted)", () => {
    expect(new RetryConfiguration({ total: 0 }).isExhausted()).toBe(false);
    expect(new RetryConfiguration({ total: 1 }).increment({ method: "GET" }).total).toBe(0);
    expect(new RetryConfiguration({ total: 0 }).increment({ method: "GET" }).isExhausted()).toBe(true);
  });

  it("exhausts total: false on any increment, as Python's False - 1 does", () => {
    const next = new RetryConfiguration({ total: false, statusForcelist: [500] }).increment({
      method: "GET",
      statusCode: 500,
    });
    expect(next.total).toBe(-1);
    expect(next.isExhausted()).toBe(true);
  });

  it("never exhausts with every count unlimited", () => {
    expect(incrementTimes(new RetryConfiguration({ total: null }), 50).isExhausted()).toBe(false);
  });
});

describe("isRetry", () => {
  it("retries statuses in the forcelist, numbers only", () => {
    let retry = new RetryConfiguration({ statusForcelist: [500, 502, 503, 504] });
    expect(retry.isRetry("GET", 200)).toBe(false);
    expect(retry.isRetry("GET", 400)).toBe(false);
    expect(retry.isRetry("GET", 500)).toBe(true);
    retry = new RetryConfiguration({ total: 1, statusForcelist: [418] });
    expect(retry.isRetry("GET", 400)).toBe(false);
    expect(retry.isRetry("GET", 418)).toBe(true);
  });

  it("ANDs allowedMethods with the forcelist; null allows every method", () => {
    let retry = new RetryConfiguration({ statusForcelist: [500], allowedMethods: null });
    expect(retry.isRetry("GET", 500)).toBe(true);
    expect(retry.isRetry("POST", 500)).toBe(true);
    retry = new RetryConfiguration({ statusForcelist: [500], allowedMethods: ["POST"] });
    expect(retry.isRetry("GET", 500)).toBe(false);
    expect(retry.isRetry("POST", 500)).toBe(true);
    expect(new RetryConfiguration({ statusForcelist: [500], allowedMethods: [] }).isRetry("GET", 500)).toBe(
      false,
    );
  });

  it("retries 413, 429 and 503 only with a Retry-After header", () => {
    const retry = new RetryConfiguration();
    for (const status of [413, 429, 503]) {
      expect(retry.isRetry("GET", status, true)).toBe(true);
      expect(retry.isRetry("GET", status, false)).toBe(false);
      expect(retry.isRetry("POST", status, true)).toBe(false);
    }
    expect(retry.isRetry("GET", 500, true)).toBe(false);
    expect(retry.isRetry("GET", 502, true)).toBe(false);
  });

  it("ignores Retry-After when not respected or when no budget is left", () => {
    expect(new RetryConfiguration({ respectRetryAfterHeader: false }).isRetry("GET", 503, true)).toBe(false);
    expect(new RetryConfiguration({ total: 0 }).isRetry("GET", 503, true)).toBe(false);
    expect(RetryConfiguration.from(false).isRetry("GET", 503, true)).toBe(false);
    expect(new RetryConfiguration({ total: null }).isRetry("GET", 503, true)).toBe(true);
  });

  it("does not look at the budget for a forced status, so the caller can raise RetryError", () => {
    const retry = new RetryConfiguration({ total: 0, statusForcelist: [500] });
    expect(retry.isRetry("GET", 500)).toBe(true);
    expect(retry.increment({ method: "GET", statusCode: 500 }).isExhausted()).toBe(true);
  });
});

describe("history", () => {
  it("records each attempt: method, url, error, status", () => {
    let retry = new RetryConfiguration({ total: 10, allowedMethods: ["GET", "POST"] });
    expect(retry.history).toEqual([]);
    retry = retry.increment({ method: "GET", url: "/test1", error: refused });
    retry = retry.increment({ method: "POST", url: "/test2", error: readTimeout });
    retry = retry.increment({ method: "GET", url: "/test3", statusCode: 500 });
    retry = retry.increment({ method: "GET", url: "/test4", statusCode: 301, redirectLocation: "/moved" });
    expect(retry.history).toEqual([
      { method: "GET", url: "/test1", error: refused, status: null, redirect: false, redirectLocation: null },
      {
        method: "POST",
        url: "/test2",
        error: readTimeout,
        status: null,
        redirect: false,
        redirectLocation: null,
      },
      { method: "GET", url: "/test3", error: null, status: 500, redirect: false, redirectLocation: null },
      { method: "GET", url: "/test4", error: null, status: 301, redirect: true, redirectLocation: "/moved" },
    ]);
  });
});

describe("backoff", () => {
  it("waits nothing before the first retry, then factor * 2 ** (n - 1), capped at backoffMax", () => {
    let retry = new RetryConfiguration({ total: 100, backoffFactor: 200 });
    expect(retry.backoff()).toBe(0);
    retry = retry.increment({ method: "GET" });
    expect(retry.backoff()).toBe(0);
    retry = retry.increment({ method: "GET" });
    expect(retry.total).toBe(98);
    expect(retry.backoff()).toBe(400);
    retry = retry.increment({ method: "GET" });
    expect(retry.backoff()).toBe(800);
    retry = retry.increment({ method: "GET" });
    expect(retry.backoff()).toBe(1600);
    retry = incrementTimes(retry, 10);
    expect(retry.backoff()).toBe(RetryConfiguration.DEFAULT_BACKOFF_MAX);
  });

  it("honours a configured backoffMax", () => {
    let retry = new RetryConfiguration({ total: 100, backoffFactor: 200, backoffMax: 1000 });
    retry = incrementTimes(retry, 3);
    expect(retry.backoff()).toBe(800);
    retry = retry.increment({ method: "GET" });
    expect(retry.backoff()).toBe(1000);
    retry = retry.increment({ method: "GET" });
    expect(retry.backoff()).toBe(1000);
  });

  it("adds random() * backoffJitter before the cap, from an injected source", () => {
    const draws = [0.5, 0.99, 0.25];
    const random = () => draws.shift() ?? 0;
    let retry = new RetryConfiguration({
      total: 100,
      backoffFactor: 200,
      backoffMax: 1000,
      backoffJitter: 400,
      random,
    });
    expect(retry.backoff()).toBe(0);
    retry = retry.increment({ method: "GET" });
    expect(retry.backoff()).toBe(0);
    retry = retry.increment({ method: "GET" });
    expect(retry.backoff()).toBe(400 + 200);
    retry = retry.increment({ method: "GET" });
    expect(retry.backoff()).toBe(1000);
    retry = retry.increment({ method: "GET" });
    expect(retry.backoff()).toBe(1000);
  });

  it("is 0 with the default factor", () => {
    expect(incrementTimes(new RetryConfiguration(), 5).backoff()).toBe(0);
  });

  it("counts only the failures since the last redirect", () => {
    let retry = new RetryConfiguration({ total: 100, redirect: 5, backoffFactor: 200 });
    retry = incrementTimes(retry, 2);
    expect(retry.backoff()).toBe(400);
    retry = retry.increment({ method: "GET", statusCode: 302, redirectLocation: "test" });
    expect(retry.backoff()).toBe(0);
    retry = incrementTimes(retry, 2);
    expect(retry.backoff()).toBe(400);
  });
});

describe("retryAfter", () => {
  const now = Date.UTC(2019, 5, 3, 11, 0, 0);
  const retry = new RetryConfiguration();
  // A bare lookup: nq's Headers would refuse the leading tab urllib3's tests send.
  const header = (value: string) => ({ get: (name: string) => (name === "retry-after" ? value : null) });

  it.each([
    ["0", 0],
    ["1000", 1_000_000],
    ["\t42 ", 42_000],
  ])("reads delta-seconds %j", (value, ms) => {
    expect(retry.retryAfter(header(value), now)).toBe(ms);
  });

  it.each([
    ["Mon, 3 Jun 2019 12:00:00 UTC", 3_600_000],
    ["Mon, 03 Jun 2019 11:30:12 GMT", 1_812_000],
    ["Monday, 03-Jun-19 11:30:12 GMT", 1_812_000],
    ["Mon Jun  3 11:30:12 2019", 1_812_000],
    ["Mon, 03 Jun 2019 13:30:12 +0200", 1_812_000],
  ])("reads the HTTP-date %j (asctime as UTC)", (value, ms) => {
    expect(retry.retryAfter(header(value), now)).toBe(ms);
  });

  it("gives 0 for a date in the past", () => {
    expect(retry.retryAfter(header("Mon, 3 Jun 2019 10:00:00 GMT"), now)).toBe(0);
  });

  it("caps the wait at retryAfterMax", () => {
    expect(retry.retryAfter(header("99999999"), now)).toBe(21_600_000);
    const short = new RetryConfiguration({ retryAfterMax: 5_000 });
    expect(short.retryAfter(header("3600"), now)).toBe(5_000);
    expect(short.retryAfter(header("Mon, 3 Jun 2019 12:00:00 GMT"), now)).toBe(5_000);
  });

  it.each([
    "-1",
    "+1",
    "1.0",
    "\u00b2",
    "soon",
    "Mon, 31 Feb 2019 10:00:00 GMT",
    "Mon, 03 Jun 2019 25:00:00 GMT",
    "",
  ])("returns null for the malformed %j, where urllib3 raises InvalidHeader", (value) => {
    expect(retry.retryAfter(header(value), now)).toBeNull();
  });

  it("returns null without the header and reads any object with get()", () => {
    expect(retry.retryAfter(new Headers(), now)).toBeNull();
    expect(retry.retryAfter(new Headers({ "Retry-After": "5" }), now)).toBe(5000);
    expect(retry.retryAfter({ get: () => "7" }, now)).toBe(7000);
  });

  it("reads RFC 850 two-digit years as RFC 9110 says: no more than 50 years ahead", () => {
    const in2030 = Date.UTC(2030, 0, 1);
    expect(retry.retryAfter(header("Tuesday, 01-Jan-30 00:00:10 GMT"), in2030)).toBe(10_000);
    // "75" would be 2075, more than 50 years ahead of 2019: it is 1975, long past.
    expect(retry.retryAfter(header("Wednesday, 01-Jan-75 00:00:00 GMT"), now)).toBe(0);
  });
});

describe("sleepFor", () => {
  const headers = (value: string | null) => ({ get: () => value });

  it("waits as Retry-After says when respected, else the backoff", () => {
    let retry = new RetryConfiguration({ backoffFactor: 100 });
    retry = incrementTimes(retry, 3);
    expect(retry.sleepFor({ headers: headers("3600") })).toBe(3_600_000);
    expect(retry.sleepFor({ headers: headers(null) })).toBe(400);
    expect(retry.sleepFor()).toBe(400);
    expect(retry.new({ respectRetryAfterHeader: false }).sleepFor({ headers: headers("3600") })).toBe(400);
  });

  it("falls back to the backoff for Retry-After: 0, a past date and a malformed value, as urllib3's truthiness test does", () => {
    const retry = incrementTimes(new RetryConfiguration({ backoffFactor: 100 }), 2);
    expect(retry.sleepFor({ headers: headers("0") })).toBe(200);
    expect(retry.sleepFor({ headers: headers("Mon, 3 Jun 2019 10:00:00 GMT") })).toBe(200);
    expect(retry.sleepFor({ headers: headers("later") })).toBe(200);
  });

  it("takes a Response-shaped object", () => {
    const response = { statusCode: 503, headers: new Headers({ "retry-after": "2" }) };
    expect(new RetryConfiguration().sleepFor(response)).toBe(2000);
  });
});
