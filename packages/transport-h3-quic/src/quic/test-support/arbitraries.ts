/**
 * fast-check arbitraries for QUIC values, shared by the round-trip and fuzz tests.
 *
 * @packageDocumentation
 */

import fc from "fast-check";
import type { AckRange, Frame } from "../frames/frame.js";
import type { TransportParametersInit } from "../frames/transport-parameters.js";
import { MAX_VARINT } from "../varint.js";

/** A varint-sized number, spread over the four encoded lengths. */
export const varintNumber: fc.Arbitrary<number> = fc.oneof(
  fc.integer({ min: 0, max: 63 }),
  fc.integer({ min: 64, max: 16383 }),
  fc.integer({ min: 16384, max: 2 ** 30 - 1 }),
  fc.integer({ min: 2 ** 30, max: Number.MAX_SAFE_INTEGER }),
);

/** A 62-bit opaque code. */
export const varintBigInt: fc.Arbitrary<bigint> = fc.oneof(
  fc.bigInt({ min: 0n, max: 63n }),
  fc.bigInt({ min: 0n, max: MAX_VARINT }),
);

const bytes = (min: number, max: number): fc.Arbitrary<Uint8Array> =>
  fc.uint8Array({ minLength: min, maxLength: max });

const ackRanges: fc.Arbitrary<AckRange[]> = fc
  .record({
    largest: fc.integer({ min: 0, max: 2 ** 40 }),
    first: fc.integer({ min: 0, max: 1000 }),
    more: fc.array(
      fc.record({ gap: fc.integer({ min: 0, max: 1000 }), length: fc.integer({ min: 0, max: 1000 }) }),
      {
        maxLength: 8,
      },
    ),
  })
  .map(({ largest, first, more }) => {
    let smallest = Math.max(0, largest - first);
    const ranges: AckRange[] = [{ smallest, largest }];
    for (const { gap, length } of more) {
      const top = smallest - gap - 2;
      if (top < 0) break;
      const bottom = Math.max(0, top - length);
      ranges.push({ smallest: bottom, largest: top });
      smallest = bottom;
    }
    return ranges;
  });

const streamCount = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });

/** Any valid frame, with values inside what the decoder returns exactly. */
export const frame: fc.Arbitrary<Frame> = fc.oneof(
  fc.integer({ min: 1, max: 50 }).map((length): Frame => ({ type: "padding", length })),
  fc.constant<Frame>({ type: "ping" }),
  fc
    .record({
      ackDelay: varintNumber,
      ranges: ackRanges,
      ecn: fc.option(fc.record({ ect0: varintNumber, ect1: varintNumber, ce: varintNumber }), {
        nil: undefined,
      }),
    })
    .map(
      ({ ackDelay, ranges, ecn }): Frame =>
        ecn === undefined ? { type: "ack", ackDelay, ranges } : { type: "ack", ackDelay, ranges, ecn },
    ),
  fc
    .record({ streamId: varintNumber, errorCode: varintBigInt, finalSize: varintNumber })
    .map((f): Frame => ({ type: "resetStream", ...f })),
  fc
    .record({ streamId: varintNumber, errorCode: varintBigInt })
    .map((f): Frame => ({ type: "stopSending", ...f })),
  fc
    .record({ offset: fc.integer({ min: 0, max: 2 ** 52 }), data: bytes(0, 64) })
    .map((f): Frame => ({ type: "crypto", ...f })),
  bytes(1, 64).map((token): Frame => ({ type: "newToken", token })),
  fc
    .record({
      streamId: varintNumber,
      offset: fc.integer({ min: 0, max: 2 ** 52 }),
      data: bytes(0, 64),
      fin: fc.boolean(),
    })
    .map((f): Frame => ({ type: "stream", ...f })),
  varintNumber.map((maximum): Frame => ({ type: "maxData", maximum })),
  fc
    .record({ streamId: varintNumber, maximum: varintNumber })
    .map((f): Frame => ({ type: "maxStreamData", ...f })),
  fc
    .record({ bidirectional: fc.boolean(), maximum: streamCount })
    .map((f): Frame => ({ type: "maxStreams", ...f })),
  varintNumber.map((limit): Frame => ({ type: "dataBlocked", limit })),
  fc
    .record({ streamId: varintNumber, limit: varintNumber })
    .map((f): Frame => ({ type: "streamDataBlocked", ...f })),
  fc
    .record({ bidirectional: fc.boolean(), limit: streamCount })
    .map((f): Frame => ({ type: "streamsBlocked", ...f })),
  fc
    .record({
      sequenceNumber: varintNumber,
      retire: fc.double({ min: 0, max: 1, noNaN: true }),
      connectionId: bytes(1, 20),
      statelessResetToken: bytes(16, 16),
    })
    .map(
      ({ sequenceNumber, retire, connectionId, statelessResetToken }): Frame => ({
        type: "newConnectionId",
        sequenceNumber,
        retirePriorTo: Math.floor(sequenceNumber * retire),
        connectionId,
        statelessResetToken,
      }),
    ),
  varintNumber.map((sequenceNumber): Frame => ({ type: "retireConnectionId", sequenceNumber })),
  bytes(8, 8).map((data): Frame => ({ type: "pathChallenge", data })),
  bytes(8, 8).map((data): Frame => ({ type: "pathResponse", data })),
  fc
    .record({ errorCode: varintBigInt, frameType: varintBigInt, reason: bytes(0, 40) })
    .map((f): Frame => ({ type: "connectionClose", application: false, ...f })),
  fc
    .record({ errorCode: varintBigInt, reason: bytes(0, 40) })
    .map((f): Frame => ({ type: "connectionClose", application: true, ...f })),
  fc.constant<Frame>({ type: "handshakeDone" }),
);

/** Any valid set of transport parameters a server could send. */
export const transportParameters: fc.Arbitrary<TransportParametersInit> = fc.record(
  {
    originalDestinationConnectionId: bytes(0, 20),
    maxIdleTimeout: varintNumber,
    statelessResetToken: bytes(16, 16),
    maxUdpPayloadSize: fc.integer({ min: 1200, max: 65527 }),
    initialMaxData: varintNumber,
    initialMaxStreamDataBidiLocal: varintNumber,
    initialMaxStreamDataBidiRemote: varintNumber,
    initialMaxStreamDataUni: varintNumber,
    initialMaxStreamsBidi: streamCount,
    initialMaxStreamsUni: streamCount,
    ackDelayExponent: fc.integer({ min: 0, max: 20 }),
    maxAckDelay: fc.integer({ min: 0, max: 2 ** 14 - 1 }),
    disableActiveMigration: fc.boolean(),
    preferredAddress: fc.record({
      ipv4Address: bytes(4, 4),
      ipv4Port: fc.integer({ min: 0, max: 65535 }),
      ipv6Address: bytes(16, 16),
      ipv6Port: fc.integer({ min: 0, max: 65535 }),
      connectionId: bytes(1, 20),
      statelessResetToken: bytes(16, 16),
    }),
    activeConnectionIdLimit: fc.integer({ min: 2, max: 2 ** 30 }),
    initialSourceConnectionId: bytes(0, 20),
    retrySourceConnectionId: bytes(0, 20),
    unknown: fc.uniqueArray(
      fc.record({ id: fc.bigInt({ min: 0x11n, max: MAX_VARINT }), value: bytes(0, 16) }),
      { selector: (p) => p.id, maxLength: 4 },
    ),
  },
  { requiredKeys: [] },
);

/**
 * Bytes derived from valid samples by damage a fuzzer would do: flipped bits, cut tails, bytes
 * inserted or removed, spans duplicated, and plain random bytes.
 */
export function mutatedBytes(samples: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ kind: fc.constant("set" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
    fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), bytes: bytes(1, 8) }),
    fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), count: fc.integer({ min: 1, max: 8 }) }),
    fc.record({
      kind: fc.constant("duplicate" as const),
      at: fc.nat(),
      count: fc.integer({ min: 1, max: 32 }),
    }),
  );
  const mutated = fc
    .record({
      sample: fc.constantFrom(...samples),
      mutations: fc.array(mutation, { minLength: 1, maxLength: 4 }),
    })
    .map(({ sample, mutations }) => {
      let out = Array.from(sample);
      for (const m of mutations) {
        const at = out.length === 0 ? 0 : m.at % (out.length + 1);
        switch (m.kind) {
          case "flip":
            if (at < out.length) out[at]! ^= 1 << m.bit;
            break;
          case "set":
            if (at < out.length) out[at] = m.value;
            break;
          case "truncate":
            out = out.slice(0, at);
            break;
          case "insert":
            out.splice(at, 0, ...m.bytes);
            break;
          case "delete":
            out.splice(at, m.count);
            break;
          case "duplicate":
            out.splice(at, 0, ...out.slice(at, at + m.count));
            break;
        }
      }
      return Uint8Array.from(out);
    });
  return fc.oneof({ weight: 3, arbitrary: mutated }, { weight: 1, arbitrary: bytes(0, 1500) });
}
