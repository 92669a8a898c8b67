import { type AddressInfo, createServer } from "node:net";
import {
  ChunkedEncodingError,
  ConnectionError,
  ConnectTimeout,
  InvalidHeader,
  ReadTimeout,
  requestExceptionFrom,
  type TransportError,
} from "@nq/models";
import { describe, expect, it } from "vitest";
import {
  breakAfterFirstChunk,
  transportFailure as failure,
  prepared,
  readAll,
  sendOptions,
  sleep,
  useFixtures,
} from "../test/helpers.js";
import type { HTTP1Transport } from "./index.js";

const { serve, respondRaw, stallingTls, transport } = useFixtures();

async function bodyFailure(t: HTTP1Transport, url: string): Promise<TransportError> {
  const response = await t.send(prepared(url), sendOptions());
  return failure(readAll(response.body));
}

/**
 * A server that holds the first request until `release()` and answers `later` to the others, and
 * a transport with one socket already busy with that first request.
 */
async function oneBusySocket(firstBody: string) {
  let requests = 0;
  let release: () => void = () => {};
  const server = await serve((_req, res) => {
    requests++;
    if (requests === 1) release = () => res.end(firstBody);
    else res.end("later");
  });
  const t = transport({ poolMaxsize: 1, poolBlock: true });
  const first = t.send(prepared(server.url), sendOptions());
  await sleep(20);
  return { server, t, first, release: () => release(), requests: () => requests };
}

describe("connection failures", () => {
  it("maps a refused connection to a retryable connect error", async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const error = await failure(transport().send(prepared(`http://127.0.0.1:${port}/`), sendOptions()));
    expect(error).toMatchObject({ kind: "connect", phase: "connect", retryable: true, code: "ECONNREFUSED" });
    expect(requestExceptionFrom(error)).toBeInstanceOf(ConnectionError);
  });

  it("rejects a non-HTTP URL", async () => {
    const error = await failure(transport().send(prepared("ftp://127.0.0.1/"), sendOptions()));
    expect(error).toMatchObject({ kind: "protocol", retryable: false });
  });
});

describe("abort", () => {
  it("rejects at once with the reason when the signal is already aborted", async () => {
    const server = await serve((_req, res) => res.end("ok"));
    const reason = new Error("already");
    await expect(
      transport().send(prepared(server.url), sendOptions({ signal: AbortSignal.abort(reason) })),
    ).rejects.toBe(reason);
    expect(server.connections).toBe(0);
  });

  it("rejects with signal.reason before the head and closes the socket", async () => {
    const server = await serve(() => {});
    const controller = new AbortController();
    const pending = transport().send(prepared(server.url), sendOptions({ signal: controller.signal }));
    await sleep(30);
    const reason = new DOMException("stop", "AbortError");
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    await server.waitForNoOpenConnections();
    expect(server.connections).toBe(1);
  });

  it("rejects the body iteration with signal.reason mid-body and closes the socket", async () => {
    const server = await serve((_req, res) => {
      res.write("first");
    });
    const controller = new AbortController();
    const response = await transport().send(prepared(server.url), sendOptions({ signal: controller.signal }));
    const iterator = response.body[Symbol.asyncIterator]();
    expect((await iterator.next()).done).toBe(false);
    const next = iterator.next();
    controller.abort("reason string");
    await expect(next).rejects.toBe("reason string");
    expect(await response.trailers).toBeUndefined();
    await server.waitForNoOpenConnections();
    expect(server.connections).toBe(1);
  });

  it("aborts a request still waiting for a pooled socket without touching the busy one", async () => {
    const { server, t, first, release, requests } = await oneBusySocket("first");
    const controller = new AbortController();
    const second = t.send(prepared(server.url), sendOptions({ signal: controller.signal }));
    await sleep(10);
    controller.abort(new Error("gave up"));
    await expect(second).rejects.toThrow("gave up");
    release();
    expect((await readAll((await first).body)).toString()).toBe("first");
    const third = await t.send(prepared(server.url), sendOptions());
    await readAll(third.body);
    expect(requests()).toBe(2);
    expect(server.connections).toBe(1);
    expect(third.connInfo?.reused).toBe(true);
  });

  it("an abort after the body was read changes nothing", async () => {
    const server = await serve((_req, res) => res.end("done"));
    const controller = new AbortController();
    const t = transport();
    const response = await t.send(prepared(server.url), sendOptions({ signal: controller.signal }));
    expect((await readAll(response.body)).toString()).toBe("done");
    controller.abort();
    const again = await t.send(prepared(server.url), sendOptions());
    await readAll(again.body);
    expect(server.connections).toBe(1);
  });
});

describe("broken connections", () => {
  it("maps a reset before the head to reset/head, not retryable", async () => {
    const server = await respondRaw((socket) => socket.resetAndDestroy());
    const error = await failure(transport().send(prepared(server.url), sendOptions()));
    expect(error).toMatchObject({ kind: "reset", phase: "head", retryable: false, code: "ECONNRESET" });
    expect(requestExceptionFrom(error)).toBeInstanceOf(ConnectionError);
  });

  it("maps the server closing before the head to reset/head (UND_ERR_SOCKET)", async () => {
    const server = await respondRaw((socket) => socket.end());
    const error = await failure(transport().send(prepared(server.url), sendOptions()));
    expect(error).toMatchObject({ kind: "reset", phase: "head", retryable: false, code: "UND_ERR_SOCKET" });
  });

  it("maps a reset in the middle of the body to reset/body", async () => {
    const server = await respondRaw((socket) => {
      socket.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
      setTimeout(() => socket.resetAndDestroy(), 20);
    });
    const error = await bodyFailure(transport(), server.url);
    expect(error).toMatchObject({ kind: "reset", phase: "body", retryable: false });
    expect(requestExceptionFrom(error)).toBeInstanceOf(ChunkedEncodingError);
  });

  it("maps a body shorter than its Content-Length to reset/body", async () => {
    const server = await respondRaw((socket) => {
      socket.end("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
    });
    const error = await bodyFailure(transport(), server.url);
    expect(error).toMatchObject({ kind: "reset", phase: "body", retryable: false });
    expect(["UND_ERR_RES_CONTENT_LENGTH_MISMATCH", "UND_ERR_SOCKET"]).toContain(error.code);
    expect(requestExceptionFrom(error)).toBeInstanceOf(ChunkedEncodingError);
  });

  it("maps a chunked body cut short to a body error", async () => {
    const server = await respondRaw((socket) => {
      socket.end("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
    });
    const error = await bodyFailure(transport(), server.url);
    expect(error.phase).toBe("body");
    expect(["reset", "protocol"]).toContain(error.kind);
    expect(requestExceptionFrom(error)).toBeInstanceOf(ChunkedEncodingError);
  });

  it("maps malformed chunk framing to protocol/body", async () => {
    const server = await respondRaw((socket) => {
      socket.end("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n");
    });
    const error = await bodyFailure(transport(), server.url);
    expect(error).toMatchObject({ kind: "protocol", phase: "body", code: "HPE_INVALID_CHUNK_SIZE" });
  });

  it("maps a response that is not HTTP to protocol/head", async () => {
    const server = await respondRaw((socket) => socket.end("SSH-2.0-OpenSSH\r\n\r\n"));
    const error = await failure(transport().send(prepared(server.url), sendOptions()));
    expect(error.kind).toBe("protocol");
    expect(error.phase).toBe("head");
    expect(error.code).toMatch(/^HPE_/);
  });
});

describe("invalid response heads", () => {
  it("maps oversized response headers to kind header", async () => {
    const server = await respondRaw((socket) => {
      socket.end(`HTTP/1.1 200 OK\r\nX-Big: ${"a".repeat(4096)}\r\nContent-Length: 0\r\n\r\n`);
    });
    const error = await failure(transport({ maxHeaderSize: 1024 }).send(prepared(server.url), sendOptions()));
    expect(error).toMatchObject({ kind: "header", phase: "head", code: "UND_ERR_HEADERS_OVERFLOW" });
    expect(requestExceptionFrom(error)).toBeInstanceOf(InvalidHeader);
  });

  it.each([
    ["conflicting duplicate Content-Length fields", "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"],
    ["a non-numeric Content-Length", "Content-Length: five\r\n\r\nhello"],
  ])("maps %s to kind header", async (_name, rest) => {
    const server = await respondRaw((socket) => socket.end(`HTTP/1.1 200 OK\r\n${rest}`));
    const error = await failure(transport().send(prepared(server.url), sendOptions()));
    expect(error).toMatchObject({ kind: "header", phase: "head" });
  });
});

describe("timeouts", () => {
  it("times out waiting for the head: timeout/head, a ReadTimeout", async () => {
    const server = await serve(() => {});
    const error = await failure(
      transport().send(prepared(server.url), sendOptions({ timeout: { read: 100 } })),
    );
    expect(error).toMatchObject({
      kind: "timeout",
      phase: "head",
      retryable: false,
      code: "UND_ERR_HEADERS_TIMEOUT",
    });
    expect(requestExceptionFrom(error)).toBeInstanceOf(ReadTimeout);
    await server.waitForNoOpenConnections();
  });

  it("times out on a stall in the body: timeout/body", async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { "content-length": "100" });
      res.write("0123456789");
    });
    const t = transport();
    const response = await t.send(prepared(server.url), sendOptions({ timeout: { read: 100 } }));
    const error = await failure(readAll(response.body));
    expect(error).toMatchObject({
      kind: "timeout",
      phase: "body",
      retryable: false,
      code: "UND_ERR_BODY_TIMEOUT",
    });
    expect(requestExceptionFrom(error)).toBeInstanceOf(ConnectionError);
    await server.waitForNoOpenConnections();
  });

  it("does not time out a slow consumer: the read timeout measures the server, not the reader", async () => {
    const payload = Buffer.alloc(1024 * 1024, 1);
    const server = await serve((_req, res) => res.end(payload));
    const response = await transport().send(prepared(server.url), sendOptions({ timeout: { read: 100 } }));
    const iterator = response.body[Symbol.asyncIterator]();
    await iterator.next();
    await sleep(300);
    let received = 0;
    for (let r = await iterator.next(); !r.done; r = await iterator.next()) received += r.value.length;
    expect(received).toBeGreaterThan(0);
  });

  it("enforces the total timeout across the body even when bytes keep coming", async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200);
      const timer = setInterval(() => res.write("."), 20);
      res.on("close", () => clearInterval(timer));
    });
    const response = await transport().send(
      prepared(server.url),
      sendOptions({ timeout: { read: 100, total: 200 } }),
    );
    const error = await failure(readAll(response.body));
    expect(error).toMatchObject({ kind: "timeout", phase: "body", retryable: false });
    await server.waitForNoOpenConnections();
  });

  it("enforces the total timeout before the head", async () => {
    const server = await serve(() => {});
    const error = await failure(
      transport().send(prepared(server.url), sendOptions({ timeout: { total: 100 } })),
    );
    expect(error).toMatchObject({ kind: "timeout", phase: "head" });
    await server.waitForNoOpenConnections();
  });

  it("times out a TLS handshake the server never answers: timeout/connect, retryable", async () => {
    // The TCP side accepts and reads the ClientHello, but never answers it.
    const server = await stallingTls();
    const started = Date.now();
    const error = await failure(
      transport().send(prepared(server.url), sendOptions({ timeout: { connect: 150 } })),
    );
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(error).toMatchObject({ kind: "timeout", phase: "connect", retryable: true });
    expect(requestExceptionFrom(error)).toBeInstanceOf(ConnectTimeout);
    // The abandoned handshake is closed, not left to the OS.
    await server.waitForNoOpenConnections();
    expect(server.connections).toBe(1);
  });

  it("counts waiting for a pooled socket against the connect timeout", async () => {
    const { server, t, first, release, requests } = await oneBusySocket("slow");
    const error = await failure(t.send(prepared(server.url), sendOptions({ timeout: { connect: 100 } })));
    expect(error).toMatchObject({ kind: "timeout", phase: "connect", retryable: true });
    release();
    expect((await readAll((await first).body)).toString()).toBe("slow");
    const third = await t.send(prepared(server.url), sendOptions());
    expect((await readAll(third.body)).toString()).toBe("later");
    // The timed-out request was dropped before it was written, and the socket kept.
    expect(requests()).toBe(2);
    expect(server.connections).toBe(1);
  });
});

describe("cancel", () => {
  it("drains a short remainder so the socket is reused", async () => {
    const server = await serve((_req, res) => {
      res.writeHead(302, { location: "/next", "content-length": "2000" });
      res.write("a".repeat(1000));
      setTimeout(() => res.end("b".repeat(1000)), 20);
    });
    const t = transport();
    const response = await t.send(prepared(server.url), sendOptions());
    response.cancel();
    expect(await readAll(response.body)).toHaveLength(0);
    await sleep(50);
    const again = await t.send(prepared(server.url), sendOptions());
    expect(again.connInfo?.reused).toBe(true);
    again.cancel();
    expect(server.connections).toBe(1);
  });

  it("closes the socket for a long or unknown-length remainder", async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200);
      res.write("x".repeat(1000));
    });
    const t = transport();
    const response = await t.send(prepared(server.url), sendOptions());
    response.cancel();
    await server.waitForNoOpenConnections();
    expect(await response.trailers).toBeUndefined();
    expect(await readAll(response.body)).toHaveLength(0);
    const again = await t.send(prepared(server.url), sendOptions());
    expect(again.connInfo?.reused).toBe(false);
    again.cancel();
    expect(server.connections).toBe(2);
  });

  it("breaking out of for-await cancels the body", async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200);
      res.write("chunk");
    });
    const response = await transport().send(prepared(server.url), sendOptions());
    await breakAfterFirstChunk(response.body);
    await server.waitForNoOpenConnections();
  });
});

describe("interim responses", () => {
  it("fails on an unsolicited 100 Continue, which undici refuses (we never send Expect)", async () => {
    const server = await respondRaw((socket) => {
      socket.write("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    });
    const error = await failure(transport().send(prepared(server.url), sendOptions()));
    expect(error).toMatchObject({ kind: "reset", phase: "head", code: "UND_ERR_SOCKET" });
  });

  it("drops a caller's Expect header instead of failing", async () => {
    let expectHeader: string | undefined = "unset";
    const server = await serve((req, res) => {
      expectHeader = req.headers.expect;
      req.resume();
      req.on("end", () => res.end("ok"));
    });
    const request = prepared(server.url, {
      method: "POST",
      body: new Uint8Array([1, 2, 3]),
      headers: { Expect: "100-continue", "Content-Length": "3" },
    });
    const response = await transport().send(request, sendOptions());
    expect((await readAll(response.body)).toString()).toBe("ok");
    expect(expectHeader).toBeUndefined();
  });
});
