import type { Socket } from "node:net";
import { readRequestHead, startRawServer } from "@nq/testkit";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import * as nq from "./index.js";

// A local server that fails on purpose, script step by step: each connection reads one request
// head and plays the next step. Fake timers stand in for the clock, so the waits between
// attempts are measured without waiting (and no test depends on wall-clock time). Fake time
// moves in 50 ms steps while real sockets do their work, so a gap reads up to a few steps long:
// the bounds below allow 500 ms, well under the differences they tell apart.

type Play = (socket: Socket) => void;

const respond =
  (status: number, headers: Record<string, string>, body = ""): Play =>
  (socket) => {
    const lines = Object.entries({ ...headers, "Content-Length": String(Buffer.byteLength(body)) }).map(
      ([k, v]) => `${k}: ${v}\r\n`,
    );
    socket.end(`HTTP/1.1 ${status} X\r\n${lines.join("")}Connection: close\r\n\r\n${body}`);
  };

const resetBeforeResponse: Play = (socket) => socket.resetAndDestroy();

const resetMidBody: Play = (socket) => {
  socket.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\nfirst half");
  setImmediate(() => socket.resetAndDestroy());
};

async function failingServer(steps: Play[]) {
  const arrivals: number[] = [];
  const server = await startRawServer(async (socket) => {
    await readRequestHead(socket);
    arrivals.push(Date.now());
    steps[Math.min(arrivals.length - 1, steps.length - 1)]!(socket);
  });
  return { server, arrivals, gaps: () => arrivals.slice(1).map((t, i) => t - arrivals[i]!) };
}

/** Drives fake time forward until the promise settles. */
async function settle<T>(promise: Promise<T>): Promise<T> {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < 2_000 && !done; i++) await vi.advanceTimersByTimeAsync(50);
  return promise;
}

beforeEach(() => {
  // Only the clock and setTimeout are faked: sockets and setImmediate stay real.
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"], now: Date.UTC(2026, 5, 1) });
});
afterEach(() => {
  vi.useRealTimers();
});

describe("retries against a server that fails on purpose", () => {
  it("waits out a 503's Retry-After in seconds, then succeeds on the second attempt", async () => {
    const { server, arrivals, gaps } = await failingServer([
      respond(503, { "Retry-After": "2" }),
      respond(200, {}, "ok"),
    ]);
    await using _ = server;
    await using s = new nq.Session({ retries: 3 });
    const r = await settle(s.get(server.url));
    expect(r.text).toBe("ok");
    expect(arrivals).toHaveLength(2);
    expect(gaps()[0]).toBeGreaterThanOrEqual(2_000);
    expect(gaps()[0]).toBeLessThan(2_500);
  });

  it("waits until a Retry-After HTTP-date", async () => {
    const at = new Date(Date.now() + 4_000).toUTCString();
    const { server, gaps } = await failingServer([respond(503, { "Retry-After": at }), respond(200, {})]);
    await using _ = server;
    await using s = new nq.Session({ retries: 1 });
    expect((await settle(s.get(server.url))).statusCode).toBe(200);
    expect(gaps()[0]).toBeGreaterThanOrEqual(3_000);
    expect(gaps()[0]).toBeLessThan(4_500);
  });

  it("retries a connection reset before the response, with exponential backoff", async () => {
    const { server, arrivals, gaps } = await failingServer([
      resetBeforeResponse,
      resetBeforeResponse,
      resetBeforeResponse,
      respond(200, {}, "ok"),
    ]);
    await using _ = server;
    const retries = new nq.RetryConfiguration({ total: 3, backoffFactor: 500 });
    await using s = new nq.Session({ retries });
    expect((await settle(s.get(server.url))).text).toBe("ok");
    expect(arrivals).toHaveLength(4);
    const [first, second, third] = gaps();
    expect(first).toBeLessThan(500);
    expect(second).toBeGreaterThanOrEqual(1_000);
    expect(second).toBeLessThan(1_500);
    expect(third).toBeGreaterThanOrEqual(2_000);
    expect(third).toBeLessThan(2_500);
  });

  it("retries a reset in the middle of the body for an idempotent method", async () => {
    const { server, arrivals } = await failingServer([resetMidBody, respond(200, {}, "whole")]);
    await using _ = server;
    await using s = new nq.Session({ retries: 2 });
    expect((await settle(s.get(server.url))).text).toBe("whole");
    expect(arrivals).toHaveLength(2);
  });

  it("gives up after the budget with the last failure, and keeps what the body delivered", async () => {
    const { server, arrivals } = await failingServer([resetMidBody]);
    await using _ = server;
    await using s = new nq.Session({ retries: 2 });
    const error = await settle(s.get(server.url)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(nq.ChunkedEncodingError);
    expect((error as nq.ChunkedEncodingError).response?.text).toBe("first half");
    expect(arrivals).toHaveLength(3);
  });

  it("does not resend a POST whose connection reset after it was sent", async () => {
    const { server, arrivals } = await failingServer([resetBeforeResponse, respond(200, {})]);
    await using _ = server;
    await using s = new nq.Session({ retries: 3 });
    await expect(settle(s.post(server.url, { data: "once" }))).rejects.toBeInstanceOf(nq.ConnectionError);
    expect(arrivals).toHaveLength(1);
  });

  it("raises RetryError when a forced status never clears", async () => {
    const { server, arrivals } = await failingServer([respond(500, {})]);
    await using _ = server;
    const retries = new nq.RetryConfiguration({ total: 2, statusForcelist: [500] });
    await using s = new nq.Session({ retries });
    const error = await settle(s.get(server.url)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(nq.RetryError);
    expect(arrivals).toHaveLength(3);
  });
});
