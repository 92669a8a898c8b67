/**
 * HTTP/3 frames (RFC 9114 §7): the frame and stream types, SETTINGS, and `FrameReader`, which
 * splits a stream's bytes into frames however the chunks fall.
 *
 * Every frame is a type varint, a length varint and a payload. The reader hands DATA payloads on
 * as they arrive, so a large body is never held whole; it collects the other frames RFC 9114
 * defines (up to a limit) and skips unknown and reserved (GREASE) types without buffering them.
 *
 * @packageDocumentation
 */

import { encodeVarint, readVarint } from "../quic/index.js";
import { H3Error, H3ErrorCode } from "./errors.js";

/**
 * The HTTP/3 frame types (RFC 9114 §7.2, §11.2.1).
 *
 * @alpha
 */
export const H3FrameType = {
  DATA: 0x00,
  HEADERS: 0x01,
  CANCEL_PUSH: 0x03,
  SETTINGS: 0x04,
  PUSH_PROMISE: 0x05,
  GOAWAY: 0x07,
  MAX_PUSH_ID: 0x0d,
} as const;

/**
 * The frame types HTTP/2 defines and HTTP/3 reserves: receiving one is H3_FRAME_UNEXPECTED (RFC 9114 §7.2.8).
 *
 * @alpha
 */
export const HTTP2_ONLY_FRAME_TYPES: ReadonlySet<number> = new Set([0x02, 0x06, 0x08, 0x09]);

/**
 * The unidirectional stream types of RFC 9114 §6.2 and RFC 9204 §4.2.
 *
 * @alpha
 */
export const H3StreamType = { CONTROL: 0x00, PUSH: 0x01, QPACK_ENCODER: 0x02, QPACK_DECODER: 0x03 } as const;

/**
 * The setting identifiers this client knows (RFC 9114 §7.2.4.1, RFC 9204 §5).
 *
 * @alpha
 */
export const H3SettingId = {
  QPACK_MAX_TABLE_CAPACITY: 0x01,
  MAX_FIELD_SECTION_SIZE: 0x06,
  QPACK_BLOCKED_STREAMS: 0x07,
} as const;

// HTTP/2's SETTINGS_ENABLE_PUSH, MAX_CONCURRENT_STREAMS, INITIAL_WINDOW_SIZE and MAX_FRAME_SIZE
// are reserved in HTTP/3; receiving one is H3_SETTINGS_ERROR (RFC 9114 §7.2.4.1).
const HTTP2_ONLY_SETTINGS = new Set([0x02, 0x03, 0x04, 0x05]);

/** Joins byte arrays into one. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * A frame: its type, its payload's length and the payload (RFC 9114 §7.1).
 *
 * @alpha
 */
export function encodeH3Frame(type: number, payload: Uint8Array): Uint8Array {
  return concatBytes([encodeVarint(type), encodeVarint(payload.length), payload]);
}

/**
 * A SETTINGS payload from `[identifier, value]` pairs, in the order given.
 *
 * @alpha
 */
export function encodeSettings(settings: readonly (readonly [id: number, value: number])[]): Uint8Array {
  return concatBytes(settings.flatMap(([id, value]) => [encodeVarint(id), encodeVarint(value)]));
}

/**
 * Decodes a SETTINGS payload: a truncated pair is H3_FRAME_ERROR, a repeated or HTTP/2-only identifier H3_SETTINGS_ERROR.
 *
 * @alpha
 */
export function decodeSettings(payload: Uint8Array): Map<number, number> {
  const settings = new Map<number, number>();
  for (let offset = 0; offset < payload.length; ) {
    const id = readVarint(payload, offset);
    const value = id && readVarint(payload, offset + id.length);
    if (!id || !value) throw new H3Error(H3ErrorCode.H3_FRAME_ERROR, "truncated SETTINGS frame");
    if (HTTP2_ONLY_SETTINGS.has(id.value))
      throw new H3Error(H3ErrorCode.H3_SETTINGS_ERROR, `HTTP/2 setting 0x${id.value.toString(16)}`);
    if (settings.has(id.value))
      throw new H3Error(H3ErrorCode.H3_SETTINGS_ERROR, `setting 0x${id.value.toString(16)} sent twice`);
    settings.set(id.value, value.value);
    offset += id.length + value.length;
  }
  return settings;
}

/**
 * Decodes a GOAWAY payload, one varint (RFC 9114 §7.2.6); anything else is H3_FRAME_ERROR.
 *
 * @alpha
 */
export function decodeGoaway(payload: Uint8Array): number {
  const id = readVarint(payload, 0);
  if (!id || id.length !== payload.length) throw new H3Error(H3ErrorCode.H3_FRAME_ERROR, "malformed GOAWAY");
  return id.value;
}

/**
 * What a `FrameReader` found in the bytes pushed so far.
 *
 * @alpha
 */
export type FrameEvent =
  /** A whole frame of a type the reader collects: every type but DATA and unknown ones. */
  | { readonly kind: "frame"; readonly type: number; readonly payload: Uint8Array }
  /** Bytes of a DATA frame's payload as they arrived; a zero-length DATA frame gives one empty event. */
  | { readonly kind: "data"; readonly bytes: Uint8Array }
  /** An unknown or reserved frame type, skipped without being buffered. */
  | { readonly kind: "skipped"; readonly type: number; readonly length: number };

/**
 * Options of `FrameReader`.
 *
 * @alpha
 */
export interface FrameReaderOptions {
  /** The largest payload collected for a frame other than DATA, in bytes; 1 MiB unless given. */
  readonly maxFrameLength?: number | undefined;
}

// The frame types whose payload the reader collects: the ones RFC 9114 defines besides DATA,
// and HTTP/2's reserved types, so the caller can refuse them by type.
const COLLECTED_TYPES = new Set<number>([
  ...Object.values(H3FrameType).filter((type) => type !== H3FrameType.DATA),
  ...HTTP2_ONLY_FRAME_TYPES,
]);

// The longest frame header: an 8-byte type varint and an 8-byte length varint.
const MAX_HEADER_LENGTH = 16;
const NO_FRAME = -1;

/**
 * Splits one stream's bytes into frames, whatever the chunk boundaries, without copying DATA.
 *
 * @alpha
 */
export class FrameReader {
  readonly #maxFrameLength: number;
  // The frame header collected so far, when it straddles chunks.
  readonly #header = new Uint8Array(MAX_HEADER_LENGTH);
  #headerLength = 0;
  // The frame being read (NO_FRAME between frames), its length, what is left of its payload, and
  // the payload collected so far for a collected type.
  #type = NO_FRAME;
  #length = 0;
  #remaining = 0;
  #payload: Uint8Array | undefined;

  /** A reader for one stream, collecting non-DATA frames up to `maxFrameLength` bytes. */
  constructor(options: FrameReaderOptions = {}) {
    this.#maxFrameLength = options.maxFrameLength ?? 1 << 20;
  }

  /** Feeds the next chunk of the stream and returns the events it completes, in order; DATA events are views of `chunk`. */
  push(chunk: Uint8Array): FrameEvent[] {
    const events: FrameEvent[] = [];
    let position = 0;
    while (position < chunk.length) {
      if (this.#type === NO_FRAME) {
        const take = Math.min(MAX_HEADER_LENGTH - this.#headerLength, chunk.length - position);
        this.#header.set(chunk.subarray(position, position + take), this.#headerLength);
        const available = this.#headerLength + take;
        const type = readVarint(this.#header, 0, available);
        const length = type && readVarint(this.#header, type.length, available);
        if (!type || !length) {
          // Only possible when the chunk ran out: 16 bytes always hold a whole header.
          this.#headerLength = available;
          position += take;
          continue;
        }
        position += type.length + length.length - this.#headerLength;
        this.#headerLength = 0;
        this.#start(type.value, length.value, events);
        continue;
      }
      const take = Math.min(this.#remaining, chunk.length - position);
      const bytes = chunk.subarray(position, position + take);
      if (this.#type === H3FrameType.DATA) events.push({ kind: "data", bytes });
      else this.#payload?.set(bytes, this.#length - this.#remaining);
      position += take;
      this.#remaining -= take;
      if (this.#remaining === 0) this.#finish(events);
    }
    return events;
  }

  /** Whether the reader is between frames, where the stream may end. */
  get atFrameBoundary(): boolean {
    return this.#type === NO_FRAME && this.#headerLength === 0;
  }

  /** Checks the end of the stream: one cut inside a frame is H3_FRAME_ERROR (RFC 9114 §7.1). */
  end(): void {
    if (!this.atFrameBoundary)
      throw new H3Error(H3ErrorCode.H3_FRAME_ERROR, "the stream ended inside a frame");
  }

  #start(type: number, length: number, events: FrameEvent[]): void {
    this.#type = type;
    this.#length = length;
    this.#remaining = length;
    if (COLLECTED_TYPES.has(type)) {
      if (length > this.#maxFrameLength)
        throw new H3Error(
          H3ErrorCode.H3_EXCESSIVE_LOAD,
          `frame 0x${type.toString(16)} of ${length} bytes, above the limit of ${this.#maxFrameLength}`,
        );
      this.#payload = new Uint8Array(length);
    }
    if (length === 0) {
      if (type === H3FrameType.DATA) events.push({ kind: "data", bytes: new Uint8Array(0) });
      this.#finish(events);
    }
  }

  #finish(events: FrameEvent[]): void {
    if (this.#payload) events.push({ kind: "frame", type: this.#type, payload: this.#payload });
    else if (this.#type !== H3FrameType.DATA)
      events.push({ kind: "skipped", type: this.#type, length: this.#length });
    this.#type = NO_FRAME;
    this.#payload = undefined;
  }
}
