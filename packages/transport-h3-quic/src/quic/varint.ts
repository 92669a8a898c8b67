/**
 * QUIC variable-length integers (RFC 9000 §16): the two high bits of the first byte give the
 * length (1, 2, 4 or 8 bytes), the remaining 6, 14, 30 or 62 bits the value, big-endian.
 *
 * Values are JavaScript numbers where they can be exact. A varint can hold up to 2^62−1, more
 * than `Number.MAX_SAFE_INTEGER` (2^53−1), so there are two readers: `readVarintBigInt`
 * is exact for every value, `readVarint` saturates anything above 2^53−1 to
 * `Number.MAX_SAFE_INTEGER`. Saturation is safe for what numbers are used for here — limits,
 * offsets, counts and packet numbers — because this endpoint never grants, sends or counts
 * beyond 2^53−1, so a saturated value fails the same checks the exact one would.
 *
 * @packageDocumentation
 */

/**
 * The largest value a QUIC varint can encode, 2^62−1.
 *
 * @alpha
 */
export const MAX_VARINT = (1n << 62n) - 1n;

/** The largest value of each encoded length: 1 byte 63, 2 bytes 16383, 4 bytes 2^30−1. */
const MAX_1 = 0x3f;
const MAX_2 = 0x3fff;
const MAX_4 = 0x3fffffff;
const TWO_32 = 0x1_0000_0000;
// Above this high word, hi·2^32 + lo no longer fits in a safe integer.
const MAX_SAFE_HIGH = 0x1fffff;

/**
 * A value a varint can be written from: a non-negative safe integer or a bigint up to 2^62−1.
 *
 * @alpha
 */
export type VarintValue = number | bigint;

function checkValue(value: VarintValue): void {
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`not a varint value: ${value}`);
  } else if (value < 0n || value > MAX_VARINT) {
    throw new RangeError(`not a varint value: ${value}`);
  }
}

/**
 * The number of bytes (1, 2, 4 or 8) of the shortest encoding of `value`.
 *
 * @alpha
 */
export function varintLength(value: VarintValue): 1 | 2 | 4 | 8 {
  checkValue(value);
  const v = typeof value === "bigint" ? value : BigInt(value);
  if (v <= MAX_1) return 1;
  if (v <= MAX_2) return 2;
  if (v <= MAX_4) return 4;
  return 8;
}

/**
 * Writes `value` at `offset` in exactly `length` bytes (RFC 9000 §16 allows any length that
 * fits; fixed-width fields such as a Length filled in after the payload rely on it). Returns
 * the offset after the varint.
 *
 * @alpha
 */
export function writeVarintAt(
  target: Uint8Array,
  offset: number,
  value: VarintValue,
  length: 1 | 2 | 4 | 8 = varintLength(value),
): number {
  checkValue(value);
  if (length < varintLength(value)) throw new RangeError(`${value} does not fit in a ${length}-byte varint`);
  if (offset < 0 || offset + length > target.length)
    throw new RangeError("varint does not fit in the buffer");
  if (length === 8) {
    let hi: number;
    let lo: number;
    if (typeof value === "bigint") {
      hi = Number(value >> 32n);
      lo = Number(value & 0xffffffffn);
    } else {
      hi = Math.floor(value / TWO_32);
      lo = value % TWO_32;
    }
    target[offset] = 0xc0 | (hi >>> 24);
    target[offset + 1] = hi >>> 16;
    target[offset + 2] = hi >>> 8;
    target[offset + 3] = hi;
    target[offset + 4] = lo >>> 24;
    target[offset + 5] = lo >>> 16;
    target[offset + 6] = lo >>> 8;
    target[offset + 7] = lo;
    return offset + 8;
  }
  const v = Number(value);
  if (length === 1) {
    target[offset] = v;
  } else if (length === 2) {
    target[offset] = 0x40 | (v >>> 8);
    target[offset + 1] = v;
  } else {
    target[offset] = 0x80 | (v >>> 24);
    target[offset + 1] = v >>> 16;
    target[offset + 2] = v >>> 8;
    target[offset + 3] = v;
  }
  return offset + length;
}

/**
 * The shortest encoding of `value`, or the encoding in `length` bytes when given.
 *
 * @alpha
 */
export function encodeVarint(value: VarintValue, length?: 1 | 2 | 4 | 8): Uint8Array {
  const out = new Uint8Array(length ?? varintLength(value));
  writeVarintAt(out, 0, value, length ?? varintLength(value));
  return out;
}

/**
 * The encoded length (1, 2, 4 or 8) announced by a varint's first byte.
 *
 * @alpha
 */
export function varintLengthFromFirstByte(firstByte: number): 1 | 2 | 4 | 8 {
  return (1 << (firstByte >> 6)) as 1 | 2 | 4 | 8;
}

/**
 * Reads the varint at `offset` as a number, saturating values above 2^53−1 (see the module
 * comment). Returns `undefined` when the bytes (up to `end`) stop before the varint does.
 *
 * @alpha
 */
export function readVarint(
  source: Uint8Array,
  offset: number,
  end = source.length,
): { value: number; length: number } | undefined {
  if (offset >= end) return undefined;
  const first = source[offset]!;
  const length = varintLengthFromFirstByte(first);
  if (offset + length > end) return undefined;
  switch (length) {
    case 1:
      return { value: first & 0x3f, length };
    case 2:
      return { value: ((first & 0x3f) << 8) | source[offset + 1]!, length };
    case 4:
      return {
        value:
          (first & 0x3f) * 0x1000000 +
          ((source[offset + 1]! << 16) | (source[offset + 2]! << 8) | source[offset + 3]!),
        length,
      };
    default: {
      const hi =
        (first & 0x3f) * 0x1000000 +
        ((source[offset + 1]! << 16) | (source[offset + 2]! << 8) | source[offset + 3]!);
      if (hi > MAX_SAFE_HIGH) return { value: Number.MAX_SAFE_INTEGER, length };
      const lo =
        source[offset + 4]! * 0x1000000 +
        ((source[offset + 5]! << 16) | (source[offset + 6]! << 8) | source[offset + 7]!);
      return { value: hi * TWO_32 + lo, length };
    }
  }
}

/**
 * Reads the varint at `offset` exactly, as a bigint. Returns `undefined` when the bytes end first.
 *
 * @alpha
 */
export function readVarintBigInt(
  source: Uint8Array,
  offset: number,
  end = source.length,
): { value: bigint; length: number } | undefined {
  if (offset >= end) return undefined;
  const length = varintLengthFromFirstByte(source[offset]!);
  if (offset + length > end) return undefined;
  let value = BigInt(source[offset]! & 0x3f);
  for (let i = 1; i < length; i++) value = (value << 8n) | BigInt(source[offset + i]!);
  return { value, length };
}
