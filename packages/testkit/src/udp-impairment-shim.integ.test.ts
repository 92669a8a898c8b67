import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { afterEach, describe, expect, it } from "vitest";
import {
  type ImpairmentCounts,
  type ImpairmentOptions,
  seededRandom,
  UdpImpairmentShim,
} from "./udp-impairment-shim.js";

let cleanup: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const close of cleanup.reverse()) await close();
  cleanup = [];
});

interface Endpoint {
  readonly socket: Socket;
  readonly port: number;
  readonly received: number[];
  readonly from: RemoteInfo[];
}

async function endpoint(): Promise<Endpoint> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const ep: Endpoint = { socket, port: socket.address().port, received: [], from: [] };
  socket.on("message", (data, from) => {
    ep.received.push(data.readUInt32BE(0));
    ep.from.push(from);
  });
  cleanup.push(() => closeSocket(socket));
  return ep;
}

async function shim(
  serverPort: number,
  impair: { clientToServer?: ImpairmentOptions; serverToClient?: ImpairmentOptions } = {},
  port?: number,
): Promise<UdpImpairmentShim> {
  const relay = await UdpImpairmentShim.start({
    server: { port: serverPort },
    ...impair,
    ...(port === undefined ? {} : { port }),
  });
  cleanup.push(() => relay.close());
  return relay;
}

function datagram(n: number): Buffer {
  const b = Buffer.alloc(32);
  b.writeUInt32BE(n, 0);
  return b;
}

// Sends numbered datagrams in small batches, waiting for each batch to reach `arrived()`:
// a burst of hundreds would overflow the receiving socket's buffer, and a kernel drop would
// look like the relay's.
async function sendAll(from: Socket, to: number, count: number, arrived: () => number): Promise<void> {
  const start = arrived();
  for (let sent = 0; sent < count; ) {
    const batch = Math.min(20, count - sent);
    await Promise.all(
      Array.from(
        { length: batch },
        (_, i) =>
          new Promise<void>((resolve, reject) =>
            from.send(datagram(sent + i), to, "127.0.0.1", (e) => (e ? reject(e) : resolve())),
          ),
      ),
    );
    sent += batch;
    await until(() => arrived() - start >= sent, `datagram ${sent} to arrive`);
  }
}

async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

// Resolves once libuv has released the handle, not just when 'close' fires (see the shim's close()).
const closeSocket = (socket: Socket) =>
  new Promise<void>((resolve) => socket.close(() => setImmediate(() => setImmediate(resolve))));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// What a receiver can tell from sequence numbers alone.
function observe(sequence: readonly number[]): { duplicates: number; reorders: number } {
  const seen = new Set<number>();
  let highest = -1;
  let duplicates = 0;
  let reorders = 0;
  for (const n of sequence) {
    if (seen.has(n)) duplicates++;
    else if (n < highest) reorders++;
    seen.add(n);
    highest = Math.max(highest, n);
  }
  return { duplicates, reorders };
}

// Everything that arrived has either been dropped, forwarded, or is still held or delayed.
const settled = (c: ImpairmentCounts, sent: number) =>
  c.received === sent && c.forwarded === c.received - c.dropped + c.duplicated;

describe("seededRandom", () => {
  it("is deterministic per seed, differs across seeds, and stays in [0, 1)", () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const c = seededRandom(43);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(Array.from({ length: 1000 }, () => c())).not.toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(Array.from({ length: 10 }, seededRandom(0)).some((x) => x !== 0)).toBe(true);
  });
});

describe("UdpImpairmentShim", () => {
  it("with no impairment forwards everything in order, both ways", async () => {
    const server = await endpoint();
    const client = await endpoint();
    const relay = await shim(server.port);
    await sendAll(client.socket, relay.port, 200, () => relay.counts("clientToServer").received);
    await until(() => server.received.length === 200, "200 datagrams at the server");
    expect(server.received).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(server.from.every((f) => f.port === relay.port)).toBe(true);

    await sendAll(server.socket, relay.port, 100, () => relay.counts("serverToClient").received);
    await until(() => client.received.length === 100, "100 datagrams at the client");
    expect(client.received).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(client.from.every((f) => f.port === relay.port)).toBe(true);
    expect(relay.counts("clientToServer")).toEqual({
      received: 200,
      forwarded: 200,
      dropped: 0,
      duplicated: 0,
      reordered: 0,
    });
    expect(relay.counts("serverToClient").forwarded).toBe(100);
  });

  it("with a 100% drop rate forwards nothing", async () => {
    const server = await endpoint();
    const client = await endpoint();
    const relay = await shim(server.port, { clientToServer: { seed: 1, dropRate: 1 } });
    await sendAll(client.socket, relay.port, 50, () => relay.counts("clientToServer").received);
    await until(() => relay.counts("clientToServer").received === 50, "50 datagrams at the relay");
    await sleep(50);
    expect(server.received).toEqual([]);
    expect(relay.counts("clientToServer")).toMatchObject({ received: 50, forwarded: 0, dropped: 50 });
  });

  it("gives the same counts and the same delivery order for the same seed", async () => {
    const impairment: ImpairmentOptions = {
      seed: 0xc0ffee,
      dropRate: 0.15,
      duplicateRate: 0.1,
      reorderRate: 0.1,
      delayMs: [0, 4],
      reorderHoldMs: 500,
    };
    const run = async (seed: number) => {
      const server = await endpoint();
      const client = await endpoint();
      const relay = await shim(server.port, { clientToServer: { ...impairment, seed } });
      await sendAll(client.socket, relay.port, 300, () => relay.counts("clientToServer").received);
      await until(() => settled(relay.counts("clientToServer"), 300), "the relay to settle");
      const counts = relay.counts("clientToServer");
      await until(() => server.received.length === counts.forwarded, "every forwarded datagram");
      return { counts, order: [...server.received] };
    };
    const first = await run(impairment.seed);
    const second = await run(impairment.seed);
    expect(second).toEqual(first);
    expect(first.counts.dropped).toBeGreaterThan(0);
    expect(first.counts.duplicated).toBeGreaterThan(0);
    expect(first.counts.reordered).toBeGreaterThan(0);
    const other = await run(impairment.seed + 1);
    expect(other.counts).not.toEqual(first.counts);
  });

  it("duplicates and reorders seen by the receiver match the counters, in each direction", async () => {
    const server = await endpoint();
    const client = await endpoint();
    const damage = (seed: number): ImpairmentOptions => ({
      seed,
      dropRate: 0.05,
      duplicateRate: 0.1,
      reorderRate: 0.1,
      delayMs: [0, 2],
      reorderHoldMs: 500,
    });
    const relay = await shim(server.port, { clientToServer: damage(7), serverToClient: damage(8) });

    await sendAll(client.socket, relay.port, 500, () => relay.counts("clientToServer").received);
    await until(() => settled(relay.counts("clientToServer"), 500), "client → server to settle");
    const up = relay.counts("clientToServer");
    await until(() => server.received.length === up.forwarded, "client → server delivery");
    expect(observe(server.received)).toEqual({ duplicates: up.duplicated, reorders: up.reordered });
    expect(new Set(server.received).size).toBe(500 - up.dropped);

    // The server answers the relay, which passes it on to the client's address.
    await sendAll(server.socket, server.from[0]!.port, 500, () => relay.counts("serverToClient").received);
    await until(() => settled(relay.counts("serverToClient"), 500), "server → client to settle");
    const down = relay.counts("serverToClient");
    await until(() => client.received.length === down.forwarded, "server → client delivery");
    expect(observe(client.received)).toEqual({ duplicates: down.duplicated, reorders: down.reordered });
    expect(down.reordered).toBeGreaterThan(0);
    expect(down.duplicated).toBeGreaterThan(0);
  });

  it("delays datagrams by the configured amount", async () => {
    const server = await endpoint();
    const client = await endpoint();
    const relay = await shim(server.port, { clientToServer: { seed: 3, delayMs: [60, 80] } });
    const start = performance.now();
    await sendAll(client.socket, relay.port, 5, () => relay.counts("clientToServer").received);
    await until(() => server.received.length === 5, "delayed datagrams");
    expect(performance.now() - start).toBeGreaterThanOrEqual(55);
    expect(server.received).toEqual([0, 1, 2, 3, 4]);
    expect(relay.counts("clientToServer").forwarded).toBe(5);
  });

  it("close() releases the port and every timer, even with datagrams in flight", async () => {
    const server = await endpoint();
    const client = await endpoint();
    const baseline = process.getActiveResourcesInfo();
    const count = (list: string[], name: string) => list.filter((r) => r === name).length;
    const relay = await UdpImpairmentShim.start({
      server: { port: server.port },
      clientToServer: { seed: 5, delayMs: [1000, 1000], reorderRate: 0.5, reorderHoldMs: 1000 },
    });
    const port = relay.port;
    await sendAll(client.socket, port, 20, () => relay.counts("clientToServer").received);
    await until(() => relay.counts("clientToServer").received === 20, "datagrams at the relay");
    await relay.close();
    await relay.close();
    const after = process.getActiveResourcesInfo();
    expect(count(after, "UDPWrap")).toBe(count(baseline, "UDPWrap"));
    expect(count(after, "Timeout")).toBeLessThanOrEqual(count(baseline, "Timeout"));
    expect(server.received).toEqual([]);

    const again = await shim(server.port, {}, port);
    expect(again.port).toBe(port);
    await again.close();
    const plain = createSocket("udp4");
    await new Promise<void>((resolve) => plain.bind(port, "127.0.0.1", resolve));
    await closeSocket(plain);
  });

  it("supports await using", async () => {
    const server = await endpoint();
    let port = 0;
    {
      await using relay = await UdpImpairmentShim.start({ server: { port: server.port } });
      port = relay.port;
    }
    const plain = createSocket("udp4");
    await new Promise<void>((resolve) => plain.bind(port, "127.0.0.1", resolve));
    await closeSocket(plain);
  });
});
