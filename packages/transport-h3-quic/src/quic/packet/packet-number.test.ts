import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodePacketNumber,
  type PacketNumberLength,
  packetNumberLength,
  truncatePacketNumber,
} from "./packet-number.js";

/** RFC 9000 Figure 47 transcribed in bigint, as the oracle for the number-based decoder. */
function referenceDecode(largestPn: bigint, truncatedPn: bigint, pnNbits: bigint): bigint {
  const expectedPn = largestPn + 1n;
  const pnWin = 1n << pnNbits;
  const pnHwin = pnWin / 2n;
  const pnMask = pnWin - 1n;
  const candidatePn = (expectedPn & ~pnMask) | truncatedPn;
  if (candidatePn <= expectedPn - pnHwin && candidatePn < (1n << 62n) - pnWin) return candidatePn + pnWin;
  if (candidatePn > expectedPn + pnHwin && candidatePn >= pnWin) return candidatePn - pnWin;
  return candidatePn;
}

describe("packet number encoding (RFC 9000 Appendix A.2)", () => {
  it("uses 16 bits for 0xac5c02 after 0xabe8b3 was acknowledged", () => {
    expect(packetNumberLength(0xac5c02, 0xabe8b3)).toBe(2);
  });

  it("uses 24 bits for 0xace8fe in the same state", () => {
    expect(packetNumberLength(0xace8fe, 0xabe8b3)).toBe(3);
  });

  it("counts from packet 0 when nothing was acknowledged", () => {
    expect(packetNumberLength(0, undefined)).toBe(1);
    expect(packetNumberLength(127, undefined)).toBe(1);
    expect(packetNumberLength(128, undefined)).toBe(2);
  });

  it("switches length exactly where twice the unacknowledged range stops fitting", () => {
    expect(packetNumberLength(1000 + 128, 1000)).toBe(1);
    expect(packetNumberLength(1000 + 129, 1000)).toBe(2);
    expect(packetNumberLength(1000 + 32768, 1000)).toBe(2);
    expect(packetNumberLength(1000 + 32769, 1000)).toBe(3);
    expect(packetNumberLength(2 ** 31 + 5, 5)).toBe(4);
    expect(() => packetNumberLength(2 ** 31 + 6, 5)).toThrow(RangeError);
    expect(() => packetNumberLength(5, 5)).toThrow(RangeError);
  });

  it("truncates to the low bytes", () => {
    expect(truncatePacketNumber(654360564, 3)).toBe(49140);
    expect(truncatePacketNumber(0xa82f9b32, 2)).toBe(0x9b32);
  });
});

describe("packet number decoding (RFC 9000 Appendix A.3)", () => {
  it("decodes 0x9b32 after 0xa82f30ea to 0xa82f9b32", () => {
    expect(decodePacketNumber(0xa82f30ea, 0x9b32, 2)).toBe(0xa82f9b32);
  });

  it("decodes the RFC 9001 A.5 packet number", () => {
    expect(decodePacketNumber(654360563, 49140, 3)).toBe(654360564);
  });

  it("decodes the first packets of a space with nothing received yet", () => {
    expect(decodePacketNumber(undefined, 0, 1)).toBe(0);
    expect(decodePacketNumber(undefined, 2, 4)).toBe(2);
  });

  it("moves up and down a window around the expected number", () => {
    expect(decodePacketNumber(254, 1, 1)).toBe(257);
    expect(decodePacketNumber(257, 254, 1)).toBe(254);
    expect(decodePacketNumber(0x1fe, 0x00, 1)).toBe(0x200);
  });

  it("agrees with Figure 47 transcribed in bigint", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1, max: 2 ** 40 }),
        fc.constantFrom<PacketNumberLength>(1, 2, 3, 4),
        fc.nat(),
        (largest, length, raw) => {
          const truncated = raw % 2 ** (8 * length);
          const got = decodePacketNumber(largest < 0 ? undefined : largest, truncated, length);
          expect(BigInt(got)).toBe(referenceDecode(BigInt(largest), BigInt(truncated), BigInt(8 * length)));
        },
      ),
      { numRuns: 5000 },
    );
  });

  it("recovers every number the sender encoded, for any receiver state the sender allowed for", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 45 }),
        fc.integer({ min: 1, max: 2 ** 31 }),
        fc.nat(),
        (acked, ahead, seen) => {
          const pn = acked + ahead;
          const length = packetNumberLength(pn, acked);
          // The receiver has processed at least the acknowledged packet and at most the one before pn.
          const largest = acked + (seen % ahead);
          expect(decodePacketNumber(largest, truncatePacketNumber(pn, length), length)).toBe(pn);
        },
      ),
      { numRuns: 5000 },
    );
  });

  it("rejects a field value wider than its length", () => {
    expect(() => decodePacketNumber(0, 256, 1)).toThrow(RangeError);
  });
});
