/**
 * Fuzz-style tests: random and mutated bytes into every parser of the QUIC layer. The property
 * is the one the connection relies on: a parser returns a value or throws a QuicError with a
 * transport error code, and does so promptly; it never throws anything else and never hangs.
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BufferReader } from "./buffer.js";
import { TLS_CHACHA20_POLY1305_SHA256 } from "./crypto/cipher-suite.js";
import { deriveInitialKeys } from "./crypto/initial-secrets.js";
import { derivePacketProtectionKeys } from "./crypto/packet-keys.js";
import { QuicError, TransportErrorCode } from "./errors.js";
import type { PacketType } from "./frames/frame.js";
import { decodeFrames, encodeFrames } from "./frames/frame-codec.js";
import { decodeTransportParameters, encodeTransportParameters } from "./frames/transport-parameters.js";
import { parseDatagram, parsePacket, serializeVersionNegotiation } from "./packet/header.js";
import { unprotectPacket } from "./packet/packet-protection.js";
import { verifyRetryIntegrity } from "./packet/retry.js";
import { frame, mutatedBytes, transportParameters } from "./test-support/arbitraries.js";
import { fromHex } from "./test-support/hex.js";
import { A2, A3, A4, A5, DCID } from "./test-support/rfc9001-vectors.js";

const RUNS = 3000;
// Generous: every parser is linear in its input, and inputs here are at most a few KB.
const MAX_MS_PER_INPUT = 250;
const TRANSPORT_CODES = new Set<number>(Object.values(TransportErrorCode));

/** Runs `parse`; a QuicError with a known code is an acceptable outcome, anything else fails. */
function onlyQuicErrors(parse: () => unknown): void {
  const started = performance.now();
  try {
    parse();
  } catch (error) {
    if (!(error instanceof QuicError)) throw error;
    expect(TRANSPORT_CODES.has(error.code)).toBe(true);
  }
  expect(performance.now() - started).toBeLessThan(MAX_MS_PER_INPUT);
}

const keys = deriveInitialKeys(fromHex(DCID));
const chacha = derivePacketProtectionKeys(TLS_CHACHA20_POLY1305_SHA256, fromHex(A5.secret));

const a2Payload = (() => {
  const payload = new Uint8Array(A2.payloadLength);
  payload.set(fromHex(A2.cryptoFrame));
  return payload;
})();

const packetSamples = [
  fromHex(A2.packet),
  fromHex(A3.packet),
  fromHex(A4.packet),
  fromHex(A5.packet),
  serializeVersionNegotiation({
    dcid: fromHex("0102"),
    scid: fromHex(DCID),
    supportedVersions: [1, 0x0a0a0a0a],
  }),
  Uint8Array.from([...fromHex(A3.packet), ...fromHex(A5.packet)]),
];

const frameSamples = [
  a2Payload.subarray(0, 300),
  fromHex(A3.payload),
  ...fc
    .sample(fc.array(frame, { minLength: 1, maxLength: 6 }), { numRuns: 40, seed: 9000 })
    .map(encodeFrames),
];

const parameterSamples = [
  fromHex(A2.cryptoFrame).subarray(0, 0), // the empty set is valid too
  ...fc.sample(transportParameters, { numRuns: 40, seed: 9001 }).map(encodeTransportParameters),
];

const packetTypes: PacketType[] = ["initial", "0rtt", "handshake", "1rtt"];

describe("fuzzing the parsers: only QuicError, never a crash or a hang", () => {
  it("varint and integer reads", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 16 }), (bytes) => {
        onlyQuicErrors(() => {
          const r = new BufferReader(bytes);
          while (r.remaining > 0) r.readVarint();
        });
        onlyQuicErrors(() => new BufferReader(bytes).readVarintBigInt());
        onlyQuicErrors(() => new BufferReader(bytes).readUint32());
      }),
      { numRuns: RUNS },
    );
  });

  it("packet headers and coalesced datagrams", () => {
    fc.assert(
      fc.property(mutatedBytes(packetSamples), fc.integer({ min: 0, max: 20 }), (bytes, dcidLength) => {
        onlyQuicErrors(() => parsePacket(bytes, 0, dcidLength));
        // parseDatagram reports a malformed tail instead of throwing.
        const { packets, error } = parseDatagram(bytes, dcidLength);
        expect(error === undefined || error instanceof QuicError).toBe(true);
        expect(packets.reduce((n, p) => n + p.packet.length, 0)).toBeLessThanOrEqual(bytes.length);
      }),
      { numRuns: RUNS },
    );
  });

  it("packet unprotection with the right keys, then the frames inside", () => {
    fc.assert(
      fc.property(mutatedBytes(packetSamples), (bytes) => {
        const { packets } = parseDatagram(bytes, 0);
        for (const packet of packets) {
          if (packet.kind !== "initial" && packet.kind !== "1rtt") continue;
          const packetKeys =
            packet.kind === "1rtt"
              ? chacha
              : packet.offset === 0 && packet.dcid.length
                ? keys.client
                : keys.server;
          onlyQuicErrors(() => {
            const opened = unprotectPacket(packetKeys, packet.packet, packet.pnOffset, undefined);
            if (opened !== undefined)
              decodeFrames(opened.payload, packet.kind === "1rtt" ? "1rtt" : "initial");
          });
        }
      }),
      { numRuns: 500 },
    );
  });

  it("packet unprotection of arbitrary bytes at arbitrary offsets", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        fc.nat(250),
        fc.option(fc.nat(2 ** 40), { nil: undefined }),
        (bytes, pnOffset, largest) => {
          onlyQuicErrors(() => unprotectPacket(keys.client, bytes, pnOffset, largest));
          onlyQuicErrors(() => unprotectPacket(chacha, bytes, pnOffset, largest));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("Retry integrity checks", () => {
    fc.assert(
      fc.property(mutatedBytes([fromHex(A4.packet)]), (bytes) => {
        const ok = verifyRetryIntegrity(fromHex(DCID), bytes);
        expect(typeof ok).toBe("boolean");
      }),
      { numRuns: 1000 },
    );
  });

  it.each(packetTypes)("frames in %s packets", (packetType) => {
    fc.assert(
      fc.property(mutatedBytes(frameSamples), (bytes) => {
        onlyQuicErrors(() => decodeFrames(bytes, packetType));
      }),
      { numRuns: RUNS },
    );
  });

  it("frames: mostly-valid payloads with one byte changed hit every decoder branch", () => {
    fc.assert(
      fc.property(
        fc.array(frame, { minLength: 1, maxLength: 4 }),
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        (frames, at, value) => {
          const bytes = encodeFrames(frames);
          bytes[at % bytes.length] = value;
          onlyQuicErrors(() => decodeFrames(bytes, "1rtt"));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("transport parameters, from either side", () => {
    fc.assert(
      fc.property(
        mutatedBytes(parameterSamples),
        fc.constantFrom("client" as const, "server" as const),
        (bytes, sender) => {
          onlyQuicErrors(() => decodeTransportParameters(bytes, sender));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("malformed frames and parameters carry the codes RFC 9000 names, nothing else", () => {
    const seen = new Set<number>();
    fc.assert(
      fc.property(mutatedBytes(frameSamples), mutatedBytes(parameterSamples), (frameBytes, paramBytes) => {
        for (const parse of [
          () => decodeFrames(frameBytes, "1rtt"),
          () => decodeTransportParameters(paramBytes, "server"),
        ]) {
          try {
            parse();
          } catch (error) {
            if (!(error instanceof QuicError)) throw error;
            seen.add(error.code);
          }
        }
      }),
      { numRuns: RUNS },
    );
    const allowed = new Set<number>([
      TransportErrorCode.FRAME_ENCODING_ERROR,
      TransportErrorCode.PROTOCOL_VIOLATION,
      TransportErrorCode.TRANSPORT_PARAMETER_ERROR,
      TransportErrorCode.FLOW_CONTROL_ERROR,
      TransportErrorCode.CRYPTO_BUFFER_EXCEEDED,
    ]);
    for (const code of seen) expect(allowed.has(code)).toBe(true);
    expect(seen.has(TransportErrorCode.FRAME_ENCODING_ERROR)).toBe(true);
    expect(seen.has(TransportErrorCode.TRANSPORT_PARAMETER_ERROR)).toBe(true);
  });
});
