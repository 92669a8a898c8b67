import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fromHex, toHex } from "./test-support/hex.js";
import {
  encodeVarint,
  MAX_VARINT,
  readVarint,
  readVarintBigInt,
  varintLength,
  writeVarintAt,
} from "./varint.js";

describe("variable-length integers (RFC 9000 §16)", () => {
  // RFC 9000 Appendix A.1, the four worked examples.
  it.each([
    ["c2197c5eff14e88c", 151288809941952652n],
    ["9d7f3e7d", 494878333n],
    ["7bbd", 15293n],
    ["25", 37n],
    ["4025", 37n],
  ])("decodes %s to %s (Appendix A.1)", (hex, value) => {
    const bytes = fromHex(hex);
    expect(readVarintBigInt(bytes, 0)).toEqual({ value, length: bytes.length });
    if (value <= BigInt(Number.MAX_SAFE_INTEGER)) {
      expect(readVarint(bytes, 0)).toEqual({ value: Number(value), length: bytes.length });
    }
  });

  it("encodes the Appendix A.1 values back to the same bytes", () => {
    expect(toHex(encodeVarint(151288809941952652n))).toBe("c2197c5eff14e88c");
    expect(toHex(encodeVarint(494878333))).toBe("9d7f3e7d");
    expect(toHex(encodeVarint(15293))).toBe("7bbd");
    expect(toHex(encodeVarint(37))).toBe("25");
    expect(toHex(encodeVarint(37, 2))).toBe("4025");
  });

  it("picks the shortest length at each boundary", () => {
    expect([0, 63, 64, 16383, 16384, 2 ** 30 - 1, 2 ** 30].map((v) => varintLength(v))).toEqual([
      1, 1, 2, 2, 4, 4, 8,
    ]);
    expect(varintLength(MAX_VARINT)).toBe(8);
    expect(toHex(encodeVarint(MAX_VARINT))).toBe("ffffffffffffffff");
  });

  it("rejects values a varint cannot hold", () => {
    expect(() => encodeVarint(-1)).toThrow(RangeError);
    expect(() => encodeVarint(1.5)).toThrow(RangeError);
    expect(() => encodeVarint(MAX_VARINT + 1n)).toThrow(RangeError);
    expect(() => encodeVarint(64, 1)).toThrow(RangeError);
    expect(() => writeVarintAt(new Uint8Array(1), 0, 64)).toThrow(RangeError);
  });

  it("saturates numbers above 2^53−1 and stays exact as bigint", () => {
    const bytes = encodeVarint(MAX_VARINT);
    expect(readVarint(bytes, 0)?.value).toBe(Number.MAX_SAFE_INTEGER);
    expect(readVarintBigInt(bytes, 0)?.value).toBe(MAX_VARINT);
    const safe = encodeVarint(Number.MAX_SAFE_INTEGER);
    expect(readVarint(safe, 0)?.value).toBe(Number.MAX_SAFE_INTEGER);
    const justAbove = encodeVarint(BigInt(Number.MAX_SAFE_INTEGER) + 1n);
    expect(readVarint(justAbove, 0)?.value).toBe(Number.MAX_SAFE_INTEGER);
  });

  it("reports truncation instead of reading past the end", () => {
    expect(readVarint(fromHex("c2197c"), 0)).toBeUndefined();
    expect(readVarint(new Uint8Array(0), 0)).toBeUndefined();
    expect(readVarint(fromHex("4025"), 0, 1)).toBeUndefined();
    expect(readVarintBigInt(fromHex("9d7f3e"), 0)).toBeUndefined();
  });

  it("round-trips every value at every length that fits", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: MAX_VARINT }), fc.constantFrom(1, 2, 4, 8), (value, extra) => {
        const length = Math.max(varintLength(value), extra) as 1 | 2 | 4 | 8;
        const bytes = encodeVarint(value, length);
        expect(bytes.length).toBe(length);
        expect(readVarintBigInt(bytes, 0)).toEqual({ value, length });
        const asNumber = readVarint(bytes, 0)!;
        expect(asNumber.value).toBe(
          value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value),
        );
      }),
      { numRuns: 2000 },
    );
  });
});
