/**
 * The sending side of one byte stream (RFC 9000 §3.1, §13.3): the bytes the application wrote,
 * cut into STREAM or CRYPTO frames at the connection's request, kept until acknowledged, and
 * sent again when a packet carrying them is declared lost.
 *
 * Retransmission is by byte range, not by frame: a lost range is resent in whatever frame sizes
 * fit the packets at hand, before any new data, lowest offset first, and minus any part an
 * acknowledgement of another copy has covered since. The FIN is tracked the same way — sent,
 * lost, acknowledged — because RFC 9000 §13.3 makes it data that must reach the peer.
 *
 * The buffer keeps the application's `Uint8Array`s without copying; a frame within one write
 * is a view of it. The application must not modify bytes after writing them.
 *
 * @packageDocumentation
 */

import { RangeSet } from "./range-set.js";

/**
 * The payload of one STREAM or CRYPTO frame, as `SendBuffer.nextFrame` hands it out.
 *
 * @alpha
 */
export interface OutgoingStreamData {
  /** The stream offset of the first byte. */
  readonly offset: number;
  /** The bytes; empty for a frame that only carries the FIN. */
  readonly data: Uint8Array;
  /** Whether the frame carries the FIN bit. */
  readonly fin: boolean;
  /** Whether these bytes were sent before (so flow control was already charged for them). */
  readonly retransmission: boolean;
}

interface Chunk {
  readonly offset: number;
  readonly data: Uint8Array;
}

const EMPTY = new Uint8Array(0);

/**
 * Send-side stream data: written bytes, their frames, retransmission of lost ranges, and FIN.
 *
 * @alpha
 */
export class SendBuffer {
  // Chunks before #head were fully acknowledged and freed; the rest are in offset order.
  #chunks: Chunk[] = [];
  #head = 0;
  #writeOffset = 0;
  #sentOffset = 0;
  readonly #acked = new RangeSet();
  readonly #lost = new RangeSet();
  #finished = false;
  #finSent = false;
  #finLost = false;
  #finAcked = false;
  #resetAt: number | undefined;

  /** The total number of bytes the application has written. */
  get writeOffset(): number {
    return this.#writeOffset;
  }

  /** One past the highest byte ever sent: where the next new data starts. */
  get sentOffset(): number {
    return this.#sentOffset;
  }

  /** Whether the application has ended the stream with `finish()`. */
  get isFinished(): boolean {
    return this.#finished;
  }

  /** How many written bytes are still held, i.e. not yet freed by an acknowledgement. */
  get bufferedBytes(): number {
    let n = 0;
    for (let i = this.#head; i < this.#chunks.length; i++) n += this.#chunks[i]!.data.length;
    return n;
  }

  /** Whether every byte and the FIN have been acknowledged: the "Data Recvd" state of §3.1. */
  get isAllAcked(): boolean {
    return this.#finAcked && this.#acked.covers(0, this.#writeOffset);
  }

  /** Whether a lost range or the FIN is waiting to be sent again. */
  get hasRetransmission(): boolean {
    return !this.#lost.isEmpty || this.#finLost;
  }

  /** Appends bytes from the application; they are kept, not copied. */
  write(data: Uint8Array): void {
    if (this.#finished) throw new RangeError("write after finish");
    if (this.#resetAt !== undefined) throw new RangeError("write after reset");
    if (data.length === 0) return;
    this.#chunks.push({ offset: this.#writeOffset, data });
    this.#writeOffset += data.length;
  }

  /** Marks the end of the stream: the FIN goes with the last byte, or alone if that is already sent. */
  finish(): void {
    if (this.#resetAt !== undefined) throw new RangeError("finish after reset");
    this.#finished = true;
  }

  /**
   * Abandons the stream for RESET_STREAM and returns its final size, the highest offset sent
   * (RFC 9000 §4.5). Nothing is sent or resent afterwards.
   */
  reset(): number {
    if (this.#resetAt === undefined) {
      this.#resetAt = this.#sentOffset;
      this.#chunks = [];
      this.#head = 0;
      this.#lost.clear();
      this.#finLost = false;
    }
    return this.#resetAt;
  }

  /** Whether `nextFrame` would return a frame with this much new-data allowance. */
  hasDataToSend(newDataLimit = Number.MAX_SAFE_INTEGER): boolean {
    if (this.#resetAt !== undefined) return false;
    if (this.hasRetransmission) return true;
    if (this.#sentOffset < this.#writeOffset) return this.#sentOffset < newDataLimit;
    return this.#finished && !this.#finSent;
  }

  /**
   * The next frame's data: lost ranges first, then new bytes, then a lone FIN. `maxBytes` bounds
   * the data length; `newDataLimit` is the offset flow control lets new bytes reach (the
   * smaller of the stream limit and what the connection's credit allows). Retransmissions are
   * not limited by it, because their credit was charged when first sent.
   */
  nextFrame(maxBytes: number, newDataLimit = Number.MAX_SAFE_INTEGER): OutgoingStreamData | undefined {
    if (this.#resetAt !== undefined) return undefined;
    const lost = this.#lost.first();
    if (lost !== undefined && maxBytes > 0) {
      const end = Math.min(lost.end, lost.start + maxBytes);
      this.#lost.remove(lost.start, end);
      const fin = this.#finLost && end === this.#writeOffset;
      if (fin) this.#finLost = false;
      return { offset: lost.start, data: this.#slice(lost.start, end), fin, retransmission: true };
    }
    if (lost === undefined && this.#finLost) {
      this.#finLost = false;
      return { offset: this.#writeOffset, data: EMPTY, fin: true, retransmission: true };
    }
    const allowed = Math.min(maxBytes, this.#writeOffset - this.#sentOffset, newDataLimit - this.#sentOffset);
    if (allowed > 0) {
      const start = this.#sentOffset;
      const end = start + allowed;
      this.#sentOffset = end;
      const fin = this.#finished && !this.#finSent && end === this.#writeOffset;
      if (fin) this.#finSent = true;
      return { offset: start, data: this.#slice(start, end), fin, retransmission: false };
    }
    if (this.#finished && !this.#finSent && this.#sentOffset === this.#writeOffset) {
      this.#finSent = true;
      return { offset: this.#writeOffset, data: EMPTY, fin: true, retransmission: false };
    }
    return undefined;
  }

  /** Records that a frame's bytes (and its FIN) were acknowledged, and frees what no longer needs keeping. */
  onAcked(offset: number, length: number, fin: boolean): void {
    const end = offset + length;
    this.#acked.add(offset, end);
    // A copy of these bytes sent later may have been declared lost; it no longer needs resending.
    this.#lost.remove(offset, end);
    if (fin) {
      this.#finAcked = true;
      this.#finLost = false;
    }
    const ackedUpTo = this.#acked.contiguousEnd(0);
    while (this.#head < this.#chunks.length) {
      const c = this.#chunks[this.#head]!;
      if (c.offset + c.data.length > ackedUpTo) break;
      this.#head++;
    }
    if (this.#head === this.#chunks.length || (this.#head >= 64 && this.#head * 2 >= this.#chunks.length)) {
      this.#chunks = this.#chunks.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Records that a frame's bytes (and its FIN) were lost; the parts not acknowledged meanwhile are queued to resend. */
  onLost(offset: number, length: number, fin: boolean): void {
    if (this.#resetAt !== undefined) return;
    const end = Math.min(offset + length, this.#sentOffset);
    if (end > offset) for (const gap of this.#acked.gaps(offset, end)) this.#lost.add(gap.start, gap.end);
    if (fin && !this.#finAcked) this.#finLost = true;
  }

  // The bytes [start, end), a view when they lie in one write and a copy when they span several.
  #slice(start: number, end: number): Uint8Array {
    const chunks = this.#chunks;
    let lo = this.#head;
    let hi = chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (chunks[mid]!.offset <= start) lo = mid;
      else hi = mid - 1;
    }
    const first = chunks[lo];
    if (first === undefined || first.offset > start)
      throw new RangeError(`bytes at ${start} are no longer held`);
    if (end <= first.offset + first.data.length)
      return first.data.subarray(start - first.offset, end - first.offset);
    const out = new Uint8Array(end - start);
    let at = 0;
    for (let i = lo; at < out.length; i++) {
      const c = chunks[i]!;
      const from = Math.max(start, c.offset) - c.offset;
      const to = Math.min(end, c.offset + c.data.length) - c.offset;
      out.set(c.data.subarray(from, to), at);
      at += to - from;
    }
    return out;
  }
}
