/**
 * Seeded fuzzing of the HTTP/3 decoders: random and mutated bytes into the frame reader, SETTINGS,
 * GOAWAY, field sections and the Huffman decoder, and mutated responses through the client. The
 * property is the one the client relies on: a decoder returns a value or throws an H3Error with a
 * known code, promptly; it never throws anything else and never hangs.
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { H3Error, H3ErrorCode } from "./errors.js";
import { decodeFieldSection, encodeFieldSection } from "./field-section.js";
import {
  decodeGoaway,
  decodeSettings,
  encodeH3Frame,
  encodeSettings,
  FrameReader,
  H3FrameType,
} from "./frames.js";
import { huffmanDecode } from "./huffman.js";
import { MinimalH3Client } from "./minimal-client.js";
import { FakeQuicSession } from "./test-support/fake-quic-session.js";

// Fixed seeds: a failure reproduces on every run and machine.
const SEED = 0x0c0ffee;
const RUNS = 2000;
// Generous: every decoder is linear in its input, and inputs here are at most a few KB.
const MAX_MS_PER_INPUT = 250;
const H3_CODES = new Set<number>(Object.values(H3ErrorCode));

/** Runs `decode`; an H3Error with a known code is an acceptable outcome, anything else fails. */
function onlyH3Errors(decode: () => unknown): void {
  const started = performance.now();
  try {
    decode();
  } catch (error) {
    if (!(error instanceof H3Error)) throw error;
    expect(H3_CODES.has(error.code), error.message).toBe(true);
  }
  expect(performance.now() - started).toBeLessThan(MAX_MS_PER_INPUT);
}

const ascii = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, "latin1"));
const cat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(Buffer.concat(parts));

const sections = [
  encodeFieldSection([
    [":status", "200"],
    ["content-type", "text/plain"],
    ["x-custom", "value"],
  ]),
  // RFC 7541 C.6.1's Huffman-coded location, as a QPACK name reference, and a Huffman literal name.
  Uint8Array.from(
    Buffer.from(
      "0000d95c919d29ad171863c78f0b97c8e9ae82ae43d32f0125a849e95ba97d7f8925a849e95bb8e8b4bf",
      "hex",
    ),
  ),
];

const response = cat(
  encodeH3Frame(H3FrameType.HEADERS, encodeFieldSection([[":status", "103"]])),
  encodeH3Frame(0x21, ascii("grease")),
  encodeH3Frame(
    H3FrameType.HEADERS,
    encodeFieldSection([
      [":status", "200"],
      ["content-length", "11"],
    ]),
  ),
  encodeH3Frame(H3FrameType.DATA, ascii("hello")),
  encodeH3Frame(H3FrameType.DATA, ascii(" world")),
  encodeH3Frame(H3FrameType.HEADERS, encodeFieldSection([["x-trailer", "1"]])),
);

const settings = encodeSettings([
  [0x01, 0],
  [0x06, 65536],
  [0x07, 0],
]);

/** Valid samples with one to four byte-level mutations: flips, overwrites, cuts, insertions, deletions. */
function mutated(samples: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ kind: fc.constant("set" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
    fc.record({
      kind: fc.constant("insert" as const),
      at: fc.nat(),
      bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
    }),
    fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), count: fc.integer({ min: 1, max: 8 }) }),
  );
  return fc
    .record({
      sample: fc.constantFrom(...samples),
      mutations: fc.array(mutation, { minLength: 1, maxLength: 4 }),
    })
    .map(({ sample, mutations }) => {
      let out = Array.from(sample);
      for (const m of mutations) {
        const at = out.length === 0 ? 0 : m.at % (out.length + 1);
        if (m.kind === "flip" && at < out.length) out[at]! ^= 1 << m.bit;
        else if (m.kind === "set" && at < out.length) out[at] = m.value;
        else if (m.kind === "truncate") out = out.slice(0, at);
        else if (m.kind === "insert") out.splice(at, 0, ...m.bytes);
        else if (m.kind === "delete") out.splice(at, m.count);
      }
      return Uint8Array.from(out);
    });
}

const anyBytes = fc.uint8Array({ maxLength: 512 });
const inputs = (samples: readonly Uint8Array[]) => fc.oneof(anyBytes, mutated(samples));

/** Cuts `bytes` into chunks at the given points. */
function chunked(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const point of [...points, bytes.length]) {
    chunks.push(bytes.subarray(from, point));
    from = point;
  }
  return chunks;
}

const options = { seed: SEED, numRuns: RUNS };

describe("HTTP/3 decoders under fuzzing", () => {
  it("FrameReader gives events or an H3Error however the bytes are cut, and its DATA adds up", () => {
    fc.assert(
      fc.property(inputs([response]), fc.array(fc.nat(), { maxLength: 8 }), (bytes, cuts) => {
        onlyH3Errors(() => {
          const reader = new FrameReader({ maxFrameLength: 1024 });
          let data = 0;
          for (const chunk of chunked(bytes, cuts))
            for (const event of reader.push(chunk)) if (event.kind === "data") data += event.bytes.length;
          reader.end();
          expect(data).toBeLessThanOrEqual(bytes.length);
        });
      }),
      options,
    );
  });

  it("decodeFieldSection gives fields or QPACK_DECOMPRESSION_FAILED", () => {
    fc.assert(
      fc.property(inputs(sections), (bytes) => {
        onlyH3Errors(() => {
          try {
            decodeFieldSection(bytes);
          } catch (error) {
            expect((error as H3Error).code).toBe(H3ErrorCode.QPACK_DECOMPRESSION_FAILED);
            throw error;
          }
        });
      }),
      options,
    );
  });

  it("decodeSettings, decodeGoaway and huffmanDecode give a value or an H3Error", () => {
    fc.assert(
      fc.property(inputs([settings, Uint8Array.of(0x40, 0x08)]), (bytes) => {
        onlyH3Errors(() => decodeSettings(bytes));
        onlyH3Errors(() => decodeGoaway(bytes));
        onlyH3Errors(() => huffmanDecode(bytes));
      }),
      options,
    );
  });

  it("MinimalH3Client settles every mutated response with a response or an H3Error, and never hangs", async () => {
    await fc.assert(
      fc.asyncProperty(inputs([response]), async (bytes) => {
        const session = new FakeQuicSession(() => bytes);
        const client = await MinimalH3Client.open(session, { authority: "localhost" });
        const started = performance.now();
        try {
          const got = await client.get("/");
          await got.bytes();
        } catch (error) {
          if (!(error instanceof H3Error)) throw error;
        }
        expect(performance.now() - started).toBeLessThan(MAX_MS_PER_INPUT);
        await session.close(0, "");
      }),
      { seed: SEED, numRuns: 500 },
    );
  });
});
