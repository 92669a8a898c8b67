/**
 * QPACK field sections (RFC 9204 §4.5) without the dynamic table: what a client needs once it
 * told the server QPACK_MAX_TABLE_CAPACITY = 0, so that every field line is a static-table
 * reference or a literal and the encoder and decoder streams stay empty.
 *
 * Encoding never uses Huffman coding; decoding accepts it. Integers have an N-bit prefix and
 * strings a length with a Huffman bit, as in HPACK (RFC 7541 §5).
 *
 * @packageDocumentation
 */

import { H3Error, H3ErrorCode } from "./errors.js";
import { huffmanDecode } from "./huffman.js";
import { QPACK_STATIC_TABLE } from "./qpack-static.js";

/**
 * A field line, `[name, value]`; names are lower case on the wire.
 *
 * @alpha
 */
export type H3Field = readonly [name: string, value: string];

// An integer continues for at most this many 7-bit groups after its prefix: 2^56 is far past any
// length or index a field section can hold, and it keeps the value a safe integer.
const MAX_CONTINUATION_BYTES = 8;

/**
 * Encodes `value` with an N-bit prefix (RFC 7541 §5.1), the first byte's higher bits taken from `flags`.
 *
 * @alpha
 */
export function encodePrefixedInteger(value: number, prefixBits: number, flags = 0): number[] {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`not a prefixed integer: ${value}`);
  const max = (1 << prefixBits) - 1;
  if (value < max) return [flags | value];
  const out = [flags | max];
  let rest = value - max;
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
  return out;
}

function decompressionFailed(message: string): H3Error {
  return new H3Error(H3ErrorCode.QPACK_DECOMPRESSION_FAILED, message);
}

/**
 * Reads an integer with an N-bit prefix at `offset`; a truncated or oversized one is QPACK_DECOMPRESSION_FAILED.
 *
 * @alpha
 */
export function decodePrefixedInteger(
  bytes: Uint8Array,
  offset: number,
  prefixBits: number,
): { value: number; next: number } {
  if (offset >= bytes.length) throw decompressionFailed("truncated integer");
  const max = (1 << prefixBits) - 1;
  let value = bytes[offset]! & max;
  let next = offset + 1;
  if (value < max) return { value, next };
  for (let group = 0; group < MAX_CONTINUATION_BYTES; group++) {
    if (next >= bytes.length) throw decompressionFailed("truncated integer");
    const byte = bytes[next++]!;
    value += (byte & 0x7f) * 2 ** (7 * group);
    if ((byte & 0x80) === 0) return { value, next };
  }
  throw decompressionFailed("integer too large");
}

// Field values are octets (RFC 9110 §5.5): each is one code unit of a string, both ways, so a
// value survives a round trip byte for byte.
const latin1 = new TextDecoder("latin1");

/** A string literal without Huffman coding: its length with an N-bit prefix under `flags`, then its octets. */
function encodeString(text: string, prefixBits: number, flags = 0): number[] {
  const out = encodePrefixedInteger(text.length, prefixBits, flags);
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit > 0xff)
      throw new RangeError(`a field holds octets, not U+${unit.toString(16).padStart(4, "0")}`);
    out.push(unit);
  }
  return out;
}

/** Reads a string literal whose length has an N-bit prefix and whose Huffman bit is the one just above it. */
function decodeString(
  bytes: Uint8Array,
  offset: number,
  prefixBits: number,
): { value: string; next: number } {
  const huffman = offset < bytes.length && (bytes[offset]! & (1 << prefixBits)) !== 0;
  const { value: length, next: start } = decodePrefixedInteger(bytes, offset, prefixBits);
  const end = start + length;
  if (end > bytes.length) throw decompressionFailed("truncated string literal");
  const raw = bytes.subarray(start, end);
  return { value: latin1.decode(huffman ? huffmanDecode(raw) : raw), next: end };
}

// Static-table indices by "name\0value" and by name (the first entry with that name).
const STATIC_FIELDS = new Map<string, number>();
const STATIC_NAMES = new Map<string, number>();
for (const [index, [name, value]] of QPACK_STATIC_TABLE.entries()) {
  if (!STATIC_FIELDS.has(`${name}\0${value}`)) STATIC_FIELDS.set(`${name}\0${value}`, index);
  if (!STATIC_NAMES.has(name)) STATIC_NAMES.set(name, index);
}

/**
 * Encodes a field section with Required Insert Count 0 and Base 0, each field as a static reference or a literal, never Huffman-coded.
 *
 * @alpha
 */
export function encodeFieldSection(fields: readonly H3Field[]): Uint8Array {
  // Required Insert Count 0 (8-bit prefix), then Sign 0 and Delta Base 0 (7-bit prefix).
  const out: number[] = [0x00, 0x00];
  for (const [name, value] of fields) {
    const whole = STATIC_FIELDS.get(`${name}\0${value}`);
    if (whole !== undefined) {
      // 1 T=1 Index(6+): Indexed Field Line, static table.
      out.push(...encodePrefixedInteger(whole, 6, 0xc0));
      continue;
    }
    const named = STATIC_NAMES.get(name);
    if (named !== undefined) {
      // 01 N=0 T=1 NameIndex(4+), then H=0 Length(7+) Value: Literal Field Line with Name Reference.
      out.push(...encodePrefixedInteger(named, 4, 0x50), ...encodeString(value, 7));
    } else {
      // 001 N=0 H=0 NameLength(3+) Name, then H=0 Length(7+) Value: Literal Field Line with Literal Name.
      out.push(...encodeString(name, 3, 0x20), ...encodeString(value, 7));
    }
  }
  return Uint8Array.from(out);
}

function staticEntry(index: number): readonly [string, string] {
  const entry = QPACK_STATIC_TABLE[index];
  if (!entry) throw decompressionFailed(`static table index ${index} out of range`);
  return entry;
}

/**
 * Decodes a field section that uses only the static table; a dynamic reference, a non-zero Required Insert Count or malformed bytes are QPACK_DECOMPRESSION_FAILED (RFC 9204 §2.2.3).
 *
 * @alpha
 */
export function decodeFieldSection(bytes: Uint8Array): H3Field[] {
  const requiredInsertCount = decodePrefixedInteger(bytes, 0, 8);
  if (requiredInsertCount.value !== 0)
    throw decompressionFailed(`Required Insert Count ${requiredInsertCount.value} without a dynamic table`);
  // Sign and Delta Base: without a dynamic table the Base means nothing, but it must be there.
  let offset = decodePrefixedInteger(bytes, requiredInsertCount.next, 7).next;
  const fields: H3Field[] = [];
  while (offset < bytes.length) {
    const first = bytes[offset]!;
    if (first & 0x80) {
      // 1 T Index(6+): Indexed Field Line.
      if ((first & 0x40) === 0) throw decompressionFailed("dynamic table reference");
      const index = decodePrefixedInteger(bytes, offset, 6);
      fields.push(staticEntry(index.value));
      offset = index.next;
    } else if (first & 0x40) {
      // 01 N T NameIndex(4+), then H Length(7+) Value: Literal Field Line with Name Reference.
      if ((first & 0x10) === 0) throw decompressionFailed("dynamic table name reference");
      const index = decodePrefixedInteger(bytes, offset, 4);
      const value = decodeString(bytes, index.next, 7);
      fields.push([staticEntry(index.value)[0], value.value]);
      offset = value.next;
    } else if (first & 0x20) {
      // 001 N H NameLength(3+) Name, then H Length(7+) Value: Literal Field Line with Literal Name.
      const name = decodeString(bytes, offset, 3);
      const value = decodeString(bytes, name.next, 7);
      fields.push([name.value, value.value]);
      offset = value.next;
    } else {
      // 0001 (post-base index) and 0000 (post-base name reference) need the dynamic table.
      throw decompressionFailed("post-base reference");
    }
  }
  return fields;
}
