/**
 * Random and damaged datagrams into a client connection in every state it can be in. The
 * property is the one the UDP edge relies on: `receive` never throws and returns promptly, and
 * whatever it did, `send`, `nextTimerDeadline` and `onTimer` still behave: `send` runs dry,
 * timers move forward, and "closed" is reported at most once.
 *
 * Besides bytes that fail to parse or authenticate, the inputs include packets that do
 * authenticate: Initial packets protected with the keys any on-path observer can derive, and
 * 1-RTT packets from the scripted server, both full of arbitrary frames, so frame processing
 * itself is fuzzed and not only the parsers in front of it.
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { deriveInitialKeys } from "../crypto/initial-secrets.js";
import type { Frame } from "../frames/frame.js";
import { encodeFrames } from "../frames/frame-codec.js";
import { parseDatagram, serializeLongHeader, serializeVersionNegotiation } from "../packet/header.js";
import { protectPacket } from "../packet/packet-protection.js";
import { buildRetryPacket } from "../packet/retry.js";
import { frame, mutatedBytes } from "../test-support/arbitraries.js";
import { confirm, type TestPair, testPair } from "../test-support/quic-fixtures.js";
import type { QuicClientConnection } from "./client-connection.js";

const RUNS = 40;
const MAX_MS_PER_DATAGRAM = 250;

type State = "before any answer" | "with Handshake keys" | "established" | "closing" | "draining";

function setUp(state: State): TestPair {
  const pair = testPair();
  const { client, server, network } = pair;
  network.flush();
  if (state === "before any answer") return pair;
  if (state === "with Handshake keys") {
    // Only the server's Initial: the client gets Handshake keys and nothing to use them on.
    server.receive(network.sent.client[0]!, 10);
    const initial = parseDatagram(server.send(10)!, 8).packets[0]!;
    client.receive(initial.packet, 20);
    network.now = 20;
    return pair;
  }
  confirm(pair);
  if (state === "closing") client.close(1, "bye", true);
  if (state === "draining") {
    server.core.close(0n, "bye", false, network.now);
    network.runUntil(() => client.state === "draining");
  }
  return pair;
}

/** Datagrams from a whole handshake and a little data: the samples mutations start from. */
const samples: Uint8Array[] = (() => {
  const pair = testPair({ server: { openUniStream: new Uint8Array(40) } });
  confirm(pair);
  const id = pair.client.openStream(true)!;
  pair.client.writeStream(id, new Uint8Array(3000), true);
  pair.network.runFor(200);
  const versionNegotiation = serializeVersionNegotiation({
    dcid: pair.client.sourceConnectionId,
    scid: pair.client.originalDestinationConnectionId,
    supportedVersions: [2, 0x1a2a3a4a],
  });
  const retry = buildRetryPacket(
    { dcid: pair.client.sourceConnectionId, scid: new Uint8Array(8).fill(3), token: new Uint8Array(9) },
    pair.client.originalDestinationConnectionId,
  );
  return [...pair.network.sent.server, versionNegotiation, retry];
})();

type Input =
  | { readonly kind: "bytes"; readonly bytes: Uint8Array }
  | { readonly kind: "initial" | "1rtt"; readonly frames: Frame[] };

const input: fc.Arbitrary<Input> = fc.oneof(
  { weight: 3, arbitrary: mutatedBytes(samples).map((bytes): Input => ({ kind: "bytes", bytes })) },
  {
    weight: 1,
    arbitrary: fc
      .array(frame, { minLength: 1, maxLength: 4 })
      .map((frames): Input => ({ kind: "initial", frames })),
  },
  {
    weight: 2,
    arbitrary: fc
      .array(frame, { minLength: 1, maxLength: 4 })
      .map((frames): Input => ({ kind: "1rtt", frames })),
  },
);

function forgedInitial(client: QuicClientConnection, frames: readonly Frame[]): Uint8Array {
  const keys = deriveInitialKeys(client.originalDestinationConnectionId).server;
  const encoded = encodeFrames(frames);
  const payload = new Uint8Array(Math.max(encoded.length, 40));
  payload.set(encoded);
  const header = serializeLongHeader({
    type: "initial",
    dcid: client.sourceConnectionId,
    // The server's SCID once the client has one: other SCIDs are dropped unread (RFC 9000 §7.2).
    scid: client.destinationConnectionId,
    packetNumber: 5,
    packetNumberLength: 2,
    payloadLength: payload.length + 16,
  });
  return protectPacket(keys, header, 5, payload);
}

// Frames the arbitrary makes can be too large for one packet; those inputs are skipped.
function datagramOf(pair: TestPair, value: Input): Uint8Array | undefined {
  try {
    if (value.kind === "bytes") return value.bytes;
    if (value.kind === "initial") return forgedInitial(pair.client, value.frames);
    return pair.server.connected ? pair.server.core.rawOneRttPacket(value.frames) : undefined;
  } catch (error) {
    if (error instanceof RangeError) return undefined;
    throw error;
  }
}

function exercise(pair: TestPair, datagrams: readonly Input[]): void {
  const { client, network } = pair;
  let now = network.now;
  for (const value of datagrams) {
    const datagram = datagramOf(pair, value);
    if (datagram === undefined) continue;
    const started = performance.now();
    client.receive(datagram, now);
    expect(performance.now() - started).toBeLessThan(MAX_MS_PER_DATAGRAM);
    // `send` must run dry: a connection that always has one more datagram would spin forever.
    let sent = 0;
    while (client.send(now) !== undefined) expect(++sent).toBeLessThan(1000);
    // Timers due soon run (ACK delay, loss detection, PTO); the idle and handshake timeouts,
    // which would end every run the same way, do not.
    const deadline = client.nextTimerDeadline();
    if (deadline !== undefined && deadline <= now + 100) {
      now = Math.max(now, deadline);
      client.onTimer(now);
    }
    now += 1;
  }
  const closed = client.takeEvents().filter((event) => event.type === "closed");
  expect(closed.length).toBeLessThanOrEqual(1);
}

describe("random and damaged datagrams into a client connection", () => {
  it.each<State>(["before any answer", "with Handshake keys", "established", "closing", "draining"])(
    "never throw or hang %s",
    (state) => {
      fc.assert(
        fc.property(fc.array(input, { minLength: 1, maxLength: 6 }), (datagrams) => {
          exercise(setUp(state), datagrams);
        }),
        { numRuns: RUNS },
      );
    },
    60_000,
  );
});
