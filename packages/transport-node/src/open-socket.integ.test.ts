import { createServer, type Server, Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { createTestPki, type FixtureServer, startHttp2Server, startRawServer } from "@nq/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { type OpenedSocket, type OpenSocketOptions, openSocket } from "./open-socket.js";
import { resolveTLS } from "./tls-options.js";

const pki = createTestPki();

let servers: FixtureServer[] = [];
let sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  sockets = [];
  await Promise.all(servers.map((server) => server.close()));
  servers = [];
});

async function serve<S extends FixtureServer>(starting: Promise<S>): Promise<S> {
  const server = await starting;
  servers.push(server);
  return server;
}

function base(port: number, overrides: Partial<OpenSocketOptions> = {}): OpenSocketOptions {
  return {
    hostname: "127.0.0.1",
    port,
    localAddress: undefined,
    family: undefined,
    tls: undefined,
    servername: undefined,
    alpnProtocols: [],
    session: undefined,
    ...overrides,
  };
}

/** Opens a socket; the promise settles as `done` is called, and tracks the socket for cleanup. */
function open(options: OpenSocketOptions): { socket: Socket; opened: Promise<OpenedSocket> } {
  let socket!: Socket;
  const opened = new Promise<OpenedSocket>((resolve, reject) => {
    socket = openSocket(options, (error, result) => (result === undefined ? reject(error) : resolve(result)));
  });
  sockets.push(socket);
  return { socket, opened };
}

/** A port nothing listens on: one a server had a moment ago. */
async function closedPort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("openSocket", () => {
  it("connects TCP and times it; cleartext has no ALPN and no handshake", async () => {
    const server = await serve(startRawServer(() => {}));
    const { socket, opened } = open(base(server.port, { sizedReadBuffer: true }));
    const result = await opened;
    expect(result.socket).toBe(socket);
    expect(result.alpnProtocol).toBeUndefined();
    expect(result.establishedLatency).toBeGreaterThanOrEqual(0);
    expect(result.tlsHandshakeLatency).toBeUndefined();
    expect(socket.readableHighWaterMark).toBe(64 * 1024);
  });

  it("leaves the read buffer at Node's default unless asked to size it", async () => {
    const server = await serve(startRawServer(() => {}));
    const { socket, opened } = open(base(server.port));
    await opened;
    expect(socket.readableHighWaterMark).toBe(new Socket().readableHighWaterMark);
  });

  it("verifies TLS with the resolved settings and reports what ALPN picked", async () => {
    const server = await serve(startHttp2Server(() => {}, { tls: { pki } }));
    const sessions: Buffer[] = [];
    const { socket, opened } = open(
      base(server.port, {
        tls: resolveTLS(server.ca, undefined),
        alpnProtocols: ["h2", "http/1.1"],
        onSession: (session) => sessions.push(session),
        sizedReadBuffer: true,
      }),
    );
    const result = await opened;
    expect(result.alpnProtocol).toBe("h2");
    expect((socket as TLSSocket).authorized).toBe(true);
    expect(result.tlsHandshakeLatency).toBeGreaterThanOrEqual(0);
    expect(socket.readableHighWaterMark).toBe(16 * 1024);
    // TLS 1.3 issues its session tickets after the handshake.
    socket.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    await expect.poll(() => sessions.length).toBeGreaterThan(0);
  });

  it("fails with the native error when the certificate is not trusted, and destroys the socket", async () => {
    const server = await serve(startHttp2Server(() => {}, { tls: { pki } }));
    const { socket, opened } = open(
      base(server.port, { tls: resolveTLS(true, undefined), alpnProtocols: ["h2"] }),
    );
    const error = await opened.then(
      () => undefined,
      (e: unknown) => e as { code?: string },
    );
    expect(error?.code).toMatch(/CERT|SIGNATURE|ISSUER/);
    expect(socket.destroyed).toBe(true);
  });

  it("fails with ECONNREFUSED where nothing listens", async () => {
    const { opened } = open(base(await closedPort()));
    await expect(opened).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });

  it("fails with the error the attempt is destroyed with (an abandoned connect)", async () => {
    const server = await serve(startRawServer(() => {}));
    const { socket, opened } = open(base(server.port, { tls: resolveTLS(true, undefined) }));
    const reason = new Error("nobody waits");
    socket.destroy(reason);
    await expect(opened).rejects.toBe(reason);
  });

  it("fails with the abort reason, before and during the attempt", async () => {
    const server = await serve(startRawServer(() => {}));
    const before = new AbortController();
    const reason = new Error("gave up");
    before.abort(reason);
    const early = open(base(server.port, { signal: before.signal }));
    await expect(early.opened).rejects.toBe(reason);
    expect(early.socket.destroyed).toBe(true);

    const during = new AbortController();
    // The TLS handshake never finishes against a raw server that stays silent.
    const late = open(base(server.port, { tls: resolveTLS(true, undefined), signal: during.signal }));
    during.abort(reason);
    await expect(late.opened).rejects.toBe(reason);
    expect(late.socket.destroyed).toBe(true);
  });
});
