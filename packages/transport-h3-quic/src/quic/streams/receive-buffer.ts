/**
 * Reassembly of one byte stream from frames that arrive out of order, overlap or repeat: the
 * receive side of a STREAM stream (RFC 9000 §2.2, §4.5) and of the CRYPTO stream of one
 * encryption level (RFC 9000 §7.5, §19.6).
 *
 * Data is kept as the views the caller passes in, never copied: a frame that arrives in order
 * is appended as is and handed back by `read()` as the same bytes. The price is that the buffer
 * holds on to the caller's memory (usually a decrypted packet payload) until the data is read,
 * and the caller must not reuse those bytes.
 *
 * Where a frame overlaps bytes already held, the bytes already held win and the overlapping
 * part of the new frame is ignored, even if it differs. RFC 9000 §2.2 lets a receiver either
 * do that or close the connection with PROTOCOL_VIOLATION; keeping the first copy costs
 * nothing and a peer that sends different bytes at the same offset only corrupts its own stream.
 *
 * Two limits bound the memory a peer can make us hold, each failing with the code the caller
 * picks (FLOW_CONTROL_ERROR for streams, CRYPTO_BUFFER_EXCEEDED for CRYPTO): an absolute
 * `maxOffset` (the flow control limit advertised) and `maxBuffered`, a cap on how far past the
 * read position data may reach.
 *
 * @packageDocumentation
 */

import { concatBytes } from "../buffer.js";
import { QuicError, TransportErrorCode } from "../errors.js";
import { FrameType } from "../frames/frame.js";

/**
 * Options of `ReceiveBuffer`.
 *
 * @alpha
 */
export interface ReceiveBufferOptions {
  /** The highest end offset data may have: the flow control limit advertised. Unbounded if absent. */
  readonly maxOffset?: number;
  /** How far past the read position data may reach: the CRYPTO buffer cap. Unbounded if absent. */
  readonly maxBuffered?: number;
  /** The code of the error thrown when data passes either limit. */
  readonly limitErrorCode: number;
  /** The frame type reported with errors about data: CRYPTO or STREAM (the default). */
  readonly frameType?: number;
}

interface Chunk {
  readonly offset: number;
  readonly data: Uint8Array;
}

const EMPTY = new Uint8Array(0);

/**
 * A reassembly buffer that turns byte ranges at arbitrary offsets into the in-order stream.
 *
 * @alpha
 */
export class ReceiveBuffer {
  // Disjoint, sorted by offset, every chunk non-empty and starting at or after #readOffset.
  // Chunks before #head have been read; they are dropped in batches so reading stays O(1).
  #chunks: Chunk[] = [];
  #head = 0;
  #readOffset = 0;
  #highestOffset = 0;
  #buffered = 0;
  #finalSize: number | undefined;
  #maxOffset: number;
  #reset = false;
  readonly #maxBuffered: number;
  readonly #limitErrorCode: number;
  readonly #frameType: number;

  constructor(options: ReceiveBufferOptions) {
    this.#maxOffset = options.maxOffset ?? Number.MAX_SAFE_INTEGER;
    this.#maxBuffered = options.maxBuffered ?? Number.MAX_SAFE_INTEGER;
    this.#limitErrorCode = options.limitErrorCode;
    this.#frameType = options.frameType ?? FrameType.STREAM;
  }

  /** How many bytes have been read: the offset of the next byte `read()` returns. */
  get readOffset(): number {
    return this.#readOffset;
  }

  /**
   * The highest end offset received, or the final size once known: the flow control credit the
   * peer has used on this stream (RFC 9000 §4.5).
   */
  get highestOffset(): number {
    return this.#highestOffset;
  }

  /** The final size, once a FIN or RESET_STREAM has carried it. */
  get finalSize(): number | undefined {
    return this.#finalSize;
  }

  /** The current `maxOffset` limit. */
  get maxOffset(): number {
    return this.#maxOffset;
  }

  /** How many bytes are held, readable or not. */
  get bufferedBytes(): number {
    return this.#buffered;
  }

  /** Whether RESET_STREAM was applied: data is then only checked, never kept. */
  get isReset(): boolean {
    return this.#reset;
  }

  /** How many bytes `read()` can return now, without waiting for a gap to fill. */
  get readableBytes(): number {
    let end = this.#readOffset;
    for (let i = this.#head; i < this.#chunks.length; i++) {
      const c = this.#chunks[i]!;
      if (c.offset !== end) break;
      end += c.data.length;
    }
    return end - this.#readOffset;
  }

  /** Whether every byte up to the final size has arrived, read or not. */
  get isComplete(): boolean {
    return this.#finalSize !== undefined && this.#readOffset + this.readableBytes === this.#finalSize;
  }

  /** Whether the application has read everything up to the final size. */
  get isFinished(): boolean {
    return this.#finalSize !== undefined && this.#readOffset === this.#finalSize;
  }

  /** Raises `maxOffset` after a larger MAX_STREAM_DATA was sent; a lower value is ignored. */
  raiseMaxOffset(maxOffset: number): void {
    if (maxOffset > this.#maxOffset) this.#maxOffset = maxOffset;
  }

  #fail(code: number, message: string, frameType = this.#frameType): never {
    throw new QuicError(code, message, { frameType });
  }

  /**
   * Takes the bytes of one STREAM or CRYPTO frame and returns by how much `highestOffset` grew:
   * the new flow control credit the frame used, to charge to the connection as well.
   */
  push(offset: number, data: Uint8Array, fin = false): number {
    if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`invalid offset ${offset}`);
    const end = offset + data.length;
    // RFC 9000 §4.5: the final size never changes once known, and no data may lie past it.
    if (fin) {
      if (this.#finalSize !== undefined && this.#finalSize !== end)
        this.#fail(
          TransportErrorCode.FINAL_SIZE_ERROR,
          `final size changed from ${this.#finalSize} to ${end}`,
        );
      if (end < this.#highestOffset)
        this.#fail(
          TransportErrorCode.FINAL_SIZE_ERROR,
          `final size ${end} is below data already received up to ${this.#highestOffset}`,
        );
    } else if (this.#finalSize !== undefined && end > this.#finalSize) {
      this.#fail(
        TransportErrorCode.FINAL_SIZE_ERROR,
        `data up to ${end} past the final size ${this.#finalSize}`,
      );
    }
    this.#checkLimits(end);

    if (fin) this.#finalSize = end;
    const credit = Math.max(0, end - this.#highestOffset);
    this.#highestOffset += credit;
    if (this.#reset || end <= this.#readOffset || data.length === 0) return credit;

    if (offset < this.#readOffset) {
      data = data.subarray(this.#readOffset - offset);
      offset = this.#readOffset;
    }
    this.#insert(offset, data);
    return credit;
  }

  /**
   * Applies the final size of a RESET_STREAM (RFC 9000 §19.4): checks it like a FIN, drops what
   * is buffered, and returns the flow control credit it newly uses. The bytes between
   * `readOffset` and the final size will never be read, so the caller must count them as
   * consumed for the connection's window or that credit is lost for good.
   */
  reset(finalSize: number): number {
    if (!Number.isSafeInteger(finalSize) || finalSize < 0)
      throw new RangeError(`invalid final size ${finalSize}`);
    const frameType = FrameType.RESET_STREAM;
    if (this.#finalSize !== undefined && this.#finalSize !== finalSize)
      this.#fail(
        TransportErrorCode.FINAL_SIZE_ERROR,
        `final size changed from ${this.#finalSize} to ${finalSize}`,
        frameType,
      );
    if (finalSize < this.#highestOffset)
      this.#fail(
        TransportErrorCode.FINAL_SIZE_ERROR,
        `final size ${finalSize} is below data already received up to ${this.#highestOffset}`,
        frameType,
      );
    this.#checkLimits(finalSize, frameType);
    this.#finalSize = finalSize;
    const credit = finalSize - this.#highestOffset;
    this.#highestOffset = finalSize;
    this.#reset = true;
    this.#chunks = [];
    this.#head = 0;
    this.#buffered = 0;
    return credit;
  }

  #checkLimits(end: number, frameType = this.#frameType): void {
    if (end > this.#maxOffset)
      this.#fail(this.#limitErrorCode, `data up to ${end} exceeds the limit ${this.#maxOffset}`, frameType);
    if (end - this.#readOffset > this.#maxBuffered)
      this.#fail(
        this.#limitErrorCode,
        `data up to ${end} is more than ${this.#maxBuffered} bytes past the read offset ${this.#readOffset}`,
        frameType,
      );
  }

  #insert(offset: number, data: Uint8Array): void {
    const chunks = this.#chunks;
    const end = offset + data.length;
    const last = chunks.length > this.#head ? chunks[chunks.length - 1]! : undefined;
    // The common case, data in order or past everything held: one append, no search.
    if (last === undefined || offset >= last.offset + last.data.length) {
      chunks.push({ offset, data });
      this.#buffered += data.length;
      return;
    }
    // Find the first chunk ending after `offset`, then fill only the gaps between held chunks.
    let lo = this.#head;
    let hi = chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = chunks[mid]!;
      if (c.offset + c.data.length <= offset) lo = mid + 1;
      else hi = mid;
    }
    let pos = offset;
    let i = lo;
    while (pos < end) {
      const c = chunks[i];
      if (c !== undefined && c.offset <= pos) {
        pos = Math.max(pos, c.offset + c.data.length);
        i++;
        continue;
      }
      const gapEnd = c === undefined ? end : Math.min(end, c.offset);
      chunks.splice(i, 0, { offset: pos, data: data.subarray(pos - offset, gapEnd - offset) });
      this.#buffered += gapEnd - pos;
      pos = gapEnd;
      i++;
    }
  }

  /**
   * Up to `maxBytes` of the next in-order bytes, as a view of the data pushed, or `undefined`
   * when the next byte has not arrived. Returns at most one pushed chunk per call.
   */
  read(maxBytes = Number.POSITIVE_INFINITY): Uint8Array | undefined {
    const c = this.#chunks[this.#head];
    if (c === undefined || c.offset !== this.#readOffset || maxBytes <= 0) return undefined;
    const n = Math.min(maxBytes, c.data.length);
    const out = n === c.data.length ? c.data : c.data.subarray(0, n);
    if (n === c.data.length) {
      this.#head++;
      if (this.#head === this.#chunks.length) {
        this.#chunks = [];
        this.#head = 0;
      } else if (this.#head >= 64 && this.#head * 2 >= this.#chunks.length) {
        this.#chunks = this.#chunks.slice(this.#head);
        this.#head = 0;
      }
    } else {
      this.#chunks[this.#head] = { offset: c.offset + n, data: c.data.subarray(n) };
    }
    this.#readOffset += n;
    this.#buffered -= n;
    return out;
  }

  /** Every in-order byte available now, joined; a view when it is a single pushed chunk. */
  readAll(): Uint8Array {
    const first = this.read();
    if (first === undefined) return EMPTY;
    const parts = [first];
    for (let part = this.read(); part !== undefined; part = this.read()) parts.push(part);
    return concatBytes(parts);
  }
}
