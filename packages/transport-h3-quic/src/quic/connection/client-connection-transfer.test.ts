import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { confirm, type TestPair, testPair } from "../test-support/quic-fixtures.js";
import type { LinkImpairment } from "../test-support/quic-network.js";

const MiB = 1024 * 1024;

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

interface EchoResult {
  readonly received: Uint8Array;
  /** The largest MAX_STREAM_DATA and MAX_DATA the server saw from the client. */
  readonly maxStreamData: number;
  readonly maxData: number;
}

/**
 * Writes `data` on one stream as flow control allows, the way an application honouring
 * `streamWritable` would, and reads the echo back as it arrives.
 */
function echo(pair: TestPair, data: Uint8Array, maxTime: number): EchoResult {
  const { client, server, network } = pair;
  const id = client.openStream(true)!;
  const chunks: Uint8Array[] = [];
  let written = 0;
  let done = false;
  let maxStreamData = 0;
  let maxData = 0;
  network.runUntil(() => {
    while (written < data.length) {
      const credit = Math.min(client.streamWritable(id), 256 * 1024, data.length - written);
      if (credit === 0) break;
      client.writeStream(id, data.subarray(written, written + credit), written + credit === data.length);
      written += credit;
    }
    for (let chunk = client.readStream(id); chunk !== undefined; chunk = client.readStream(id)) {
      chunks.push(chunk.data);
      done ||= chunk.fin;
    }
    maxStreamData = Math.max(maxStreamData, server.core.streams.sendCreditOf(id)?.limit ?? 0);
    maxData = Math.max(maxData, server.core.streams.connectionSendCredit.limit);
    if (!client.state.startsWith("established")) throw new Error(`the connection ended: ${client.state}`);
    return done;
  }, network.now + maxTime);
  // Window updates the last reads made due leave after the data did.
  network.runFor(100);
  maxData = Math.max(maxData, server.core.streams.connectionSendCredit.limit);
  return { received: Buffer.concat(chunks), maxStreamData, maxData };
}

describe("a 10 MiB bidirectional echo", () => {
  const data = new Uint8Array(randomBytes(10 * MiB));

  it("arrives byte-exact, with MAX_STREAM_DATA and MAX_DATA raised past the initial windows", () => {
    const pair = testPair();
    confirm(pair);
    const result = echo(pair, data, 60_000);
    expect(result.received.length).toBe(data.length);
    expect(sha256(result.received)).toBe(sha256(data));
    // 8 MiB for our bidirectional streams and 16 MiB for the connection, by default.
    expect(result.maxStreamData).toBeGreaterThan(8 * MiB);
    expect(result.maxData).toBeGreaterThan(16 * MiB);
    expect(pair.client.stats.packetsLost).toBe(0);
    expect(pair.client.stats.bytesReceived).toBeGreaterThan(data.length);
  });

  it("grows a small receive window by auto-tuning", () => {
    const window = 64 * 1024;
    const pair = testPair({
      client: { transportParameters: { initialMaxStreamDataBidiLocal: window, initialMaxData: 2 * window } },
    });
    confirm(pair);
    const result = echo(pair, data.subarray(0, 4 * MiB), 60_000);
    expect(sha256(result.received)).toBe(sha256(data.subarray(0, 4 * MiB)));
    const limits = pair.server.framesReceived
      .map(({ frame }) => (frame.type === "maxStreamData" ? frame.maximum : undefined))
      .filter((limit): limit is number => limit !== undefined);
    const steps = limits.slice(1).map((limit, i) => limit - limits[i]!);
    // A fixed 64 KiB window would step by half a window at a time; a tuned one steps further.
    expect(Math.max(...steps)).toBeGreaterThan(window);
  });

  it("survives 5% loss, reordering and duplication both ways, with loss recovery and PTO at work", () => {
    const impair = (seed: number): LinkImpairment => ({
      seed,
      dropRate: 0.05,
      duplicateRate: 0.02,
      reorderRate: 0.05,
    });
    const pair = testPair({ network: { clientToServer: impair(11), serverToClient: impair(12) } });
    confirm(pair, 30_000);
    const result = echo(pair, data, 600_000);
    expect(result.received.length).toBe(data.length);
    expect(sha256(result.received)).toBe(sha256(data));
    const { client, server, network } = pair;
    for (const direction of ["clientToServer", "serverToClient"] as const) {
      const counts = network.counts(direction);
      expect(counts.dropped).toBeGreaterThan(100);
      expect(counts.duplicated).toBeGreaterThan(50);
      expect(counts.reordered).toBeGreaterThan(100);
    }
    expect(client.stats.packetsLost).toBeGreaterThan(0);
    expect(server.core.stats.packetsLost).toBeGreaterThan(0);
    expect(client.stats.probeTimeouts + server.core.stats.probeTimeouts).toBeGreaterThan(0);
  });

  it("completes the handshake and a transfer when the whole first flight is lost once", () => {
    const pair = testPair({
      network: {
        clientToServer: { seed: 1, filter: (_d, index) => index === 0 },
        serverToClient: { seed: 2, filter: (_d, index) => index < 2 },
      },
    });
    confirm(pair);
    const result = echo(pair, data.subarray(0, 100_000), 10_000);
    expect(sha256(result.received)).toBe(sha256(data.subarray(0, 100_000)));
    expect(pair.client.stats.probeTimeouts).toBeGreaterThan(0);
  });

  it("runs 60 echoes over a stream limit of 8, opening streams as MAX_STREAMS allows", () => {
    const pair = testPair({ server: { transportParameters: { initialMaxStreamsBidi: 8 } } });
    const { client, network } = pair;
    confirm(pair);
    const pending = new Map<number, { data: Uint8Array; chunks: Uint8Array[] }>();
    let opened = 0;
    let finished = 0;
    network.runUntil(() => {
      while (opened < 60) {
        const id = client.openStream(true);
        if (id === undefined) break;
        const data = new Uint8Array(randomBytes(1000 + opened * 500));
        client.writeStream(id, data, true);
        pending.set(id, { data, chunks: [] });
        opened++;
      }
      for (const [id, stream] of pending) {
        for (let chunk = client.readStream(id); chunk !== undefined; chunk = client.readStream(id)) {
          stream.chunks.push(chunk.data);
          if (!chunk.fin) continue;
          expect(Buffer.concat(stream.chunks).equals(Buffer.from(stream.data))).toBe(true);
          pending.delete(id);
          finished++;
        }
      }
      return finished === 60;
    }, 60_000);
    expect(pair.server.framesReceived.some(({ frame }) => frame.type === "streamsBlocked")).toBe(true);
  });
});
