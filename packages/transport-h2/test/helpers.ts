import { createHash } from "node:crypto";
import {
  createSecureServer,
  createServer,
  type Http2Server,
  type Http2Session,
  type IncomingHttpHeaders,
  type ServerHttp2Stream,
  type Settings,
} from "node:http2";
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
import { createTestPki } from "@nq/testkit";
import { afterEach, beforeEach, expect } from "vitest";
import { HTTP2Transport, type HTTP2TransportOptions } from "../src/index.js";

/** The test PKI of this process: servers present its certificates, requests trust its root. */
export const pki = createTestPki();

/** Send options with no timeouts and the test PKI's root as the CA, overridden as given. */
export function sendOptions(
  overrides: Omit<Partial<SendOptions>, "timeout"> & { timeout?: Partial<TimeoutSettings> } = {},
): SendOptions {
  const { timeout, ...rest } = overrides;
  return {
    verify: pki.ca.cert,
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

/** Reads the body as UTF-8 text. */
export async function readText(body: AsyncIterable<Uint8Array>): Promise<string> {
  return (await readAll(body)).toString("utf8");
}

/** SHA-256 of bytes, hex. */
export function sha256(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Deterministic, incompressible bytes. */
export function bytes(size: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
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
export async function eventually(predicate: () => boolean, message: string, timeout = 3_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting: ${message}`);
    await sleep(5);
  }
}

/** A promise with its resolve function outside. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** A node:http2 server in its core (stream) API, counting what a test needs to count. */
export interface RawHttp2Server extends AsyncDisposable {
  /** `https://127.0.0.1:<port>` or `http://…` for h2c. */
  readonly origin: string;
  readonly port: number;
  /** TCP connections accepted so far. */
  readonly connections: number;
  /** TLS handshakes completed so far. */
  readonly handshakes: number;
  /** PING frames received so far (acks excluded). */
  readonly pings: number;
  /** Sessions closed so far. */
  readonly closedSessions: number;
  /** Sessions currently open. */
  readonly sessions: ReadonlySet<Http2Session>;
  close(): Promise<void>;
}

/** Options of {@link startRawHttp2Server}. */
export interface RawHttp2ServerOptions {
  /** Serve over TLS with ALPN h2 (a certificate from {@link pki}); h2c otherwise. */
  readonly tls?: boolean | undefined;
  /** SETTINGS the server announces (maxConcurrentStreams…). */
  readonly settings?: Settings | undefined;
}

/**
 * Starts a node:http2 server on 127.0.0.1 whose streams go to `onStream`; errors on server
 * streams (the resets a test provokes) are swallowed.
 */
export async function startRawHttp2Server(
  onStream: (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, session: Http2Session) => unknown,
  options: RawHttp2ServerOptions = {},
): Promise<RawHttp2Server> {
  const settings = options.settings === undefined ? {} : { settings: options.settings };
  let server: Http2Server;
  if (options.tls) {
    const certificate = pki.issue();
    server = createSecureServer({
      key: certificate.key,
      cert: certificate.chain,
      ALPNProtocols: ["h2"],
      ...settings,
    }) as unknown as Http2Server;
  } else {
    server = createServer(settings);
  }
  const sockets = new Set<Socket>();
  const sessions = new Set<Http2Session>();
  const counts = { connections: 0, handshakes: 0, pings: 0, closedSessions: 0 };
  server.on("connection", (socket: Socket) => {
    counts.connections++;
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  server.on("secureConnection", () => counts.handshakes++);
  server.on("session", (session: Http2Session) => {
    sessions.add(session);
    session.on("ping", () => counts.pings++);
    session.on("error", () => {});
    session.once("close", () => {
      sessions.delete(session);
      counts.closedSessions++;
    });
  });
  server.on("stream", (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => {
    stream.on("error", () => {});
    Promise.resolve()
      .then(() => onStream(stream, headers, stream.session!))
      .catch(() => {
        if (!stream.destroyed) stream.close(2);
      });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no TCP address");
  const port = address.port;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const session of sessions) session.destroy();
      for (const socket of sockets) socket.destroy();
    });
    return closing;
  };
  return {
    origin: `${options.tls ? "https" : "http"}://127.0.0.1:${port}`,
    port,
    get connections() {
      return counts.connections;
    },
    get handshakes() {
      return counts.handshakes;
    },
    get pings() {
      return counts.pings;
    },
    get closedSessions() {
      return counts.closedSessions;
    },
    sessions,
    close,
    [Symbol.asyncDispose]: close,
  };
}

// Handles a leaked connection would show as: sockets, TLS wraps, connects in progress, listeners.
const NETWORK_HANDLES = new Set([
  "TCPSocketWrap",
  "TLSWrap",
  "ConnectWrap",
  "TCPServerWrap",
  "GetAddrInfoReqWrap",
  "Http2Session",
]);

/** How many network handles keep this process alive. */
export function openHandleCount(): number {
  return process.getActiveResourcesInfo().filter((name) => NETWORK_HANDLES.has(name)).length;
}

/** The servers and transports of one test file, closed after each test; see {@link useFixtures}. */
export interface Fixtures {
  serve(
    onStream: Parameters<typeof startRawHttp2Server>[0],
    options?: RawHttp2ServerOptions,
  ): Promise<RawHttp2Server>;
  transport(options?: HTTP2TransportOptions): HTTP2Transport;
}

/**
 * Registers hooks that close the transports and servers a test made through the returned
 * factories, and fail the test when it left network handles behind.
 */
export function useFixtures(): Fixtures {
  let servers: RawHttp2Server[] = [];
  let transports: HTTP2Transport[] = [];
  let baseline = 0;
  beforeEach(() => {
    baseline = openHandleCount();
  });
  afterEach(async () => {
    const [closingTransports, closingServers] = [transports, servers];
    transports = [];
    servers = [];
    await Promise.all(closingTransports.map((t) => t.close()));
    await Promise.all(closingServers.map((s) => s.close()));
    await eventually(
      () => openHandleCount() <= baseline,
      `stray handles: ${process.getActiveResourcesInfo().join(", ")} (baseline ${baseline})`,
    );
  });
  return {
    async serve(onStream, options) {
      const server = await startRawHttp2Server(onStream, options);
      servers.push(server);
      return server;
    },
    transport(options) {
      const transport = new HTTP2Transport(options);
      transports.push(transport);
      return transport;
    },
  };
}
