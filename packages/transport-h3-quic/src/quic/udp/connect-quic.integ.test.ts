import { createPrivateKey, randomBytes, X509Certificate } from "node:crypto";
import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { UdpImpairmentShim } from "@nq/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { QuicConnectionError } from "../connection/connection-events.js";
import { QuicError } from "../errors.js";
import { SERVER_NAME, testPki, testServer, untrustedServer } from "../test-support/quic-fixtures.js";
import type { QuicTestServer } from "../test-support/quic-test-server.js";
import { TlsAlert, TlsAlertError } from "../tls/alert.js";
import { TrustStore } from "../tls/certificate-verifier.js";
import { SignatureScheme } from "../tls/handshake-messages.js";
import { type ConnectQuicOptions, connectQuic } from "./connect-quic.js";
import { QuicStreamError } from "./quic-stream.js";

/** The scripted server on a real UDP socket, with a real clock and one timer. */
class UdpQuicServer {
  readonly server: QuicTestServer;
  readonly #socket: Socket;
  #peer: RemoteInfo | undefined;
  #timer: NodeJS.Timeout | undefined;

  private constructor(socket: Socket, server: QuicTestServer) {
    this.#socket = socket;
    this.server = server;
    socket.on("message", (datagram, from) => {
      this.#peer = from;
      server.receive(datagram, performance.now());
      this.pump();
    });
  }

  static async start(server: QuicTestServer = testServer()): Promise<UdpQuicServer> {
    const socket = createSocket("udp4");
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
    const udp = new UdpQuicServer(socket, server);
    cleanup.push(() => udp.close());
    return udp;
  }

  get port(): number {
    return this.#socket.address().port;
  }

  /** Sends what the server has and re-arms its timer; call after acting on `server` directly. */
  pump(): void {
    const now = performance.now();
    const peer = this.#peer;
    for (let datagram = this.server.send(now); datagram !== undefined; datagram = this.server.send(now))
      if (peer !== undefined) this.#socket.send(datagram, peer.port, peer.address);
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    const deadline = this.server.nextTimerDeadline();
    this.#timer =
      deadline === undefined
        ? undefined
        : setTimeout(
            () => {
              this.server.onTimer(performance.now());
              this.pump();
            },
            Math.max(0, deadline - now),
          );
  }

  close(): Promise<void> {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    return new Promise((resolve) => this.#socket.close(() => setImmediate(() => setImmediate(resolve))));
  }
}

let cleanup: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const close of cleanup.reverse()) await close();
  cleanup = [];
});

function udpHandles(): number {
  return process.getActiveResourcesInfo().filter((resource) => resource === "UDPWrap").length;
}

function options(port: number, extra: Partial<ConnectQuicOptions> = {}): ConnectQuicOptions {
  return {
    host: "127.0.0.1",
    port,
    serverName: SERVER_NAME,
    alpnProtocols: ["h3"],
    trust: new TrustStore(testPki().ca.cert),
    ...extra,
  };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("the promise resolved");
}

/** A bound socket that reads and never answers, for timeouts. */
async function silentPort(): Promise<number> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  socket.on("message", () => {});
  cleanup.push(() => new Promise((resolve) => socket.close(() => setImmediate(resolve))));
  return socket.address().port;
}

describe("connectQuic over loopback UDP", () => {
  it("completes the handshake, echoes 2 MiB with back-pressure, and closes its socket", async () => {
    const udp = await UdpQuicServer.start();
    const before = udpHandles();
    const session = await connectQuic(options(udp.port));
    expect(udpHandles()).toBe(before + 1);
    expect(session.alpnProtocol).toBe("h3");
    expect(session.peerCertificate?.subjectAltName).toContain(SERVER_NAME);
    const stream = await session.openBidirectionalStream();
    const data = new Uint8Array(randomBytes(2 * 1024 * 1024));
    const [echoed] = await Promise.all([stream.bytes(), stream.end(data)]);
    expect(Buffer.from(echoed).equals(Buffer.from(data))).toBe(true);
    expect(session.stats.bytesReceived).toBeGreaterThan(data.length);
    await session.close(0x100, "done");
    const closed = await session.closed;
    expect(closed).toEqual({ error: undefined, remote: false, applicationCode: 0x100n, reason: "done" });
    expect(udpHandles()).toBe(before);
  });

  it("hands over streams the server opens during the handshake, as HTTP/3 control streams are", async () => {
    const settings = Uint8Array.of(0x00, 0x04, 0x04, 0x01, 0x00, 0x07, 0x00);
    const udp = await UdpQuicServer.start(testServer({ openUniStream: settings }));
    const session = await connectQuic(options(udp.port));
    for await (const stream of session.incomingStreams()) {
      expect(stream.id).toBe(3);
      expect(stream.writable).toBe(false);
      for await (const chunk of stream) {
        expect(chunk).toEqual(settings);
        break;
      }
      break;
    }
    await session.close();
  });

  it("echoes 1 MiB byte-exact through a relay with 5% loss and reordering both ways", async () => {
    const udp = await UdpQuicServer.start();
    const shim = await UdpImpairmentShim.start({
      server: { port: udp.port },
      clientToServer: { seed: 21, dropRate: 0.05, reorderRate: 0.05, duplicateRate: 0.02 },
      serverToClient: { seed: 22, dropRate: 0.05, reorderRate: 0.05, duplicateRate: 0.02 },
    });
    cleanup.push(() => shim.close());
    const session = await connectQuic(options(shim.port));
    const stream = await session.openBidirectionalStream();
    const data = new Uint8Array(randomBytes(1024 * 1024));
    const [echoed] = await Promise.all([stream.bytes(), stream.end(data)]);
    expect(Buffer.from(echoed).equals(Buffer.from(data))).toBe(true);
    expect(shim.counts("clientToServer").dropped + shim.counts("serverToClient").dropped).toBeGreaterThan(10);
    expect(session.stats.packetsLost + udp.server.core.stats.packetsLost).toBeGreaterThan(0);
    await session.close();
  }, 60_000);

  it("waits for flow control credit before a write resolves", async () => {
    const server = testServer({
      echo: false,
      transportParameters: { initialMaxStreamDataBidiRemote: 16_384 },
    });
    const udp = await UdpQuicServer.start(server);
    const session = await connectQuic(options(udp.port));
    const stream = await session.openBidirectionalStream();
    let written = false;
    const write = stream.write(new Uint8Array(64 * 1024)).then(() => {
      written = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(written).toBe(false);
    // The server application reads: its window updates let the rest through.
    const read = setInterval(() => {
      const core = server.core;
      while (core.streams.read(stream.id, Number.POSITIVE_INFINITY, performance.now(), 1) !== undefined);
      udp.pump();
    }, 5);
    await write;
    clearInterval(read);
    expect(written).toBe(true);
    await session.close();
  });

  it("ends streams with QuicStreamError when the server resets them", async () => {
    const udp = await UdpQuicServer.start(testServer({ echo: false }));
    const session = await connectQuic(options(udp.port));
    const stream = await session.openBidirectionalStream();
    await stream.write(Uint8Array.of(1, 2, 3));
    await new Promise((resolve) => setTimeout(resolve, 50));
    udp.server.core.streams.reset(stream.id, 0x10cn);
    udp.pump();
    const error = await rejection(stream.bytes());
    expect(error).toBeInstanceOf(QuicStreamError);
    expect(error).toMatchObject({ kind: "reset", code: 0x10cn, streamId: stream.id });
    await session.close();
  });

  it("resolves closed with the server's code and reason when the server closes", async () => {
    const udp = await UdpQuicServer.start();
    const before = udpHandles();
    const session = await connectQuic(options(udp.port));
    const stream = await session.openBidirectionalStream();
    // Until the server has our Finished it may only close in Handshake packets, which carry
    // no application code or reason (RFC 9000 §10.2.3).
    while (!udp.server.core.handshakeConfirmed) await new Promise((resolve) => setTimeout(resolve, 5));
    udp.server.core.close(0x101n, "server going away", true, performance.now());
    udp.pump();
    const closed = await session.closed;
    expect(closed).toMatchObject({ remote: true, applicationCode: 0x101n, reason: "server going away" });
    expect(await rejection(stream.write(Uint8Array.of(1)))).toBeInstanceOf(QuicError);
    expect(udpHandles()).toBe(before);
  });
});

describe("connectQuic failures close the socket", () => {
  it("rejects with TlsAlertError for a certificate it does not trust", async () => {
    const udp = await UdpQuicServer.start(untrustedServer());
    const before = udpHandles();
    const error = await rejection(connectQuic(options(udp.port)));
    expect(error).toBeInstanceOf(TlsAlertError);
    expect((error as TlsAlertError).code).toBe(0x130);
    expect(udpHandles()).toBe(before);
    // The server heard why.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(udp.server.events.some((event) => event.type === "closed" && event.error?.code === 0x130)).toBe(
      true,
    );
  });

  it("rejects with certificate_expired for an expired certificate from a trusted CA", async () => {
    const leaf = testPki().issue({ hosts: [SERVER_NAME], notAfter: new Date(Date.now() - 86_400_000) });
    const udp = await UdpQuicServer.start(
      testServer({
        certificateChain: [new Uint8Array(new X509Certificate(leaf.cert).raw)],
        privateKey: createPrivateKey(leaf.key),
        signatureScheme: SignatureScheme.ecdsa_secp256r1_sha256,
      }),
    );
    const before = udpHandles();
    const error = await rejection(connectQuic(options(udp.port)));
    expect(error).toBeInstanceOf(TlsAlertError);
    expect((error as TlsAlertError).alert).toBe(TlsAlert.certificate_expired);
    expect(((error as TlsAlertError).cause as { code?: string }).code).toBe("CERT_HAS_EXPIRED");
    expect(udpHandles()).toBe(before);
  });

  it("ignores a server that answers with garbage and rejects at the handshake timeout", async () => {
    const socket = createSocket("udp4");
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
    let answered = 0;
    socket.on("message", (datagram, from) => {
      // Random bytes, then the client's own datagram with its bytes shuffled: nothing decrypts.
      socket.send(randomBytes(1 + (answered % 1300)), from.port, from.address);
      socket.send(Uint8Array.from(datagram).reverse(), from.port, from.address);
      answered++;
    });
    cleanup.push(() => new Promise((resolve) => socket.close(() => setImmediate(resolve))));
    const before = udpHandles();
    const error = await rejection(connectQuic(options(socket.address().port, { handshakeTimeout: 400 })));
    expect((error as QuicConnectionError).kind).toBe("handshake_timeout");
    expect(answered).toBeGreaterThan(0);
    expect(udpHandles()).toBe(before);
  });

  it("rejects at the handshake timeout when nothing answers", async () => {
    const port = await silentPort();
    const before = udpHandles();
    const started = performance.now();
    const error = await rejection(connectQuic(options(port, { handshakeTimeout: 300 })));
    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(QuicConnectionError);
    expect((error as QuicConnectionError).kind).toBe("handshake_timeout");
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(2_000);
    expect(udpHandles()).toBe(before);
  });

  it("rejects at the handshake timeout against a closed port, ICMP errors notwithstanding", async () => {
    const socket = createSocket("udp4");
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
    const port = socket.address().port;
    await new Promise<void>((resolve) => socket.close(() => setImmediate(resolve)));
    const before = udpHandles();
    const error = await rejection(connectQuic(options(port, { handshakeTimeout: 300 })));
    expect((error as QuicConnectionError).kind).toBe("handshake_timeout");
    expect(udpHandles()).toBe(before);
  });

  it("rejects with the abort reason when the signal aborts", async () => {
    const port = await silentPort();
    const before = udpHandles();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const started = performance.now();
    const error = await rejection(connectQuic(options(port, { signal: controller.signal })));
    expect((error as Error).name).toBe("AbortError");
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(udpHandles()).toBe(before);
  });

  it("rejects at once for a signal that is already aborted", async () => {
    const reason = new Error("not wanted");
    const before = udpHandles();
    expect(await rejection(connectQuic(options(1, { signal: AbortSignal.abort(reason) })))).toBe(reason);
    expect(udpHandles()).toBe(before);
  });

  it("rejects with the DNS error for a name that does not resolve", async () => {
    const error = await rejection(connectQuic(options(443, { host: "does-not-exist.invalid" })));
    expect((error as NodeJS.ErrnoException).code).toMatch(/ENOTFOUND|EAI_AGAIN/);
  });

  it("lets the idle timeout end an established session whose server went silent", async () => {
    const udp = await UdpQuicServer.start(testServer({ transportParameters: { maxIdleTimeout: 300 } }));
    const before = udpHandles();
    const session = await connectQuic(options(udp.port));
    udp.server.silent = true;
    const closed = await session.closed;
    expect((closed.error as QuicConnectionError).kind).toBe("idle_timeout");
    expect(udpHandles()).toBe(before);
  });
});
