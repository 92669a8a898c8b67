/**
 * A cursor over bytes from the network (`BufferReader`) and a growable byte builder
 * (`BufferWriter`): the only two ways the QUIC layer reads and writes wire formats.
 *
 * The reader never reads past its end: every short read throws a `QuicError` with the
 * code the caller chose (FRAME_ENCODING_ERROR for frames, TRANSPORT_PARAMETER_ERROR for
 * transport parameters, PROTOCOL_VIOLATION for packet headers), so a parser built on it cannot
 * crash on truncated input with anything else. Byte slices it returns are views (`subarray`)
 * into the source, not copies.
 *
 * @packageDocumentation
 */

import { QuicError, TransportErrorCode } from "./errors.js";
import {
  readVarint,
  readVarintBigInt,
  type VarintValue,
  varintLength,
  varintLengthFromFirstByte,
  writeVarintAt,
} from "./varint.js";

/**
 * Options of `BufferReader`.
 *
 * @alpha
 */
export interface BufferReaderOptions {
  /** The transport error code of a read past the end; FRAME_ENCODING_ERROR unless given. */
  readonly errorCode?: number;
  /** The frame type to report with errors, when reading one frame. */
  readonly frameType?: number;
}

/**
 * A bounds-checked, forward-only cursor over a byte range.
 *
 * @alpha
 */
export class BufferReader {
  readonly #bytes: Uint8Array;
  readonly #end: number;
  #offset: number;
  /** The transport error code thrown on a short read. */
  errorCode: number;
  /** The frame type reported with errors, updated by frame parsers as they go. */
  frameType: number | undefined;

  constructor(bytes: Uint8Array, start = 0, end = bytes.length, options: BufferReaderOptions = {}) {
    if (start < 0 || end > bytes.length || start > end)
      throw new RangeError("reader range outside the bytes");
    this.#bytes = bytes;
    this.#offset = start;
    this.#end = end;
    this.errorCode = options.errorCode ?? TransportErrorCode.FRAME_ENCODING_ERROR;
    this.frameType = options.frameType;
  }

  /** The position of the next byte to read, relative to the start of the underlying bytes. */
  get offset(): number {
    return this.#offset;
  }

  /** The end of the readable range. */
  get end(): number {
    return this.#end;
  }

  /** How many bytes are left to read. */
  get remaining(): number {
    return this.#end - this.#offset;
  }

  /** The whole underlying byte array (not only the readable range). */
  get bytes(): Uint8Array {
    return this.#bytes;
  }

  /** Throws the reader's error; for a parser that finds a value it cannot accept. */
  fail(message: string, code: number = this.errorCode): never {
    throw new QuicError(code, message, { frameType: this.frameType });
  }

  #need(n: number, what: string): void {
    if (n > this.#end - this.#offset)
      this.fail(`truncated ${what}: needs ${n} bytes, ${this.remaining} left`);
  }

  /** The next byte without consuming it. */
  peekUint8(): number {
    this.#need(1, "byte");
    return this.#bytes[this.#offset]!;
  }

  /** One byte. */
  readUint8(): number {
    this.#need(1, "uint8");
    return this.#bytes[this.#offset++]!;
  }

  /** A big-endian 16-bit integer. */
  readUint16(): number {
    this.#need(2, "uint16");
    const b = this.#bytes;
    const o = this.#offset;
    this.#offset = o + 2;
    return (b[o]! << 8) | b[o + 1]!;
  }

  /** A big-endian 24-bit integer (TLS handshake message lengths). */
  readUint24(): number {
    this.#need(3, "uint24");
    const b = this.#bytes;
    const o = this.#offset;
    this.#offset = o + 3;
    return (b[o]! << 16) | (b[o + 1]! << 8) | b[o + 2]!;
  }

  /** A big-endian 32-bit unsigned integer (QUIC versions). */
  readUint32(): number {
    this.#need(4, "uint32");
    const b = this.#bytes;
    const o = this.#offset;
    this.#offset = o + 4;
    return b[o]! * 0x1000000 + ((b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!);
  }

  /** `n` bytes, as a view into the source. */
  readBytes(n: number, what = "bytes"): Uint8Array {
    if (!Number.isSafeInteger(n) || n < 0) this.fail(`invalid length for ${what}: ${n}`);
    this.#need(n, what);
    const o = this.#offset;
    this.#offset = o + n;
    return this.#bytes.subarray(o, o + n);
  }

  /** Everything left, as a view. */
  readRest(): Uint8Array {
    const o = this.#offset;
    this.#offset = this.#end;
    return this.#bytes.subarray(o, this.#end);
  }

  /** Skips `n` bytes. */
  skip(n: number, what = "bytes"): void {
    this.#need(n, what);
    this.#offset += n;
  }

  /** A varint as a number, values above 2^53−1 saturated (see varint.ts). */
  readVarint(what = "varint"): number {
    const r = readVarint(this.#bytes, this.#offset, this.#end);
    if (r === undefined) this.#truncatedVarint(what);
    this.#offset += r.length;
    return r.value;
  }

  /** A varint exactly, as a bigint; for opaque 62-bit codes (error codes, parameter ids). */
  readVarintBigInt(what = "varint"): bigint {
    const r = readVarintBigInt(this.#bytes, this.#offset, this.#end);
    if (r === undefined) this.#truncatedVarint(what);
    this.#offset += r.length;
    return r.value;
  }

  /**
   * A varint that must be exact as a number; a value above 2^53−1 throws `code`. For offsets,
   * where the RFC's own bound (2^62−1) would otherwise be lost to saturation.
   */
  readSafeVarint(code: number, what = "varint"): number {
    const start = this.#offset;
    const value = this.readVarint(what);
    if (value === Number.MAX_SAFE_INTEGER && this.readVarintLengthAt(start) === 8) {
      const exact = readVarintBigInt(this.#bytes, start)!.value;
      if (exact > BigInt(Number.MAX_SAFE_INTEGER))
        this.fail(`${what} ${exact} is beyond any supported limit`, code);
    }
    return value;
  }

  /** A varint length prefix followed by that many bytes. */
  readVarintPrefixedBytes(what = "bytes"): Uint8Array {
    const length = this.readVarint(`${what} length`);
    return this.readBytes(length, what);
  }

  /** The encoded length of the varint starting at an absolute offset. */
  readVarintLengthAt(offset: number): number {
    return varintLengthFromFirstByte(this.#bytes[offset]!);
  }

  #truncatedVarint(what: string): never {
    this.fail(`truncated ${what}`);
  }
}

/**
 * A growable big-endian byte builder.
 *
 * @alpha
 */
export class BufferWriter {
  #bytes: Uint8Array;
  #length = 0;

  constructor(initialCapacity = 256) {
    this.#bytes = new Uint8Array(Math.max(16, initialCapacity));
  }

  /** How many bytes have been written. */
  get length(): number {
    return this.#length;
  }

  #reserve(n: number): number {
    const start = this.#length;
    const needed = start + n;
    if (needed > this.#bytes.length) {
      let capacity = this.#bytes.length * 2;
      while (capacity < needed) capacity *= 2;
      const grown = new Uint8Array(capacity);
      grown.set(this.#bytes.subarray(0, start));
      this.#bytes = grown;
    }
    this.#length = needed;
    return start;
  }

  /** One byte. */
  writeUint8(value: number): this {
    const o = this.#reserve(1);
    this.#bytes[o] = value;
    return this;
  }

  /** A big-endian 16-bit integer. */
  writeUint16(value: number): this {
    const o = this.#reserve(2);
    this.#bytes[o] = value >>> 8;
    this.#bytes[o + 1] = value;
    return this;
  }

  /** A big-endian 24-bit integer. */
  writeUint24(value: number): this {
    const o = this.#reserve(3);
    this.#bytes[o] = value >>> 16;
    this.#bytes[o + 1] = value >>> 8;
    this.#bytes[o + 2] = value;
    return this;
  }

  /** A big-endian 32-bit unsigned integer. */
  writeUint32(value: number): this {
    const o = this.#reserve(4);
    this.#bytes[o] = value >>> 24;
    this.#bytes[o + 1] = value >>> 16;
    this.#bytes[o + 2] = value >>> 8;
    this.#bytes[o + 3] = value;
    return this;
  }

  /** Raw bytes. */
  writeBytes(bytes: Uint8Array): this {
    const o = this.#reserve(bytes.length);
    this.#bytes.set(bytes, o);
    return this;
  }

  /** `count` copies of `value` (PADDING runs). */
  fill(value: number, count: number): this {
    const o = this.#reserve(count);
    this.#bytes.fill(value, o, o + count);
    return this;
  }

  /** A varint in its shortest encoding, or in exactly `length` bytes. */
  writeVarint(value: VarintValue, length?: 1 | 2 | 4 | 8): this {
    const n = length ?? varintLength(value);
    const o = this.#reserve(n);
    writeVarintAt(this.#bytes, o, value, n);
    return this;
  }

  /** A varint length prefix and the bytes. */
  writeVarintPrefixedBytes(bytes: Uint8Array): this {
    return this.writeVarint(bytes.length).writeBytes(bytes);
  }

  /** The bytes written so far, as a view (valid until the next write). */
  view(): Uint8Array {
    return this.#bytes.subarray(0, this.#length);
  }

  /** A copy of the bytes written. */
  toBytes(): Uint8Array {
    return this.#bytes.slice(0, this.#length);
  }
}

/**
 * The bytes of `parts` one after another; a single part comes back as it is, not copied.
 *
 * @internal
 */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
