import { createHash, randomBytes } from "node:crypto";
import { rm, writeFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { type Http2ServerRequest, constants as http2Constants } from "node:http2";
import { createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import {
  Headers,
  type HeadersInit,
  PreparedRequest,
  type RequestBody,
  reasonPhrase,
  type SendOptions,
  type Transport,
  TransportError,
  type TransportErrorKind,
  type TransportErrorPhase,
  type TransportResponse,
} from "@nq/models";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestPki, type TestPki } from "./certificates.js";
import {
  type FixtureServer,
  type FixtureTlsOptions,
  type Http2Handler,
  type HttpHandler,
  readRequestHead,
  startHttp2Server,
  startHttpServer,
  startHttpsServer,
  startRawServer,
  startStallingTlsServer,
} from "./servers.js";

/**
 * Every case of {@link describeTransportConformance}, by id, with what it checks. Ids are stable:
 * pass them in `skip` to leave a case out, so the list of what a transport cannot do is explicit.
 */
export const conformanceCases = {
  "status-reason": "status code, reason phrase and httpVersion reach the response",
  "response-headers": "repeated response fields stay separate; HTTP/1.1 field names keep their case",
  "request-headers": "request fields arrive as sent (case, repeats) with the Host / :authority of the URL",
  "request-body-bytes": "a byte body arrives whole with its Content-Length",
  "request-body-stream": "an async-iterable body is streamed as produced (chunked on HTTP/1.1)",
  "request-body-empty": "a POST without a body sends Content-Length: 0 and no bytes",
  "upload-progress": "onUploadProgress reports bytes handed to the connection, ending at the total",
  "response-body-stream": "the first body chunk is yielded before the server has finished the body",
  "response-body-large": "a 1 MiB body arrives byte-exact",
  "head-no-body": "HEAD yields an empty body despite Content-Length, and the next request still works",
  "no-content": "204 yields an empty body and the next request still works",
  informational: "onInformational sees a 103 Early Hints before the final response",
  "connection-reuse": "ten sequential requests to one origin use one connection",
  "cancel-body": "cancel() releases an unread endless body and the next request succeeds",
  "abort-before-head": "aborting before the head rejects send() with signal.reason and closes the exchange",
  "abort-mid-body": "aborting while the body is read rejects the pending read with signal.reason",
  "connect-timeout": "a server that never finishes the handshake fails as timeout/connect, retryable",
  "read-timeout-head": "no response head within the read timeout fails as timeout/head, not retryable",
  "read-timeout-body": "a body that stalls longer than the read timeout fails as timeout/body",
  "connection-refused": "nothing listening fails as connect/connect, retryable",
  "reset-before-head": "a reset after the request was read fails as reset or closed, not retryable",
  "closed-before-head": "a close after the request was read fails as closed or reset, not retryable",
  "reset-mid-body": "a reset mid-body fails in phase body after the bytes that arrived were yielded",
  "truncated-body": "a body shorter than its Content-Length fails in phase body after the bytes that arrived",
  "content-decoding": "a gzip-encoded body is decoded in body",
  "raw-body": "rawBody yields the body still content-encoded",
  trailers: "trailer fields resolve once the body is read; trailers settle when there are none",
  "tls-untrusted": "a certificate from an unknown CA fails as tls with verify: true",
  "tls-verify-ca": "verify as PEM text, PEM bytes and a PEM file path trusts that CA",
  "tls-verify-false": "verify: false accepts a self-signed certificate",
  "tls-verify-pooling": "a connection opened with verify: false is not reused for verify: true",
  "tls-wrong-host": "a certificate for another host fails as tls",
  "tls-expired": "an expired certificate fails as tls",
  "tls-client-cert": "cert: [certificate, key] authenticates the client to a server that requires it",
  close: "close() lets in-flight exchanges finish and makes later send() reject as closed",
  destroy: "destroy() fails in-flight exchanges, releases their sockets and refuses new work",
  "no-open-handles": "after close() every connection the transport opened is closed",
} as const satisfies Record<string, string>;

/** The id of one conformance case. */
export type ConformanceCaseId = keyof typeof conformanceCases;

/** Options of {@link describeTransportConformance}. */
export interface ConformanceOptions {
  /**
   * The protocols to run the suite over, each in its own `describe`; `["http/1.1"]` by default.
   * HTTP/1.1 cases run in cleartext; h2 cases run over TLS with ALPN when `tls` is set, over
   * h2c with prior knowledge otherwise.
   */
  readonly protocols?: readonly ("http/1.1" | "h2")[] | undefined;
  /** Run the TLS cases (and `connect-timeout`, whose stall is a TLS handshake); off by default. */
  readonly tls?: boolean | undefined;
  /** Cases this transport cannot pass, by id; each shows as skipped under its own name. */
  readonly skip?: readonly ConformanceCaseId[] | undefined;
  /** Per-case time limit in milliseconds; 15 000 by default. */
  readonly caseTimeout?: number | undefined;
}

/** A way to make the transport under test; each case makes a fresh one and closes it. */
export type TransportFactory = () => Transport | Promise<Transport>;

type Protocol = "http/1.1" | "h2";

interface ManagedTransport extends AsyncDisposable {
  readonly transport: Transport;
}

interface Context {
  readonly protocol: Protocol;
  /** Whether the main cases run over TLS (h2 with `tls`). */
  readonly secure: boolean;
  readonly httpVersion: 11 | 20;
  readonly pki: TestPki;
  transport(): Promise<ManagedTransport>;
  /** A fixture server for the protocol under test. */
  serve(handler: HttpHandler): Promise<FixtureServer>;
  /** A TLS fixture server for the protocol under test. */
  serveTls(handler: HttpHandler, tls?: FixtureTlsOptions): Promise<FixtureServer>;
  options(overrides?: Partial<SendOptions>): SendOptions;
}

type Case = (ctx: Context) => Promise<void>;

const TLS_CASES: ReadonlySet<ConformanceCaseId> = new Set([
  "connect-timeout",
  "tls-untrusted",
  "tls-verify-ca",
  "tls-verify-false",
  "tls-verify-pooling",
  "tls-wrong-host",
  "tls-expired",
  "tls-client-cert",
]);

// ---------------------------------------------------------------------------------------------
// Helpers

const decoder = new TextDecoder();
const encoder = new TextEncoder();

interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
}

function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Resolves true when `promise` settles within `ms`, false otherwise; leaves no timer behind. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** `promise`, or a failure naming what did not happen within `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function bytes(size: number, seed = 1): Uint8Array {
  // xorshift32: deterministic, incompressible enough that a transport cannot get lucky.
  const out = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const sha256 = (data: Uint8Array): string => createHash("sha256").update(data).digest("hex");

function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(chunks));
}

async function readAll(body: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return concatBytes(chunks);
}

async function readText(response: TransportResponse): Promise<string> {
  return decoder.decode(await readAll(response.body));
}

/** Reads until the body fails; returns the bytes yielded before the failure and the failure. */
async function readUntilError(
  body: AsyncIterable<Uint8Array>,
  onChunk?: (received: number) => void,
): Promise<{ received: Uint8Array; error: unknown }> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      chunks.push(chunk);
      size += chunk.length;
      onChunk?.(size);
    }
  } catch (error) {
    return { received: concatBytes(chunks), error };
  }
  throw new Error(`the body ended cleanly after ${size} bytes; an error was expected`);
}

async function readRequestBody(request: IncomingMessage): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of request) chunks.push(chunk as Uint8Array);
  return concatBytes(chunks);
}

function describeError(error: unknown): string {
  if (error instanceof TransportError) {
    return `TransportError(kind=${error.kind}, phase=${error.phase}, retryable=${error.retryable}, code=${error.code}): ${error.message}`;
  }
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

interface ExpectedError {
  readonly kind: readonly TransportErrorKind[];
  readonly phase?: readonly TransportErrorPhase[];
  readonly retryable?: boolean;
}

function checkTransportError(error: unknown, expected: ExpectedError): TransportError {
  const seen = describeError(error);
  expect(error instanceof TransportError, `expected a TransportError, got ${seen}`).toBe(true);
  const failure = error as TransportError;
  expect(expected.kind, `kind: ${seen}`).toContain(failure.kind);
  if (expected.phase) expect(expected.phase, `phase: ${seen}`).toContain(failure.phase);
  if (expected.retryable !== undefined)
    expect(failure.retryable, `retryable: ${seen}`).toBe(expected.retryable);
  return failure;
}

async function expectTransportError(
  promise: Promise<unknown>,
  expected: ExpectedError,
): Promise<TransportError> {
  let outcome: unknown;
  try {
    const value = await promise;
    // A response that should not exist still holds a connection: release it before failing.
    (value as Partial<TransportResponse> | undefined)?.cancel?.();
    outcome = value;
  } catch (error) {
    return checkTransportError(error, expected);
  }
  throw new Error(
    `expected a TransportError of kind ${expected.kind.join("|")}, but it resolved: ${String(outcome)}`,
  );
}

async function expectRejectsWith(promise: Promise<unknown>, reason: unknown, what: string): Promise<void> {
  try {
    const value = await promise;
    (value as Partial<TransportResponse> | undefined)?.cancel?.();
  } catch (error) {
    expect(error, `${what} should reject with signal.reason itself, got ${describeError(error)}`).toBe(
      reason,
    );
    return;
  }
  throw new Error(`${what} should reject with signal.reason, but it resolved`);
}

/** Builds a request as the session's PreparedRequest would, with Content-Length or chunked framing. */
function request(
  method: string,
  url: string,
  init: { readonly headers?: HeadersInit; readonly body?: RequestBody | null } = {},
): PreparedRequest {
  const prepared = new PreparedRequest();
  prepared.prepareMethod(method);
  prepared.prepareUrl(url);
  prepared.prepareHeaders(init.headers);
  prepared.body = init.body ?? null;
  prepared.prepareContentLength(prepared.body instanceof Uint8Array ? prepared.body.length : null);
  return prepared;
}

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

function tcpHandleCount(): number {
  return process.getActiveResourcesInfo().filter((name) => name === "TCPSocketWrap" || name === "TLSWrap")
    .length;
}

function h2stream(request: IncomingMessage): Http2ServerRequest["stream"] {
  return (request as unknown as Http2ServerRequest).stream;
}

/** Writes a head with a reason phrase where the protocol has one. */
function writeHead(
  ctx: Context,
  response: ServerResponse,
  status: number,
  headers: Record<string, string | string[]>,
  reason?: string,
): void {
  if (ctx.protocol === "http/1.1" && reason !== undefined) response.writeHead(status, reason, headers);
  else response.writeHead(status, headers);
}

// ---------------------------------------------------------------------------------------------
// Cases

const cases: Record<ConformanceCaseId, Case> = {
  async "status-reason"(ctx) {
    await using server = await ctx.serve((req, res) => {
      if (req.url === "/teapot")
        writeHead(ctx, res, 418, { "content-type": "text/plain" }, "Short And Stout");
      else writeHead(ctx, res, 201, {});
      res.end("body");
    });
    await using t = await ctx.transport();
    const teapot = await t.transport.send(request("GET", `${server.origin}/teapot`), ctx.options());
    expect(teapot.statusCode).toBe(418);
    // HTTP/2 and HTTP/3 carry no reason phrase, so the transport reports the standard one.
    expect(teapot.reason).toBe(ctx.protocol === "http/1.1" ? "Short And Stout" : reasonPhrase(418));
    expect(teapot.httpVersion).toBe(ctx.httpVersion);
    expect(await readText(teapot)).toBe("body");
    const created = await t.transport.send(request("GET", `${server.origin}/created`), ctx.options());
    expect(created.statusCode).toBe(201);
    expect(created.reason).toBe("Created");
    await readAll(created.body);
  },

  async "response-headers"(ctx) {
    await using server = await ctx.serve((_req, res) => {
      res.setHeader("X-Multi", ["one", "two"]);
      res.setHeader("Set-Cookie", ["a=1; Path=/", "b=2; Path=/"]);
      res.setHeader("X-CamelCase-Field", "Value Kept");
      res.end("ok");
    });
    await using t = await ctx.transport();
    const response = await t.transport.send(request("GET", server.url), ctx.options());
    await readAll(response.body);
    expect(response.headers.getAll("x-multi")).toEqual(["one", "two"]);
    expect(response.headers.getSetCookie()).toEqual(["a=1; Path=/", "b=2; Path=/"]);
    expect(response.headers.get("X-CAMELCASE-FIELD")).toBe("Value Kept");
    const name = ctx.protocol === "http/1.1" ? "X-CamelCase-Field" : "x-camelcase-field";
    expect(response.headers.raw()).toContainEqual([name, "Value Kept"]);
  },

  async "request-headers"(ctx) {
    let seen: { raw: string[]; headers: IncomingMessage["headers"] } | undefined;
    await using server = await ctx.serve((req, res) => {
      seen = { raw: req.rawHeaders, headers: req.headers };
      res.end();
    });
    await using t = await ctx.transport();
    const headers = new Headers([
      ["X-Conformance-Case", "Request-Headers"],
      ["X-Repeat", "one"],
      ["X-Repeat", "two"],
      ["User-Agent", "nq-conformance/1"],
    ]);
    const response = await t.transport.send(
      request("GET", `${server.origin}/path?q=1`, { headers }),
      ctx.options(),
    );
    await readAll(response.body);
    expect(seen, "the server saw no request").toBeDefined();
    const { raw, headers: received } = seen!;
    expect(received["x-conformance-case"]).toBe("Request-Headers");
    expect(received["user-agent"]).toBe("nq-conformance/1");
    expect(received["x-repeat"]).toBe("one, two");
    if (ctx.protocol === "http/1.1") {
      // Headers keeps the caller's case for sending; HTTP/1.1 is where it shows on the wire.
      expect(raw).toContain("X-Conformance-Case");
      expect(received.host).toBe(`127.0.0.1:${server.port}`);
    } else {
      expect(received[":authority"] ?? received.host).toBe(`127.0.0.1:${server.port}`);
      expect(received[":path"]).toBe("/path?q=1");
    }
  },

  async "request-body-bytes"(ctx) {
    const payload = bytes(64 * 1024, 7);
    await using server = await ctx.serve(async (req, res) => {
      const body = await readRequestBody(req);
      res.setHeader("content-type", "application/json");
      res.end(
        JSON.stringify({
          method: req.method,
          length: body.length,
          sha: sha256(body),
          contentLength: req.headers["content-length"] ?? null,
          transferEncoding: req.headers["transfer-encoding"] ?? null,
        }),
      );
    });
    await using t = await ctx.transport();
    const response = await t.transport.send(request("PUT", server.url, { body: payload }), ctx.options());
    expect(JSON.parse(await readText(response))).toEqual({
      method: "PUT",
      length: payload.length,
      sha: sha256(payload),
      contentLength: String(payload.length),
      transferEncoding: null,
    });
  },

  async "request-body-stream"(ctx) {
    const serverGotFirst = deferred();
    await using server = await ctx.serve(async (req, res) => {
      let total = 0;
      const hash = createHash("sha256");
      for await (const chunk of req) {
        total += (chunk as Uint8Array).length;
        hash.update(chunk as Uint8Array);
        serverGotFirst.resolve();
      }
      res.end(
        JSON.stringify({
          total,
          sha: hash.digest("hex"),
          contentLength: req.headers["content-length"] ?? null,
          transferEncoding: req.headers["transfer-encoding"] ?? null,
        }),
      );
    });
    const parts = [bytes(16 * 1024, 1), bytes(1000, 2), bytes(30_000, 3)];
    let streamed = true;
    async function* produce(): AsyncGenerator<Uint8Array> {
      yield parts[0]!;
      // A transport that buffers the whole body would deadlock here; wait a bounded time and
      // record the failure instead, so the case fails with a reason rather than a timeout.
      streamed = await settlesWithin(serverGotFirst.promise, 3_000);
      yield parts[1]!;
      yield parts[2]!;
    }
    await using t = await ctx.transport();
    const response = await t.transport.send(request("POST", server.url, { body: produce() }), ctx.options());
    const seen = JSON.parse(await readText(response)) as Record<string, unknown>;
    expect(streamed, "the server did not receive the first chunk before the next was produced").toBe(true);
    expect(seen.total).toBe(17_384 + 30_000);
    expect(seen.sha).toBe(sha256(concatBytes(parts)));
    expect(seen.contentLength).toBe(null);
    expect(seen.transferEncoding).toBe(ctx.protocol === "http/1.1" ? "chunked" : null);
  },

  async "request-body-empty"(ctx) {
    await using server = await ctx.serve(async (req, res) => {
      const body = await readRequestBody(req);
      res.end(
        JSON.stringify({
          method: req.method,
          length: body.length,
          contentLength: req.headers["content-length"] ?? null,
        }),
      );
    });
    await using t = await ctx.transport();
    const prepared = request("POST", server.url);
    expect(prepared.headers.get("content-length")).toBe("0");
    const seen = JSON.parse(await readText(await t.transport.send(prepared, ctx.options()))) as Record<
      string,
      unknown
    >;
    expect(seen.method).toBe("POST");
    expect(seen.length).toBe(0);
    if (ctx.protocol === "http/1.1") expect(seen.contentLength).toBe("0");
  },

  async "upload-progress"(ctx) {
    await using server = await ctx.serve(async (req, res) => {
      res.end(String((await readRequestBody(req)).length));
    });
    await using t = await ctx.transport();
    const payload = bytes(256 * 1024, 9);
    const reports: [number, number | null][] = [];
    const options = ctx.options({ onUploadProgress: (sent, total) => reports.push([sent, total]) });
    const response = await t.transport.send(request("POST", server.url, { body: payload }), options);
    expect(await readText(response)).toBe(String(payload.length));
    expect(reports.length, "onUploadProgress was never called").toBeGreaterThan(0);
    expect(reports.at(-1)).toEqual([payload.length, payload.length]);
    for (let i = 1; i < reports.length; i++)
      expect(reports[i]![0]).toBeGreaterThanOrEqual(reports[i - 1]![0]);
  },

  async "response-body-stream"(ctx) {
    const clientGotFirst = deferred();
    let serverFinished = false;
    await using server = await ctx.serve(async (_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("first;");
      await settlesWithin(clientGotFirst.promise, 3_000);
      serverFinished = true;
      res.end("second;");
    });
    await using t = await ctx.transport();
    const response = await t.transport.send(request("GET", server.url), ctx.options());
    const iterator = response.body[Symbol.asyncIterator]();
    let text = "";
    while (!text.includes("first;")) {
      const next = await iterator.next();
      if (next.done) break;
      text += decoder.decode(next.value);
    }
    expect(serverFinished, "the first chunk was held back until the server finished the body").toBe(false);
    clientGotFirst.resolve();
    for (let next = await iterator.next(); !next.done; next = await iterator.next())
      text += decoder.decode(next.value);
    expect(text).toBe("first;second;");
  },

  async "response-body-large"(ctx) {
    const payload = bytes(1024 * 1024, 42);
    await using server = await ctx.serve((_req, res) => {
      res.writeHead(200, {
        "content-type": "application/octet-stream",
        "content-length": String(payload.length),
      });
      res.end(payload);
    });
    await using t = await ctx.transport();
    const received = await readAll((await t.transport.send(request("GET", server.url), ctx.options())).body);
    expect(received.length).toBe(payload.length);
    expect(sha256(received)).toBe(sha256(payload));
  },

  async "head-no-body"(ctx) {
    await using server = await ctx.serve((req, res) => {
      res.writeHead(200, { "content-type": "text/plain", "content-length": "1234" });
      res.end(req.method === "HEAD" ? undefined : "x".repeat(1234));
    });
    await using t = await ctx.transport();
    const head = await t.transport.send(request("HEAD", server.url), ctx.options());
    expect(head.headers.get("content-length")).toBe("1234");
    const body = await within(readAll(head.body), 2_000, "the empty body of a HEAD response");
    expect(body.length).toBe(0);
    const get = await t.transport.send(request("GET", server.url), ctx.options());
    expect((await readAll(get.body)).length).toBe(1234);
  },

  async "no-content"(ctx) {
    await using server = await ctx.serve((req, res) => {
      if (req.url === "/none") res.writeHead(204).end();
      else res.end("after");
    });
    await using t = await ctx.transport();
    const none = await t.transport.send(request("DELETE", `${server.origin}/none`), ctx.options());
    expect(none.statusCode).toBe(204);
    expect((await within(readAll(none.body), 2_000, "the empty body of a 204")).length).toBe(0);
    expect(
      await readText(await t.transport.send(request("GET", `${server.origin}/after`), ctx.options())),
    ).toBe("after");
  },

  async informational(ctx) {
    await using server = await ctx.serve((_req, res) => {
      res.writeEarlyHints({ link: "</style.css>; rel=preload; as=style" });
      res.end("final");
    });
    await using t = await ctx.transport();
    const seen: [number, string | null][] = [];
    const options = ctx.options({
      onInformational: (status, headers) => seen.push([status, headers.get("link")]),
    });
    const response = await t.transport.send(request("GET", server.url), options);
    expect(response.statusCode).toBe(200);
    expect(await readText(response)).toBe("final");
    expect(seen).toEqual([[103, "</style.css>; rel=preload; as=style"]]);
  },

  async "connection-reuse"(ctx) {
    await using server = await ctx.serve((req, res) => res.end(`reply to ${req.url}`));
    await using t = await ctx.transport();
    for (let i = 0; i < 10; i++) {
      const response = await t.transport.send(request("GET", `${server.origin}/${i}`), ctx.options());
      expect(await readText(response)).toBe(`reply to /${i}`);
    }
    expect(server.connections, "connections the server accepted for 10 sequential requests").toBe(1);
  },

  async "cancel-body"(ctx) {
    const endlessClosed = deferred();
    await using server = await ctx.serve((req, res) => {
      if (req.url !== "/endless") {
        res.end("next");
        return;
      }
      res.writeHead(200, { "content-type": "application/octet-stream" });
      const chunk = bytes(16 * 1024);
      const timer = setInterval(() => res.write(chunk), 5);
      res.once("close", () => {
        clearInterval(timer);
        endlessClosed.resolve();
      });
      res.write(chunk);
    });
    await using t = await ctx.transport();
    const endless = await t.transport.send(request("GET", `${server.origin}/endless`), ctx.options());
    endless.cancel(new Error("not interested"));
    await within(endlessClosed.promise, 3_000, "the server to see the cancelled exchange closed");
    const next = await t.transport.send(request("GET", `${server.origin}/next`), ctx.options());
    expect(await readText(next)).toBe("next");
  },

  async "abort-before-head"(ctx) {
    const arrived = deferred();
    const serverClosed = deferred();
    await using server = await ctx.serve((_req, res) => {
      arrived.resolve();
      res.once("close", () => serverClosed.resolve());
    });
    await using t = await ctx.transport();

    const early = new Error("aborted before sending");
    await expectRejectsWith(
      t.transport.send(request("GET", server.url), ctx.options({ signal: AbortSignal.abort(early) })),
      early,
      "send() with an already aborted signal",
    );

    const controller = new AbortController();
    const reason = new Error("aborted while waiting for the head");
    const pending = t.transport.send(request("GET", server.url), ctx.options({ signal: controller.signal }));
    await within(arrived.promise, 3_000, "the request to reach the server");
    controller.abort(reason);
    await expectRejectsWith(pending, reason, "send() aborted before the head");
    await within(serverClosed.promise, 3_000, "the server to see the aborted exchange closed");
  },

  async "abort-mid-body"(ctx) {
    const serverClosed = deferred();
    await using server = await ctx.serve((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("first;");
      res.once("close", () => serverClosed.resolve());
    });
    await using t = await ctx.transport();
    const controller = new AbortController();
    const reason = new Error("aborted mid-body");
    const response = await t.transport.send(
      request("GET", server.url),
      ctx.options({ signal: controller.signal }),
    );
    const iterator = response.body[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.done).toBe(false);
    const pending = iterator.next();
    controller.abort(reason);
    await expectRejectsWith(
      within(pending, 3_000, "the pending body read to settle"),
      reason,
      "the body read",
    );
    await within(serverClosed.promise, 3_000, "the server to see the aborted exchange closed");
  },

  async "connect-timeout"(ctx) {
    await using stalling = await startStallingTlsServer();
    await using t = await ctx.transport();
    const started = Date.now();
    await expectTransportError(
      t.transport.send(
        request("GET", stalling.url),
        ctx.options({ timeout: { connect: 250, read: 10_000, total: null }, verify: ctx.pki.ca.cert }),
      ),
      { kind: ["timeout"], phase: ["connect"], retryable: true },
    );
    expect(Date.now() - started, "milliseconds until the connect timeout fired").toBeLessThan(5_000);
  },

  async "read-timeout-head"(ctx) {
    const serverClosed = deferred();
    await using server = await ctx.serve((_req, res) => {
      res.once("close", () => serverClosed.resolve());
    });
    await using t = await ctx.transport();
    await expectTransportError(
      t.transport.send(
        request("GET", server.url),
        ctx.options({ timeout: { connect: 5_000, read: 300, total: null } }),
      ),
      { kind: ["timeout"], phase: ["head"], retryable: false },
    );
    await within(serverClosed.promise, 3_000, "the server to see the timed-out exchange closed");
  },

  async "read-timeout-body"(ctx) {
    await using server = await ctx.serve((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("first;");
    });
    await using t = await ctx.transport();
    const response = await t.transport.send(
      request("GET", server.url),
      ctx.options({ timeout: { connect: 5_000, read: 300, total: null } }),
    );
    const { received, error } = await within(
      readUntilError(response.body),
      5_000,
      "the body read to time out",
    );
    expect(decoder.decode(received)).toBe("first;");
    checkTransportError(error, { kind: ["timeout"], phase: ["body"], retryable: false });
  },

  async "connection-refused"(ctx) {
    const port = await freePort();
    await using t = await ctx.transport();
    const scheme = ctx.secure ? "https" : "http";
    await expectTransportError(
      t.transport.send(request("GET", `${scheme}://127.0.0.1:${port}/`), ctx.options()),
      {
        kind: ["connect"],
        phase: ["connect"],
        retryable: true,
      },
    );
  },

  async "reset-before-head"(ctx) {
    await using server =
      ctx.protocol === "http/1.1"
        ? await startRawServer(async (socket) => {
            await readRequestHead(socket);
            socket.resetAndDestroy();
          })
        : await ctx.serve((req) => {
            h2stream(req).close(http2Constants.NGHTTP2_INTERNAL_ERROR);
          });
    await using t = await ctx.transport();
    await expectTransportError(t.transport.send(request("GET", server.url), ctx.options()), {
      kind: ["reset", "closed"],
      phase: ["send", "head"],
      retryable: false,
    });
  },

  async "closed-before-head"(ctx) {
    await using server =
      ctx.protocol === "http/1.1"
        ? await startRawServer(async (socket) => {
            await readRequestHead(socket);
            socket.end();
          })
        : await ctx.serve((req) => {
            h2stream(req).session?.destroy();
          });
    await using t = await ctx.transport();
    await expectTransportError(t.transport.send(request("GET", server.url), ctx.options()), {
      kind: ["closed", "reset"],
      phase: ["send", "head"],
      retryable: false,
    });
  },

  async "reset-mid-body"(ctx) {
    const clientGotBytes = deferred();
    const sent = bytes(1000, 5);
    await using server =
      ctx.protocol === "http/1.1"
        ? await startRawServer(async (socket) => {
            await readRequestHead(socket);
            socket.write(
              "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 100000\r\n\r\n",
            );
            socket.write(sent);
            // Resetting before the client read the bytes could discard them in its receive queue.
            await settlesWithin(clientGotBytes.promise, 3_000);
            socket.resetAndDestroy();
          })
        : await ctx.serve(async (req, res) => {
            res.writeHead(200, { "content-type": "application/octet-stream", "content-length": "100000" });
            res.write(sent);
            await settlesWithin(clientGotBytes.promise, 3_000);
            h2stream(req).close(http2Constants.NGHTTP2_INTERNAL_ERROR);
          });
    await using t = await ctx.transport();
    const response = await t.transport.send(request("GET", server.url), ctx.options());
    const { received, error } = await within(
      readUntilError(response.body, (size) => size >= sent.length && clientGotBytes.resolve()),
      5_000,
      "the body read to fail",
    );
    expect(sha256(received), "the bytes that arrived before the reset").toBe(sha256(sent));
    checkTransportError(error, { kind: ["reset", "closed"], phase: ["body"], retryable: false });
  },

  async "truncated-body"(ctx) {
    const sent = bytes(400, 11);
    await using server =
      ctx.protocol === "http/1.1"
        ? await startRawServer(async (socket) => {
            await readRequestHead(socket);
            socket.write(
              "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 1000\r\n\r\n",
            );
            socket.end(sent);
          })
        : await ctx.serve((_req, res) => {
            res.writeHead(200, { "content-type": "application/octet-stream", "content-length": "1000" });
            res.end(sent);
          });
    await using t = await ctx.transport();
    const response = await t.transport.send(request("GET", server.url), ctx.options());
    const { received, error } = await within(
      readUntilError(response.body),
      5_000,
      "the truncated body to fail",
    );
    expect(sha256(received), "the bytes that arrived before the connection closed").toBe(sha256(sent));
    checkTransportError(error, { kind: ["closed", "reset", "protocol"], phase: ["body"], retryable: false });
  },

  async "content-decoding"(ctx) {
    const text = "nq conformance gzip body. ".repeat(400);
    const gzipped = gzipSync(text);
    await using server = await ctx.serve((_req, res) => {
      res.writeHead(200, {
        "content-type": "text/plain; charset=utf-8",
        "content-encoding": "gzip",
        "content-length": String(gzipped.length),
      });
      res.end(gzipped);
    });
    await using t = await ctx.transport();
    const response = await t.transport.send(request("GET", server.url), ctx.options());
    expect(await readText(response)).toBe(text);
  },

  async "raw-body"(ctx) {
    const gzipped = new Uint8Array(gzipSync("raw body stays encoded. ".repeat(300)));
    await using server = await ctx.serve((_req, res) => {
      res.writeHead(200, { "content-encoding": "gzip", "content-length": String(gzipped.length) });
      res.end(gzipped);
    });
    await using t = await ctx.transport();
    const response = await t.transport.send(request("GET", server.url), ctx.options());
    expect(response.rawBody, "rawBody is missing").toBeDefined();
    expect(sha256(await readAll(response.rawBody!))).toBe(sha256(gzipped));
  },

  async trailers(ctx) {
    await using server = await ctx.serve((req, res) => {
      if (req.url === "/plain") {
        res.end("no trailers");
        return;
      }
      res.writeHead(200, { "content-type": "text/plain", trailer: "X-Checksum" });
      res.write("body with ");
      res.addTrailers({ "X-Checksum": "abc123" });
      res.end("trailers");
    });
    await using t = await ctx.transport();
    const withTrailers = await t.transport.send(request("GET", `${server.origin}/trailers`), ctx.options());
    expect(await readText(withTrailers)).toBe("body with trailers");
    const trailers = await within(withTrailers.trailers, 2_000, "trailers to settle");
    expect(trailers?.get("x-checksum")).toBe("abc123");
    const plain = await t.transport.send(request("GET", `${server.origin}/plain`), ctx.options());
    await readAll(plain.body);
    const none = await within(plain.trailers, 2_000, "trailers of a response without any to settle");
    expect(none === undefined || none.size === 0).toBe(true);
  },

  async "tls-untrusted"(ctx) {
    await using server = await ctx.serveTls((_req, res) => res.end("secret"));
    await using t = await ctx.transport();
    await expectTransportError(t.transport.send(request("GET", server.url), ctx.options({ verify: true })), {
      kind: ["tls"],
      phase: ["connect"],
    });
    const stranger = createTestPki().ca.cert;
    await expectTransportError(
      t.transport.send(request("GET", server.url), ctx.options({ verify: stranger })),
      {
        kind: ["tls"],
        phase: ["connect"],
      },
    );
  },

  async "tls-verify-ca"(ctx) {
    await using server = await ctx.serveTls((_req, res) => res.end("trusted"));
    const file = join(tmpdir(), `nq-conformance-ca-${process.pid}-${randomBytes(4).toString("hex")}.pem`);
    await writeFile(file, ctx.pki.ca.cert);
    try {
      for (const verify of [ctx.pki.ca.cert, encoder.encode(ctx.pki.ca.cert), file]) {
        // A fresh transport each time, so a pooled connection cannot hide a verify that was ignored.
        await using t = await ctx.transport();
        const response = await t.transport.send(request("GET", server.url), ctx.options({ verify }));
        expect(await readText(response)).toBe("trusted");
      }
    } finally {
      await rm(file, { force: true });
    }
  },

  async "tls-verify-false"(ctx) {
    const selfSigned = ctx.pki.issue({ selfSigned: true });
    await using server = await ctx.serveTls((_req, res) => res.end("unverified"), {
      certificate: selfSigned,
      ca: selfSigned.cert,
    });
    await using t = await ctx.transport();
    const response = await t.transport.send(request("GET", server.url), ctx.options({ verify: false }));
    expect(await readText(response)).toBe("unverified");
  },

  async "tls-verify-pooling"(ctx) {
    const selfSigned = ctx.pki.issue({ selfSigned: true });
    await using server = await ctx.serveTls((_req, res) => res.end("unverified"), {
      certificate: selfSigned,
      ca: selfSigned.cert,
    });
    await using t = await ctx.transport();
    const insecure = await t.transport.send(request("GET", server.url), ctx.options({ verify: false }));
    expect(await readText(insecure)).toBe("unverified");
    await expectTransportError(
      t.transport.send(request("GET", server.url), ctx.options({ verify: ctx.pki.ca.cert })),
      { kind: ["tls"], phase: ["connect"] },
    );
  },

  async "tls-wrong-host"(ctx) {
    const elsewhere = ctx.pki.issue({ hosts: ["elsewhere.example", "192.0.2.1"] });
    await using server = await ctx.serveTls((_req, res) => res.end("wrong host"), { certificate: elsewhere });
    await using t = await ctx.transport();
    await expectTransportError(
      t.transport.send(request("GET", server.url), ctx.options({ verify: ctx.pki.ca.cert })),
      { kind: ["tls"], phase: ["connect"] },
    );
  },

  async "tls-expired"(ctx) {
    const day = 86_400_000;
    const expired = ctx.pki.issue({
      notBefore: new Date(Date.now() - 30 * day),
      notAfter: new Date(Date.now() - day),
    });
    await using server = await ctx.serveTls((_req, res) => res.end("expired"), { certificate: expired });
    await using t = await ctx.transport();
    await expectTransportError(
      t.transport.send(request("GET", server.url), ctx.options({ verify: ctx.pki.ca.cert })),
      { kind: ["tls"], phase: ["connect"] },
    );
  },

  async "tls-client-cert"(ctx) {
    await using server = await ctx.serveTls(
      (req, res) => {
        const socket = req.socket as IncomingMessage["socket"] & {
          getPeerCertificate?(): { subject?: { CN?: string } };
        };
        res.end(socket.getPeerCertificate?.().subject?.CN ?? "?");
      },
      { requireClientCertificate: true },
    );
    const client = ctx.pki.issue({ hosts: ["conformance-client"], clientAuth: true });
    await using t = await ctx.transport();
    const response = await t.transport.send(
      request("GET", server.url),
      ctx.options({ verify: ctx.pki.ca.cert, cert: [client.cert, client.key] }),
    );
    expect(response.statusCode).toBe(200);
    expect(await readText(response), "the client certificate's CN as the server saw it").toBe(
      "conformance-client",
    );
  },

  async close(ctx) {
    const arrived = deferred();
    const release = deferred();
    await using server = await ctx.serve(async (_req, res) => {
      arrived.resolve();
      await settlesWithin(release.promise, 5_000);
      res.end("finished");
    });
    await using t = await ctx.transport();
    const inFlight = t.transport.send(request("GET", server.url), ctx.options());
    await within(arrived.promise, 3_000, "the request to reach the server");
    const closing = t.transport.close();
    await expectTransportError(t.transport.send(request("GET", server.url), ctx.options()), {
      kind: ["closed"],
    });
    release.resolve();
    const response = await within(inFlight, 3_000, "the in-flight exchange to get its head after close()");
    expect(await readText(response)).toBe("finished");
    await within(closing, 3_000, "close() to settle once in-flight work finished");
    await expectTransportError(t.transport.send(request("GET", server.url), ctx.options()), {
      kind: ["closed"],
    });
  },

  async destroy(ctx) {
    const arrived = deferred();
    const serverClosed = deferred();
    await using server = await ctx.serve((_req, res) => {
      arrived.resolve();
      res.once("close", () => serverClosed.resolve());
    });
    await using t = await ctx.transport();
    const inFlight = t.transport.send(request("GET", server.url), ctx.options());
    await within(arrived.promise, 3_000, "the request to reach the server");
    const reason = new Error("destroyed by the conformance suite");
    await within(t.transport.destroy(reason), 3_000, "destroy() to settle");
    const failure = await within(
      inFlight.then(
        () => undefined,
        (error: unknown) => ({ error }),
      ),
      3_000,
      "the in-flight exchange to fail",
    );
    expect(failure, "the in-flight exchange resolved after destroy()").toBeDefined();
    const error = failure!.error;
    expect(
      error === reason || error instanceof TransportError,
      `in-flight exchange should fail with the reason or a TransportError, got ${describeError(error)}`,
    ).toBe(true);
    await within(serverClosed.promise, 3_000, "the server to see the destroyed exchange closed");
    await expectTransportError(t.transport.send(request("GET", server.url), ctx.options()), {
      kind: ["closed"],
    });
  },

  async "no-open-handles"(ctx) {
    const server = await ctx.serve((req, res) => res.end(`reply to ${req.url}`));
    try {
      const t = await ctx.transport();
      const replies = await Promise.all(
        [1, 2, 3].map(async (i) =>
          readText(await t.transport.send(request("GET", `${server.origin}/${i}`), ctx.options())),
        ),
      );
      expect(replies).toEqual(["reply to /1", "reply to /2", "reply to /3"]);
      await t[Symbol.asyncDispose]();
      // The server does not close idle keep-alive sockets on its own here, so only the
      // transport's close() can have closed them.
      await server.waitForNoOpenConnections(3_000);
    } finally {
      await server.close();
    }
  },
};

// ---------------------------------------------------------------------------------------------
// Registration

function asHttp2Handler(handler: HttpHandler): Http2Handler {
  // The cases use only what node:http and node:http2's compatibility API share (writeHead,
  // write, end, setHeader, addTrailers, rawHeaders, the "close" event), so one handler serves both.
  return (req, res) => handler(req as unknown as IncomingMessage, res as unknown as ServerResponse);
}

function makeContext(
  protocol: Protocol,
  tls: boolean,
  pki: TestPki,
  makeTransport: TransportFactory,
): Context {
  const secure = protocol === "h2" && tls;
  const defaults: SendOptions = {
    timeout: { connect: 5_000, read: 5_000, total: null },
    verify: secure ? pki.ca.cert : true,
  };
  async function serveTls(handler: HttpHandler, options: FixtureTlsOptions = {}): Promise<FixtureServer> {
    const tlsOptions = { pki, ...options };
    if (protocol === "h2")
      return startHttp2Server(asHttp2Handler(handler), { tls: tlsOptions, allowHTTP1: false });
    return startHttpsServer(handler, tlsOptions);
  }
  return {
    protocol,
    secure,
    httpVersion: protocol === "h2" ? 20 : 11,
    pki,
    async transport() {
      const transport = await makeTransport();
      return {
        transport,
        async [Symbol.asyncDispose]() {
          // A transport whose close() hangs would hang the whole suite: bound it, then destroy.
          const closed = await settlesWithin(
            transport.close().catch(() => {}),
            5_000,
          );
          if (!closed) {
            await transport.destroy(new Error("close() did not settle within 5 s"));
            throw new Error("transport.close() did not settle within 5 s");
          }
        },
      };
    },
    async serve(handler) {
      if (protocol === "h2")
        return startHttp2Server(asHttp2Handler(handler), secure ? { tls: { pki }, allowHTTP1: false } : {});
      return startHttpServer(handler);
    },
    serveTls,
    options(overrides = {}) {
      return { ...defaults, ...overrides };
    },
  };
}

/**
 * Registers the transport conformance suite as vitest `describe`/`it` blocks: every case in
 * {@link conformanceCases}, run against loopback fixture servers through the `Transport`
 * interface alone, once per protocol in `options.protocols`.
 */
export function describeTransportConformance(
  name: string,
  makeTransport: TransportFactory,
  options: ConformanceOptions = {},
): void {
  const protocols = options.protocols ?? ["http/1.1"];
  const tls = options.tls ?? false;
  const skip = new Set<string>(options.skip ?? []);
  for (const id of skip) {
    if (!Object.hasOwn(conformanceCases, id)) {
      throw new TypeError(`describeTransportConformance: unknown case id in skip: ${JSON.stringify(id)}`);
    }
  }
  for (const protocol of protocols) {
    if (protocol !== "http/1.1" && protocol !== "h2") {
      throw new TypeError(
        `describeTransportConformance: no fixture servers for protocol ${JSON.stringify(protocol)}`,
      );
    }
  }
  const timeout = options.caseTimeout ?? 15_000;

  describe(`${name} transport conformance`, () => {
    for (const protocol of protocols) {
      const label = protocol === "h2" ? (tls ? "h2 over TLS" : "h2c") : "http/1.1";
      describe(label, () => {
        const pki = createTestPki();
        const ctx = makeContext(protocol, tls, pki, makeTransport);
        let baseline = 0;
        beforeAll(() => {
          baseline = tcpHandleCount();
        });
        afterAll(async () => {
          // Every case closed its servers and transports; give sockets a moment to finish closing.
          const deadline = Date.now() + 3_000;
          while (tcpHandleCount() > baseline && Date.now() < deadline)
            await new Promise((r) => setTimeout(r, 20));
          expect(tcpHandleCount(), "TCP sockets left open by the suite").toBeLessThanOrEqual(baseline);
        });
        for (const id of Object.keys(conformanceCases) as ConformanceCaseId[]) {
          const title = `${id}: ${conformanceCases[id]}`;
          // A cleartext-only transport has no TLS cases to run: they are left out, not shown as skipped.
          if (TLS_CASES.has(id) && !tls) continue;
          if (skip.has(id)) it.skip(`${title} [skipped by caller]`, () => {});
          else it(title, () => cases[id](ctx), timeout);
        }
      });
    }
  });
}
