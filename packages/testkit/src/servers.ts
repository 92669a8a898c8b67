import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import {
  constants,
  createServer as createHttp2CleartextServer,
  createSecureServer as createHttp2SecureServer,
  type Http2SecureServer,
  type Http2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type Http2Session,
} from "node:http2";
import { createServer as createHttpsServer } from "node:https";
import { createServer as createNetServer, type Server as NetServer, type Socket } from "node:net";
import { defaultTestPki, LOOPBACK_HOSTS, type TestCertificate, type TestPki } from "./certificates.js";

/** A loopback server started for one test; `await using` closes it and every socket it accepted. */
export interface FixtureServer extends AsyncDisposable {
  /** `http://127.0.0.1:<port>/` (or `https:`): the root URL. */
  readonly url: string;
  /** Scheme, host and port, without a trailing slash. */
  readonly origin: string;
  /** The TCP port the server listens on. */
  readonly port: number;
  /** Number of TCP connections accepted so far. */
  readonly connections: number;
  /** Number of accepted TCP connections still open. */
  readonly openConnections: number;
  /** Resolves once no accepted connection is open, or rejects after `timeoutMs` (2 s by default). */
  waitForNoOpenConnections(timeoutMs?: number): Promise<void>;
  /** Resolves once at most `count` accepted connections are open, or rejects after `timeoutMs` (2 s by default). */
  waitForOpenConnections(count: number, timeoutMs?: number): Promise<void>;
  /** Stops listening and destroys every open socket, so no test waits on a keep-alive connection. */
  close(): Promise<void>;
}

/** A fixture server over TLS, with the CA a client must trust to reach it. */
export interface SecureFixtureServer extends FixtureServer {
  /** PEM of the root that issued the server certificate: pass it as `verify`. */
  readonly ca: string;
  /** The certificate (and key) the server presents. */
  readonly certificate: TestCertificate;
}

/** A request handler for the HTTP/1.1 fixture servers; a throw answers 500 (or drops the connection once the head is out). */
export type HttpHandler = (request: IncomingMessage, response: ServerResponse) => unknown;

/** A request handler for the HTTP/2 fixture server, in node:http2's compatibility API. */
export type Http2Handler = (request: Http2ServerRequest, response: Http2ServerResponse) => unknown;

/** The certificate a TLS fixture server presents. */
export interface FixtureTlsOptions {
  /** The PKI to issue a loopback certificate from; a process-wide default PKI when absent. */
  readonly pki?: TestPki | undefined;
  /** A ready certificate to present instead (expired, wrong host, self-signed…). */
  readonly certificate?: TestCertificate | undefined;
  /** PEM of the root that issued `certificate`, reported as `ca`; the PKI's root by default. */
  readonly ca?: string | undefined;
  /** Ask for a client certificate and refuse the handshake without one the PKI issued. */
  readonly requireClientCertificate?: boolean | undefined;
}

/** Options of {@link startHttpServer}. */
export interface HttpServerOptions {
  /** Keep-alive timeout in milliseconds; Node's 5 s default otherwise. */
  readonly keepAliveTimeout?: number | undefined;
}

/** Options of {@link startHttpsServer}. */
export interface HttpsServerOptions extends HttpServerOptions, FixtureTlsOptions {}

/** Options of `startHttp2Server()`. */
export interface Http2ServerOptions {
  /** Serve over TLS with ALPN `h2` and `http/1.1`; `true` uses the default PKI. Cleartext h2c (prior knowledge) when absent. */
  readonly tls?: FixtureTlsOptions | boolean | undefined;
  /** When secure, also answer HTTP/1.1 clients that do not offer `h2`; true by default. */
  readonly allowHTTP1?: boolean | undefined;
}

const HOST = "127.0.0.1";

interface Tracked {
  readonly sockets: Set<Socket>;
  accepted: number;
  readonly sessions: Set<Http2Session>;
}

function track(server: NetServer): Tracked {
  const tracked: Tracked = { sockets: new Set(), accepted: 0, sessions: new Set() };
  // "connection" carries the raw TCP socket even for TLS servers, so destroying it also tears down
  // a TLS session stuck mid-handshake, which "secureConnection" would never report.
  server.on("connection", (socket: Socket) => {
    tracked.accepted++;
    tracked.sockets.add(socket);
    socket.once("close", () => tracked.sockets.delete(socket));
  });
  server.on("session", (session: Http2Session) => {
    tracked.sessions.add(session);
    session.once("close", () => tracked.sessions.delete(session));
  });
  return tracked;
}

async function listen(server: NetServer): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, HOST, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("fixture server has no TCP address");
  return address.port;
}

async function fixture(server: NetServer, scheme: "http" | "https"): Promise<FixtureServer> {
  const tracked = track(server);
  const port = await listen(server);
  const origin = `${scheme}://${HOST}:${port}`;
  let closing: Promise<void> | undefined;

  async function waitForOpenConnections(count: number, timeoutMs = 2_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (tracked.sockets.size > count) {
      if (Date.now() > deadline) {
        throw new Error(
          `${tracked.sockets.size} connection(s) to ${origin} still open after ${timeoutMs} ms, expected at most ${count}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  function close(): Promise<void> {
    closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const session of tracked.sessions) session.destroy();
      for (const socket of tracked.sockets) socket.destroy();
    });
    return closing;
  }

  return {
    url: `${origin}/`,
    origin,
    port,
    get connections() {
      return tracked.accepted;
    },
    get openConnections() {
      return tracked.sockets.size;
    },
    waitForNoOpenConnections: (timeoutMs) => waitForOpenConnections(0, timeoutMs),
    waitForOpenConnections,
    close,
    [Symbol.asyncDispose]: close,
  };
}

function guard<
  Req,
  Res extends { headersSent: boolean; writeHead(status: number): unknown; end(text: string): unknown },
>(
  handler: (request: Req, response: Res) => unknown,
  destroy: (request: Req) => void,
): (request: Req, response: Res) => void {
  return (request, response) => {
    Promise.resolve()
      .then(() => handler(request, response))
      .catch((error: unknown) => {
        // The head is out, so a status cannot say what went wrong: cut the exchange short instead.
        if (response.headersSent) return destroy(request);
        response.writeHead(500);
        response.end(error instanceof Error ? (error.stack ?? error.message) : String(error));
      });
  };
}

function tlsMaterial(options: FixtureTlsOptions): { certificate: TestCertificate; ca: string; pki: TestPki } {
  const pki = options.pki ?? defaultTestPki();
  const certificate = options.certificate ?? pki.issue({ hosts: LOOPBACK_HOSTS });
  return { certificate, ca: options.ca ?? pki.ca.cert, pki };
}

function secure(
  base: FixtureServer,
  material: { certificate: TestCertificate; ca: string },
): SecureFixtureServer {
  return Object.defineProperties(base, {
    ca: { value: material.ca, enumerable: true },
    certificate: { value: material.certificate, enumerable: true },
  }) as SecureFixtureServer;
}

function applyHttpOptions(server: Server, options: HttpServerOptions): void {
  if (options.keepAliveTimeout !== undefined) server.keepAliveTimeout = options.keepAliveTimeout;
}

/** Starts a node:http server on 127.0.0.1 and a free port. */
export async function startHttpServer(
  handler: HttpHandler,
  options: HttpServerOptions = {},
): Promise<FixtureServer> {
  const server = createHttpServer(guard(handler, (request) => request.socket.destroy()));
  applyHttpOptions(server, options);
  return fixture(server, "http");
}

/** Starts a node:https server on 127.0.0.1 presenting a certificate from the test PKI. */
export async function startHttpsServer(
  handler: HttpHandler,
  options: HttpsServerOptions = {},
): Promise<SecureFixtureServer> {
  const material = tlsMaterial(options);
  const require = options.requireClientCertificate ?? false;
  const server = createHttpsServer(
    {
      key: material.certificate.key,
      cert: material.certificate.chain,
      ALPNProtocols: ["http/1.1"],
      ...(require ? { ca: material.pki.ca.cert, requestCert: true, rejectUnauthorized: true } : {}),
    },
    guard(handler, (request) => request.socket.destroy()),
  );
  applyHttpOptions(server, options);
  return secure(await fixture(server, "https"), material);
}

/**
 * Starts a node:http2 server on 127.0.0.1: over TLS with ALPN `h2` (and `http/1.1` unless
 * `allowHTTP1` is false) when `tls` is set, cleartext h2c with prior knowledge otherwise.
 */
export async function startHttp2Server(
  handler: Http2Handler,
  options: { readonly tls: FixtureTlsOptions | true; readonly allowHTTP1?: boolean | undefined },
): Promise<SecureFixtureServer>;
/** Starts a cleartext (h2c, prior knowledge) node:http2 server on 127.0.0.1. */
export async function startHttp2Server(
  handler: Http2Handler,
  options?: Http2ServerOptions,
): Promise<FixtureServer>;
export async function startHttp2Server(
  handler: Http2Handler,
  options: Http2ServerOptions = {},
): Promise<FixtureServer | SecureFixtureServer> {
  const onRequest = guard(handler, (request) => request.stream.close(constants.NGHTTP2_INTERNAL_ERROR));
  if (!options.tls) {
    const server: Http2Server = createHttp2CleartextServer(onRequest);
    return fixture(server, "http");
  }
  const material = tlsMaterial(options.tls === true ? {} : options.tls);
  const require = options.tls !== true && (options.tls.requireClientCertificate ?? false);
  const allowHTTP1 = options.allowHTTP1 ?? true;
  const server: Http2SecureServer = createHttp2SecureServer(
    {
      key: material.certificate.key,
      cert: material.certificate.chain,
      allowHTTP1,
      ALPNProtocols: allowHTTP1 ? ["h2", "http/1.1"] : ["h2"],
      ...(require ? { ca: material.pki.ca.cert, requestCert: true, rejectUnauthorized: true } : {}),
    },
    onRequest,
  );
  return secure(await fixture(server, "https"), material);
}

/**
 * Starts a bare TCP server that hands each accepted socket to `onSocket`, for byte-scripted
 * misbehaviour: truncated bodies, resets, garbage, a response split at chosen offsets.
 */
export async function startRawServer(onSocket: (socket: Socket) => unknown): Promise<FixtureServer> {
  const server = createNetServer((socket) => {
    // A test that resets or drops the socket must not crash the process on the echoing error.
    socket.on("error", () => {});
    Promise.resolve()
      .then(() => onSocket(socket))
      .catch(() => socket.destroy());
  });
  return fixture(server, "http");
}

/**
 * Starts a TCP server that accepts connections and never sends a byte, with an `https:` URL: a
 * TLS client waits for the server's hello until its connect timeout fires. Connecting to
 * loopback always succeeds at the TCP level, so a TLS handshake that never finishes is the
 * deterministic way to time out a connect without traffic leaving 127.0.0.1.
 */
export async function startStallingTlsServer(): Promise<FixtureServer> {
  const server = createNetServer((socket) => {
    socket.on("error", () => {});
    // Read and discard the ClientHello so the client's write never blocks on a full buffer.
    socket.resume();
  });
  return fixture(server, "https");
}

/**
 * Reads an HTTP/1.x request head (through the blank line) from a raw socket and returns it as
 * text; bytes after the head stay in the socket for the caller.
 */
export function readRequestHead(socket: Socket, maxBytes = 64 * 1024): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const cleanup = (): void => {
      socket.off("readable", onReadable);
      socket.off("end", onEnd);
      socket.off("error", onEnd);
    };
    const onEnd = (): void => {
      cleanup();
      reject(new Error("connection ended before the request head was complete"));
    };
    const onReadable = (): void => {
      for (let chunk: Buffer | null; (chunk = socket.read() as Buffer | null) !== null; ) {
        buffered = Buffer.concat([buffered, chunk]);
        const end = buffered.indexOf("\r\n\r\n");
        if (end >= 0) {
          cleanup();
          const rest = buffered.subarray(end + 4);
          if (rest.length > 0) socket.unshift(rest);
          resolve(buffered.subarray(0, end + 4).toString("latin1"));
          return;
        }
        if (buffered.length > maxBytes) {
          cleanup();
          reject(new Error(`request head longer than ${maxBytes} bytes`));
          return;
        }
      }
    };
    socket.on("readable", onReadable);
    socket.once("end", onEnd);
    socket.once("error", onEnd);
    onReadable();
  });
}
