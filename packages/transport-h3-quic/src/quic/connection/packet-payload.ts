/**
 * The plaintext payload of one packet being assembled: frames appended while they fit a byte
 * budget, with the record of each that loss detection will hand back.
 *
 * @packageDocumentation
 */

import { BufferWriter } from "../buffer.js";
import type { Frame } from "../frames/frame.js";
import { encodeFrame } from "../frames/frame-codec.js";
import { varintLength } from "../varint.js";
import type { SentFrame } from "./sent-frame.js";

/**
 * The bytes a CRYPTO or STREAM frame's header can take before its data, given the largest
 * offset it may carry and its room: a bound, so the data length can be chosen before the frame
 * is encoded.
 *
 * @internal
 */
export function dataFrameOverhead(streamId: number | undefined, maxOffset: number, room: number): number {
  const id = streamId === undefined ? 0 : varintLength(streamId);
  return 1 + id + varintLength(maxOffset) + varintLength(Math.max(0, room));
}

/**
 * Frames for one packet, encoded as they are added, never past `capacity` bytes.
 *
 * @internal
 */
export class PacketPayload {
  /** The most bytes the payload may take. */
  readonly capacity: number;
  /** What each added frame needs on acknowledgement or loss, in order. */
  readonly sent: SentFrame[] = [];
  readonly #writer: BufferWriter;
  #ackEliciting = false;
  #padded = false;
  #frames = 0;

  constructor(capacity: number) {
    this.capacity = Math.max(0, capacity);
    this.#writer = new BufferWriter(Math.min(this.capacity, 2048) + 16);
  }

  /** Bytes still free. */
  get room(): number {
    return this.capacity - this.#writer.length;
  }

  /** Bytes taken. */
  get length(): number {
    return this.#writer.length;
  }

  /** Whether any frame asks the peer for an acknowledgement (RFC 9000 §13.2). */
  get ackEliciting(): boolean {
    return this.#ackEliciting;
  }

  /** Whether PADDING was added: such a packet counts in flight even without other frames (RFC 9002 §2). */
  get hasPadding(): boolean {
    return this.#padded;
  }

  /** Whether no frame was added. */
  get isEmpty(): boolean {
    return this.#frames === 0;
  }

  /**
   * Appends `frame` if it fits, with `record` for loss detection; returns whether it was added.
   * Small frames are sized by encoding them aside first; data frames should use
   * `dataFrameOverhead` to pick a length that fits, so they are encoded once.
   */
  add(frame: Frame, record?: SentFrame): boolean {
    if (frame.type === "stream" || frame.type === "crypto") {
      const before = this.#writer.length;
      encodeFrame(this.#writer, frame);
      if (this.#writer.length > this.capacity)
        throw new RangeError(`a data frame of ${this.#writer.length - before} bytes overran its packet`);
      return this.#added(frame, record);
    }
    const scratch = new BufferWriter(32);
    encodeFrame(scratch, frame);
    if (scratch.length > this.room) return false;
    this.#writer.writeBytes(scratch.view());
    return this.#added(frame, record);
  }

  #added(frame: Frame, record: SentFrame | undefined): boolean {
    this.#frames++;
    if (record !== undefined) this.sent.push(record);
    if (frame.type !== "ack" && frame.type !== "padding" && frame.type !== "connectionClose")
      this.#ackEliciting = true;
    return true;
  }

  /** Appends `count` PADDING bytes, past `capacity` if asked: datagram padding is decided last. */
  pad(count: number): void {
    if (count <= 0) return;
    this.#writer.fill(0, count);
    this.#padded = true;
    this.#frames++;
  }

  /** The encoded frames. */
  bytes(): Uint8Array {
    return this.#writer.view();
  }
}
