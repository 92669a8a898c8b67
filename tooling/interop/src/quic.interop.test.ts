/**
 * nq's QUIC v1 client (`quic.connectQuic` of `@nq/transport-h3-quic`) against two HTTP/3 stacks
 * nobody on this project wrote: caddy (quic-go 0.29) and gtlsserver (ngtcp2 0.12 with GnuTLS),
 * through the package's minimal HTTP/3 client (`h3.MinimalH3Client`). Every server here passed
 * gtlsclient's self-check in the global setup, so a failure is the client's.
 *
 * Per server: the handshake (ALPN h3, the run's leaf as the peer certificate, verified against
 * the run's CA with a real name check), small and 10 MiB GETs byte for byte, concurrent GETs on
 * one connection, and 10 MiB through the package's seeded UDP impairment shim. Then gtlsserver's
 * Retry (`-V`) and loss (`-t/-r`) flavours, and the handshake failures: an untrusted CA, a name
 * the certificate does not cover, nobody listening.
 */
import { X509Certificate } from "node:crypto";
import { createSocket } from "node:dgram";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createTestPki, UdpImpairmentShim } from "@nq/testkit";
import { describe, expect, inject, it } from "vitest";
import {
  type ConnectQuicOptions,
  connectQuic,
  type FetchedFile,
  fetchFile,
  h3 as http3,
  type MinimalH3Client,
  type QuicSessionUnderTest,
  quic,
} from "./quic-client.js";
import { retriesSent } from "./servers/gtlsserver.js";
import type { QuicServerInfo } from "./servers/quic-servers.js";
import type { TestFile } from "./servers/test-files.js";
import { ownUdpSockets, udpSocketsLeftOver } from "./udp-sockets.js";

const servers = inject("quicServers");
const files = inject("quicFiles");
const caPem = readFileSync(inject("caFile"), "utf8");
const leaf = new X509Certificate(readFileSync(inject("leafFile"), "utf8"));

const file = (name: string): TestFile => files.find((f) => f.name === name)!;
const SMALL = file("small.txt");
const ONE_MIB = file("1m.bin");
const TEN_MIB = file("10m.bin");

const HANDSHAKE_TIMEOUT = 10_000;

/** Connection options for `server` through `port` (the shim's, or the server's own). */
function options(server: QuicServerInfo, overrides: Partial<ConnectQuicOptions> = {}): ConnectQuicOptions {
  return {
    host: "127.0.0.1",
    port: server.port,
    serverName: "localhost",
    alpnProtocols: ["h3"],
    trust: new quic.TrustStore([caPem]),
    handshakeTimeout: HANDSHAKE_TIMEOUT,
    idleTimeout: 30_000,
    ...overrides,
  };
}

/** Connects, opens the minimal HTTP/3 client on the session, runs `use`, and always closes. */
async function withH3<T>(
  server: QuicServerInfo,
  use: (h3: MinimalH3Client, session: QuicSessionUnderTest) => Promise<T>,
  overrides: Partial<ConnectQuicOptions> = {},
): Promise<T> {
  const session = await connectQuic(options(server, overrides));
  try {
    // The server's port, even through the shim: caddy picks its site by host, and the shim is
    // invisible at the HTTP layer.
    const h3 = await http3.MinimalH3Client.open(session, { authority: `localhost:${server.port}` });
    return await use(h3, session);
  } finally {
    await session.close();
  }
}

/** The response is 200 with exactly `expected`'s bytes. */
function expectFile(response: FetchedFile, expected: TestFile): void {
  const head = Buffer.from(response.bodyHead).toString("latin1").slice(0, 200);
  expect(response.status, `status (body starts ${JSON.stringify(head)})`).toBe(200);
  expect(response.bodyLength, "body length").toBe(expected.size);
  expect(response.sha256, "body sha256").toBe(expected.sha256);
}

/** One line of timing for the test output: size, time, throughput, and the session's counters. */
function report(
  label: string,
  response: FetchedFile,
  session: QuicSessionUnderTest,
  handshakeMs?: number,
): void {
  const mib = response.bodyLength / (1024 * 1024);
  const seconds = response.totalMs / 1000;
  const { packetsSent, packetsReceived, packetsLost, smoothedRtt } = session.stats;
  console.log(
    `[quic] ${label}: ${mib.toFixed(1)} MiB in ${response.totalMs.toFixed(0)} ms ` +
      `(${(mib / seconds).toFixed(2)} MiB/s, headers after ${response.headersMs.toFixed(0)} ms` +
      `${handshakeMs === undefined ? "" : `, handshake ${handshakeMs.toFixed(0)} ms`}); ` +
      `packets sent ${packetsSent}, received ${packetsReceived}, lost ${packetsLost}, srtt ${smoothedRtt.toFixed(1)} ms`,
  );
}

/** What a rejected connection attempt failed with, and how long it took. */
async function failedConnect(
  overrides: Partial<ConnectQuicOptions>,
  server: QuicServerInfo,
): Promise<{ error: unknown; ms: number; leftOver: string[] }> {
  const baseline = ownUdpSockets();
  const started = performance.now();
  let error: unknown;
  try {
    const session = await connectQuic(options(server, overrides));
    await session.close();
    error = new Error("the connection succeeded");
  } catch (caught) {
    error = caught;
  }
  const ms = performance.now() - started;
  return { error, ms, leftOver: await udpSocketsLeftOver(baseline) };
}

/** `error` is a TlsAlertError carrying `alert` (RFC 8446 §6.2), with CRYPTO_ERROR 0x100 + alert. */
function expectAlert(error: unknown, alert: number): void {
  expect(error, String(error)).toBeInstanceOf(quic.TlsAlertError);
  expect((error as { alert: number }).alert, String(error)).toBe(alert);
  expect((error as { code: number }).code).toBe(0x100 + alert);
}

const PEERS = [servers.caddy, servers.gtls];

for (const server of PEERS) {
  describe(`quic ${server.name}`, () => {
    it("completes the handshake with ALPN h3 and the run's leaf as the peer certificate", {
      timeout: 20_000,
    }, async () => {
      const started = performance.now();
      const session = await connectQuic(options(server));
      const handshakeMs = performance.now() - started;
      try {
        expect(session.alpnProtocol).toBe("h3");
        expect(session.peerCertificate?.raw.equals(leaf.raw), "peer certificate is the run's leaf").toBe(
          true,
        );
        console.log(`[quic] ${server.name}: handshake in ${handshakeMs.toFixed(0)} ms`);
      } finally {
        await session.close();
      }
    });

    it("GETs small.txt", { timeout: 20_000 }, async () => {
      const response = await withH3(server, (h3) => fetchFile(h3, `/${SMALL.name}`));
      expectFile(response, SMALL);
      expect(Buffer.from(response.bodyHead).toString()).toBe("hello from the nq QUIC interop suite\n");
    });

    it("HEADs 10m.bin: 200 and its content-length, with no content", { timeout: 20_000 }, async () => {
      const response = await withH3(server, async (h3) => {
        const head = await h3.head(`/${TEN_MIB.name}`);
        return { head, body: await head.bytes() };
      });
      expect(response.head.status).toBe(200);
      expect(response.head.headers).toContainEqual(["content-length", String(TEN_MIB.size)]);
      expect(response.body.length).toBe(0);
    });

    it("GETs 10 MiB byte for byte", { timeout: 120_000 }, async () => {
      await withH3(server, async (h3, session) => {
        const response = await fetchFile(h3, `/${TEN_MIB.name}`);
        expectFile(response, TEN_MIB);
        report(`${server.name} ${TEN_MIB.name}`, response, session);
      });
    });

    it("runs 8 concurrent GETs on one connection, each with its own answer", {
      timeout: 60_000,
    }, async () => {
      await withH3(server, async (h3) => {
        const wanted = [SMALL, ONE_MIB, SMALL, ONE_MIB, SMALL, ONE_MIB, SMALL, ONE_MIB];
        const started = performance.now();
        const responses = await Promise.all(wanted.map((f) => fetchFile(h3, `/${f.name}`)));
        for (const [i, response] of responses.entries()) expectFile(response, wanted[i]!);
        console.log(
          `[quic] ${server.name}: 8 concurrent GETs (4 MiB) in ${(performance.now() - started).toFixed(0)} ms`,
        );
      });
    });

    it("GETs 10 MiB byte for byte through the impairment shim (seeded 5% loss and reordering both ways)", {
      timeout: 240_000,
    }, async () => {
      const impairment = { dropRate: 0.05, reorderRate: 0.05 };
      await using shim = await UdpImpairmentShim.start({
        server: { port: server.port },
        clientToServer: { seed: 0x5eed_c11e, ...impairment },
        serverToClient: { seed: 0x5eed_5e4e, ...impairment },
      });
      await withH3(
        server,
        async (h3, session) => {
          const response = await fetchFile(h3, `/${TEN_MIB.name}`);
          expectFile(response, TEN_MIB);
          report(`${server.name} ${TEN_MIB.name} through the shim`, response, session);
        },
        { port: shim.port },
      );
      const up = shim.counts("clientToServer");
      const down = shim.counts("serverToClient");
      console.log(
        `[quic] ${server.name} shim: client→server ${JSON.stringify(up)}, server→client ${JSON.stringify(down)}`,
      );
      expect(up.dropped, "datagrams the shim dropped, client to server").toBeGreaterThan(0);
      expect(down.dropped, "datagrams the shim dropped, server to client").toBeGreaterThan(0);
      expect(down.reordered, "datagrams the shim reordered, server to client").toBeGreaterThan(0);
    });
  });
}

/** How many of gtlsserver's qlogs in `dir` record a `retry_source_connection_id`. */
function qlogsWithRetry(dir: string): number {
  return readdirSync(dir).filter((name) =>
    readFileSync(join(dir, name), "utf8").includes('"retry_source_connection_id"'),
  ).length;
}

describe(`quic ${servers.gtlsRetry.name}`, () => {
  it("completes a handshake that goes through a Retry, then GETs small.txt", {
    timeout: 20_000,
  }, async () => {
    const before = retriesSent(servers.gtlsRetry.log).length;
    const qlogsBefore = qlogsWithRetry(servers.gtlsRetry.qlogDir!);
    const response = await withH3(servers.gtlsRetry, (h3) => fetchFile(h3, `/${SMALL.name}`));
    expectFile(response, SMALL);
    // gtlsserver writes its log as it goes; give the last line a moment to reach the file.
    await expect.poll(() => retriesSent(servers.gtlsRetry.log).length, { timeout: 2_000 }).toBe(before + 1);
    const log = readFileSync(servers.gtlsRetry.log, "utf8");
    expect(log, "gtlsserver validated the Retry token").toMatch(/^Verifying Retry token from /m);
    // Its qlog of the connection records the Retry's connection ID among its transport parameters.
    await expect
      .poll(() => qlogsWithRetry(servers.gtlsRetry.qlogDir!), { timeout: 2_000 })
      .toBeGreaterThan(qlogsBefore);
  });
});

describe(`quic ${servers.gtlsLossy.name}`, () => {
  it("GETs 10 MiB byte for byte with 5% loss each way at the server", { timeout: 240_000 }, async () => {
    await withH3(servers.gtlsLossy, async (h3, session) => {
      const response = await fetchFile(h3, `/${TEN_MIB.name}`);
      expectFile(response, TEN_MIB);
      // No assertion on the client's packetsLost: while downloading it sends mostly ACK-only
      // packets, whose loss it need not detect; the loss is the server's to draw.
      report(`${servers.gtlsLossy.name} ${TEN_MIB.name}`, response, session);
    });
  });
});

describe("quic handshake failures", () => {
  const otherCa = createTestPki().ca.cert;

  for (const server of PEERS) {
    it(`rejects ${server.name}'s certificate under another CA with unknown_ca (48) and closes its socket`, {
      timeout: 20_000,
    }, async () => {
      const { error, leftOver } = await failedConnect({ trust: new quic.TrustStore([otherCa]) }, server);
      expectAlert(error, quic.TlsAlert.unknown_ca);
      expect(leftOver, "UDP sockets left open after the failed handshake").toEqual([]);
    });

    // An IP literal is never sent as SNI (RFC 6066 §3), so both servers present their one
    // certificate, which names 127.0.0.1 but not 127.0.0.2: the client's own check must refuse it.
    it(`rejects ${server.name}'s certificate for serverName 127.0.0.2 (no SNI) with bad_certificate (42)`, {
      timeout: 20_000,
    }, async () => {
      const { error, leftOver } = await failedConnect({ serverName: "127.0.0.2" }, server);
      expectAlert(error, quic.TlsAlert.bad_certificate);
      expect(leftOver, "UDP sockets left open after the failed handshake").toEqual([]);
    });
  }

  // gtlsserver presents its one certificate whatever the SNI, so the name check is the client's.
  it("rejects gtlsserver's certificate for serverName wrong.example with bad_certificate (42)", {
    timeout: 20_000,
  }, async () => {
    const { error, leftOver } = await failedConnect({ serverName: "wrong.example" }, servers.gtls);
    expectAlert(error, quic.TlsAlert.bad_certificate);
    expect(leftOver, "UDP sockets left open after the failed handshake").toEqual([]);
  });

  // Caddy has no certificate for SNI wrong.example and refuses the ClientHello itself with
  // internal_error (80), before any certificate is sent (the same over TCP: openssl s_client
  // -servername wrong.example gets alert 80). The client must report the peer's CRYPTO_ERROR
  // 0x150 as the peer's, not an alert of its own, and still close its socket.
  it("reports caddy's refusal of SNI wrong.example as the peer's CRYPTO_ERROR 0x150 (internal_error)", {
    timeout: 20_000,
  }, async () => {
    const { error, leftOver } = await failedConnect({ serverName: "wrong.example" }, servers.caddy);
    expect(error, String(error)).toBeInstanceOf(quic.QuicError);
    expect(error, String(error)).not.toBeInstanceOf(quic.TlsAlertError);
    expect((error as { code: number }).code, String(error)).toBe(0x100 + quic.TlsAlert.internal_error);
    expect(leftOver, "UDP sockets left open after the failed handshake").toEqual([]);
  });

  it("rejects within the handshake timeout when nothing listens on the UDP port", {
    timeout: 20_000,
  }, async () => {
    // A port that was free a moment ago: bind it, note it, let it go.
    const socket = createSocket("udp4");
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
    const port = socket.address().port;
    await new Promise<void>((resolve) => socket.close(() => resolve()));
    const handshakeTimeout = 3_000;
    const { error, ms, leftOver } = await failedConnect(
      { port, handshakeTimeout },
      { name: "nobody", port, log: "" },
    );
    console.log(`[quic] nothing listening: rejected after ${ms.toFixed(0)} ms with ${String(error)}`);
    expect(error, String(error)).toBeInstanceOf(quic.QuicError);
    expect(ms).toBeLessThan(handshakeTimeout + 1_000);
    expect(leftOver, "UDP sockets left open after the failed handshake").toEqual([]);
  });
});
