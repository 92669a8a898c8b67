import type { Socket } from "node:net";
import {
  Headers,
  type PreparedRequest,
  Request,
  type RequestBody,
  type SendOptions,
  type TimeoutSettings,
  TransportError,
} from "@nq/models";
import {
  type FixtureServer,
  type FixtureTlsOptions,
  type HttpHandler,
  readRequestHead,
  type SecureFixtureServer,
  startHttpServer,
  startHttpsServer,
  startRawServer,
  startStallingTlsServer,
} from "@nq/testkit";
import { afterEach, beforeEach, expect } from "vitest";
import { HTTP1Transport, type HTTP1TransportOptions } from "../src/index.js";

/** Send options with no timeouts and default verification, overridden as given. */
export function sendOptions(
  overrides: Omit<Partial<SendOptions>, "timeout"> & { timeout?: Partial<TimeoutSettings> } = {},
): SendOptions {
  const { timeout, ...rest } = overrides;
  return {
    verify: true,
    ...rest,
    timeout: { connect: null, read: null, total: null, ...timeout },
  };
}

/** A prepared request; `body` (bytes or a stream) is set as is, with the headers given. */
export function prepared(
  url: string,
  init: { method?: string; headers?: Record<string, string> | [string, string][]; body?: RequestBody } = {},
): PreparedRequest {
  const request = new Request({ method: init.method ?? "GET", url, headers: init.headers ?? null }).prepare();
  if (init.body !== undefined) {
    request.body = init.body;
    // prepare() saw no body and may have set Content-Length: 0; recompute it for this body.
    const given = new Headers(init.headers ?? null).get("content-length");
    if (given === null) request.headers.delete("content-length");
    if (init.body instanceof Uint8Array && given === null)
      request.headers.set("Content-Length", init.body.byteLength);
  }
  return request;
}

/** Reads an async iterable of chunks into one Buffer. */
export async function readAll(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/**
 * Reads the first chunk of `body`, calls `between`, then reads the rest: the texts of both, for
 * tests that show a chunk arrives before the server has finished.
 */
export async function firstChunkThenRest(
  body: AsyncIterable<Uint8Array>,
  between: () => void,
): Promise<{ first: string; rest: string }> {
  const iterator = body[Symbol.asyncIterator]();
  const first = await iterator.next();
  const firstText = Buffer.from(first.value as Uint8Array).toString();
  between();
  const rest: Buffer[] = [];
  for (let r = await iterator.next(); !r.done; r = await iterator.next()) rest.push(Buffer.from(r.value));
  return { first: firstText, rest: Buffer.concat(rest).toString() };
}

/** Takes one chunk (which must not be empty) and breaks out of the loop, which cancels the body. */
export async function breakAfterFirstChunk(body: AsyncIterable<Uint8Array>): Promise<void> {
  for await (const chunk of body) {
    expect(chunk.length).toBeGreaterThan(0);
    break;
  }
}

/** Expects `promise` to reject with a TransportError, and returns it. */
export async function transportFailure(promise: Promise<unknown>): Promise<TransportError> {
  const error = await promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TransportError);
  return error as TransportError;
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `predicate` until it holds or `timeout` ms pass, then fails with `message`. */
export async function eventually(predicate: () => boolean, message: string, timeout = 2_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting: ${message}`);
    await sleep(5);
  }
}

// Handles a leaked connection would show as: sockets, TLS wraps, connects in progress, listeners.
// Timers are left out: undici and the test runner keep their own.
const NETWORK_HANDLES = new Set([
  "TCPSocketWrap",
  "TLSWrap",
  "ConnectWrap",
  "TCPServerWrap",
  "GetAddrInfoReqWrap",
]);

/** How many network handles (sockets, connects, servers) keep this process alive. */
export function openSocketCount(): number {
  return process.getActiveResourcesInfo().filter((name) => NETWORK_HANDLES.has(name)).length;
}

/** Waits until the process holds no more network handles than `baseline`. */
export async function expectNoStraySockets(baseline: number): Promise<void> {
  await eventually(
    () => openSocketCount() <= baseline,
    `stray handles: ${process.getActiveResourcesInfo().join(", ")} (baseline ${baseline})`,
  );
}

/** The fixture servers and transports of one integration test file; see {@link useFixtures}. */
export interface Fixtures {
  /** An HTTP/1.1 server running `handler`. */
  serve(handler: HttpHandler): Promise<FixtureServer>;
  /** An HTTPS server running `handler`, presenting the certificate `tls` names. */
  serveTls(handler: HttpHandler, tls: FixtureTlsOptions): Promise<SecureFixtureServer>;
  /** A raw TCP server that reads each request head and then calls `respond` with the socket and the head. */
  respondRaw(respond: (socket: Socket, head: string) => unknown): Promise<FixtureServer>;
  /** An `https:` server that accepts TCP connections and never answers the TLS handshake. */
  stallingTls(): Promise<FixtureServer>;
  /** A transport, closed after the test. */
  transport(options?: HTTP1TransportOptions): HTTP1Transport;
}

// Longer than any test, so the servers never close an idle connection a test still counts on.
const KEEP_ALIVE_TIMEOUT = 10_000;

/**
 * Registers the hooks every integration test file needs and returns the factories its tests
 * use: after each test, closes the transports and servers made through them and fails when
 * the test left network handles behind.
 */
export function useFixtures(): Fixtures {
  let servers: FixtureServer[] = [];
  let transports: HTTP1Transport[] = [];
  let baseline = 0;

  beforeEach(() => {
    baseline = openSocketCount();
  });

  afterEach(async () => {
    const [closingTransports, closingServers] = [transports, servers];
    transports = [];
    servers = [];
    await Promise.all(closingTransports.map((t) => t.close()));
    await Promise.all(closingServers.map((s) => s.close()));
    await expectNoStraySockets(baseline);
  });

  async function register<S extends FixtureServer>(starting: Promise<S>): Promise<S> {
    const server = await starting;
    servers.push(server);
    return server;
  }

  return {
    serve: (handler) => register(startHttpServer(handler, { keepAliveTimeout: KEEP_ALIVE_TIMEOUT })),
    serveTls: (handler, tls) =>
      register(startHttpsServer(handler, { keepAliveTimeout: KEEP_ALIVE_TIMEOUT, ...tls })),
    respondRaw: (respond) =>
      register(startRawServer((socket) => readRequestHead(socket).then((head) => respond(socket, head)))),
    stallingTls: () => register(startStallingTlsServer()),
    transport: (options) => {
      const t = new HTTP1Transport(options);
      transports.push(t);
      return t;
    },
  };
}
