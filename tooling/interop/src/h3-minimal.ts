/**
 * The least HTTP/3 (RFC 9114) and QPACK (RFC 9204) a GET needs, on top of any QUIC session with
 * streams: harness code for the QUIC interop tests, not nq's HTTP/3 layer.
 *
 * - The client's control stream (unidirectional, type 0x00) carries one SETTINGS frame with
 *   QPACK_MAX_TABLE_CAPACITY = 0 and QPACK_BLOCKED_STREAMS = 0, so the server may not use the
 *   dynamic table: field sections reference the static table and literals only, and the QPACK
 *   encoder and decoder streams stay empty. It is never closed (RFC 9114 §6.2.1).
 * - A request is one bidirectional stream: a HEADERS frame, then FIN. Its field section has
 *   Required Insert Count 0 and Base 0, and fields as static-table references or literals with
 *   a static name reference or a literal name, never Huffman-coded.
 * - The response's frames are read as they arrive: HEADERS (1xx, then final, then trailers) are
 *   decoded, including Huffman-coded strings; DATA goes straight into a SHA-256 and a byte count,
 *   so a 10 MiB body is never held; unknown and reserved (GREASE) frame types are skipped.
 * - Streams the server opens (control, QPACK encoder/decoder) are read to their end; the
 *   server's SETTINGS are kept for failure messages.
 *
 * @packageDocumentation
 */

import { createHash } from "node:crypto";
import { HuffmanDecodeError, huffmanDecode } from "./hpack-huffman.js";
import { QPACK_STATIC_TABLE } from "./qpack-static-table.js";

/** A stream as the minimal client uses it: write, end, and read chunks by async iteration. */
export interface H3Stream extends AsyncIterable<Uint8Array> {
  write(bytes: Uint8Array): Promise<void>;
  end(bytes?: Uint8Array): unknown;
}

/** The QUIC session the minimal client runs on. */
export interface H3QuicSession {
  openBidirectionalStream(): H3Stream | Promise<H3Stream>;
  openUnidirectionalStream(): H3Stream | Promise<H3Stream>;
  /** Streams the peer opened; for HTTP/3, the server's control and QPACK streams. */
  incomingStreams(): AsyncIterable<AsyncIterable<Uint8Array>>;
}

/** HTTP/3 frame types (RFC 9114 §7.2, §11.2.1). */
export const H3FrameType = {
  DATA: 0x00,
  HEADERS: 0x01,
  CANCEL_PUSH: 0x03,
  SETTINGS: 0x04,
  PUSH_PROMISE: 0x05,
  GOAWAY: 0x07,
  MAX_PUSH_ID: 0x0d,
} as const;

/** HTTP/2 frame types reserved in HTTP/3: receiving one is H3_FRAME_UNEXPECTED (RFC 9114 §7.2.8). */
const HTTP2_ONLY_FRAME_TYPES = new Set([0x02, 0x06, 0x08, 0x09]);

/** Unidirectional stream types (RFC 9114 §6.2, RFC 9204 §4.2). */
export const H3StreamType = { CONTROL: 0x00, PUSH: 0x01, QPACK_ENCODER: 0x02, QPACK_DECODER: 0x03 } as const;

/** The settings this client sends (RFC 9204 §5). */
export const H3Setting = {
  QPACK_MAX_TABLE_CAPACITY: 0x01,
  MAX_FIELD_SECTION_SIZE: 0x06,
  QPACK_BLOCKED_STREAMS: 0x07,
} as const;

/** An HTTP/3 or QPACK error the minimal client detected, with the RFC's error code name. */
export class H3Error extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.code = code;
  }
  static {
    Object.defineProperty(this.prototype, "name", { value: "H3Error" });
  }
}

// --- QUIC variable-length integers (RFC 9000 §16) ---------------------------------------------

/** Encodes a QUIC varint; `value` must be a safe non-negative integer below 2^62. */
export function encodeVarint(value: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`not a varint: ${value}`);
  if (value < 0x40) return Uint8Array.of(value);
  if (value < 0x4000) return Uint8Array.of(0x40 | (value >>> 8), value & 0xff);
  if (value < 0x4000_0000) {
    const out = new Uint8Array(4);
    new DataView(out.buffer).setUint32(0, value);
    out[0]! |= 0x80;
    return out;
  }
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(value));
  out[0]! |= 0xc0;
  return out;
}

/**
 * Reads a QUIC varint at `offset`, or returns `undefined` when `bytes` ends before it does.
 * Values above 2^53 lose precision: only (GREASE) frame and stream types get that large, and
 * those are compared with small known types and skipped.
 */
export function readVarint(bytes: Uint8Array, offset: number): { value: number; length: number } | undefined {
  if (offset >= bytes.length) return undefined;
  const first = bytes[offset]!;
  const length = 1 << (first >>> 6);
  if (offset + length > bytes.length) return undefined;
  let value = first & 0x3f;
  for (let i = 1; i < length; i++) value = value * 256 + bytes[offset + i]!;
  return { value, length };
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

// --- Frames (RFC 9114 §7.1) -------------------------------------------------------------------

/** A frame: type, length, payload. */
export function encodeFrame(type: number, payload: Uint8Array): Uint8Array {
  return concat([encodeVarint(type), encodeVarint(payload.length), payload]);
}

/** A SETTINGS payload from `[identifier, value]` pairs. */
export function encodeSettings(settings: readonly (readonly [number, number])[]): Uint8Array {
  return concat(settings.flatMap(([id, value]) => [encodeVarint(id), encodeVarint(value)]));
}

/** Decodes a SETTINGS payload; a duplicate identifier or a truncated pair is H3_SETTINGS_ERROR. */
export function decodeSettings(payload: Uint8Array): Map<number, number> {
  const settings = new Map<number, number>();
  for (let offset = 0; offset < payload.length; ) {
    const id = readVarint(payload, offset);
    const value = id && readVarint(payload, offset + id.length);
    if (!id || !value) throw new H3Error("H3_FRAME_ERROR", "truncated SETTINGS");
    if (settings.has(id.value))
      throw new H3Error("H3_SETTINGS_ERROR", `setting 0x${id.value.toString(16)} twice`);
    settings.set(id.value, value.value);
    offset += id.length + value.length;
  }
  return settings;
}

/** What a {@link FrameReader} found in the bytes pushed so far. */
export type FrameEvent =
  /** A whole frame of a type the reader buffers (every type but DATA and unknown ones). */
  | { readonly kind: "frame"; readonly type: number; readonly payload: Uint8Array }
  /** Some bytes of a DATA frame's payload, as they arrived; a zero-length DATA frame gives one empty event. */
  | { readonly kind: "data"; readonly bytes: Uint8Array }
  /** An unknown or reserved frame type, skipped without being buffered. */
  | { readonly kind: "skipped"; readonly type: number; readonly length: number };

/** Frame types whose payload the reader collects: the ones RFC 9114 defines, and HTTP/2's reserved types. */
const BUFFERED_TYPES = new Set<number>([
  ...Object.values(H3FrameType).filter((t) => t !== H3FrameType.DATA),
  ...HTTP2_ONLY_FRAME_TYPES,
]);

/**
 * Splits a stream's bytes into frames however the chunks fall: a frame header may straddle
 * chunks, DATA payloads are handed on as they arrive, other frames are collected whole (up to
 * `maxFrameLength`), unknown types are skipped.
 */
export class FrameReader {
  readonly #maxFrameLength: number;
  // The frame header collected so far (type and length varints: at most 16 bytes).
  readonly #header = new Uint8Array(16);
  #headerLength = 0;
  // The frame being read: its type (-1 between frames), what is left of its payload, and the
  // payload collected so far for a buffered type.
  #type = -1;
  #length = 0;
  #remaining = 0;
  #payload: Uint8Array | undefined;

  constructor(options: { maxFrameLength?: number } = {}) {
    this.#maxFrameLength = options.maxFrameLength ?? 1 << 20;
  }

  /** Feeds a chunk; returns the events it completes, in order. DATA events alias `chunk`. */
  push(chunk: Uint8Array): FrameEvent[] {
    const events: FrameEvent[] = [];
    let pos = 0;
    while (pos < chunk.length) {
      if (this.#type < 0) {
        const take = Math.min(this.#header.length - this.#headerLength, chunk.length - pos);
        this.#header.set(chunk.subarray(pos, pos + take), this.#headerLength);
        const available = this.#headerLength + take;
        const type = readVarint(this.#header.subarray(0, available), 0);
        const length = type && readVarint(this.#header.subarray(0, available), type.length);
        if (!type || !length) {
          this.#headerLength = available;
          pos += take;
          continue;
        }
        pos += type.length + length.length - this.#headerLength;
        this.#headerLength = 0;
        this.#start(type.value, length.value, events);
        continue;
      }
      const take = Math.min(this.#remaining, chunk.length - pos);
      const bytes = chunk.subarray(pos, pos + take);
      pos += take;
      this.#remaining -= take;
      if (this.#type === H3FrameType.DATA) events.push({ kind: "data", bytes });
      else if (this.#payload) this.#payload.set(bytes, this.#length - this.#remaining - take);
      if (this.#remaining === 0) this.#finish(events);
    }
    return events;
  }

  /** True between frames: the stream may end here. */
  get atFrameBoundary(): boolean {
    return this.#type < 0 && this.#headerLength === 0;
  }

  /** Call at the end of the stream: a frame cut short is H3_FRAME_ERROR (RFC 9114 §7.1). */
  end(): void {
    if (!this.atFrameBoundary) throw new H3Error("H3_FRAME_ERROR", "the stream ended inside a frame");
  }

  #start(type: number, length: number, events: FrameEvent[]): void {
    this.#type = type;
    this.#length = length;
    this.#remaining = length;
    if (BUFFERED_TYPES.has(type)) {
      if (length > this.#maxFrameLength)
        throw new H3Error("H3_EXCESSIVE_LOAD", `frame 0x${type.toString(16)} of ${length} bytes`);
      this.#payload = new Uint8Array(length);
    }
    if (type === H3FrameType.DATA && length === 0) events.push({ kind: "data", bytes: new Uint8Array(0) });
    if (length === 0) this.#finish(events);
  }

  #finish(events: FrameEvent[]): void {
    if (this.#payload) events.push({ kind: "frame", type: this.#type, payload: this.#payload });
    else if (this.#type !== H3FrameType.DATA)
      events.push({ kind: "skipped", type: this.#type, length: this.#length });
    this.#type = -1;
    this.#payload = undefined;
  }
}

// --- QPACK field sections (RFC 9204 §4.1.1, §4.5) ---------------------------------------------

/** An integer with an N-bit prefix (RFC 7541 §5.1), the prefix's other bits taken from `flags`. */
export function encodePrefixedInteger(value: number, prefixBits: number, flags = 0): number[] {
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

/** Reads an integer with an N-bit prefix at `offset`; a truncated or oversized one is a decompression failure. */
export function decodePrefixedInteger(
  bytes: Uint8Array,
  offset: number,
  prefixBits: number,
): { value: number; next: number } {
  const max = (1 << prefixBits) - 1;
  if (offset >= bytes.length) throw decompressionFailed("truncated integer");
  let value = bytes[offset]! & max;
  let next = offset + 1;
  if (value < max) return { value, next };
  for (let shift = 0; ; shift += 7) {
    if (next >= bytes.length) throw decompressionFailed("truncated integer");
    if (shift > 49) throw decompressionFailed("integer too large");
    const byte = bytes[next++]!;
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return { value, next };
  }
}

function decompressionFailed(message: string, cause?: unknown): H3Error {
  return new H3Error("QPACK_DECOMPRESSION_FAILED", message, cause === undefined ? undefined : { cause });
}

const utf8 = new TextEncoder();
const latin1 = new TextDecoder("latin1");

/** A string literal: its H bit at `huffmanFlag`, its length with an N-bit prefix, its bytes (never Huffman-coded here). */
function encodeString(text: string, prefixBits: number, flags = 0): number[] {
  const bytes = utf8.encode(text);
  return [...encodePrefixedInteger(bytes.length, prefixBits, flags), ...bytes];
}

/** Reads a string literal whose length has an N-bit prefix and whose H bit is the bit just above it. */
function decodeString(
  bytes: Uint8Array,
  offset: number,
  prefixBits: number,
): { value: string; next: number } {
  const huffman = (bytes[offset]! & (1 << prefixBits)) !== 0;
  const { value: length, next: start } = decodePrefixedInteger(bytes, offset, prefixBits);
  const end = start + length;
  if (end > bytes.length) throw decompressionFailed("truncated string literal");
  const raw = bytes.subarray(start, end);
  let decoded: Uint8Array;
  try {
    decoded = huffman ? huffmanDecode(raw) : raw;
  } catch (error) {
    if (error instanceof HuffmanDecodeError) throw decompressionFailed(error.message, error);
    throw error;
  }
  // Field values are octets; latin1 keeps each byte as one code unit, so nothing is lost.
  return { value: latin1.decode(decoded), next: end };
}

/** A field line: `[name, value]`, names lower-case. */
export type Field = readonly [name: string, value: string];

/**
 * Encodes a field section with Required Insert Count 0 and Base 0: a field the static table holds
 * whole is an indexed field line; one whose name it holds is a literal with that name reference;
 * anything else a literal with a literal name. No Huffman coding and no dynamic table.
 */
export function encodeFieldSection(fields: readonly Field[]): Uint8Array {
  const out: number[] = [0x00, 0x00];
  for (const [name, value] of fields) {
    const whole = QPACK_STATIC_TABLE.findIndex(([n, v]) => n === name && v === value);
    if (whole >= 0) {
      // 1 T=1 index(6+): Indexed Field Line, static.
      out.push(...encodePrefixedInteger(whole, 6, 0xc0));
      continue;
    }
    const named = QPACK_STATIC_TABLE.findIndex(([n]) => n === name);
    if (named >= 0) {
      // 01 N=0 T=1 index(4+), then H=0 length(7+) value: Literal Field Line with Name Reference.
      out.push(...encodePrefixedInteger(named, 4, 0x50), ...encodeString(value, 7));
    } else {
      // 001 N=0 H=0 length(3+) name, then H=0 length(7+) value: Literal Field Line with Literal Name.
      out.push(...encodeString(name, 3, 0x20), ...encodeString(value, 7));
    }
  }
  return Uint8Array.from(out);
}

/**
 * Decodes a field section that uses only the static table, as a server must when told the
 * table capacity is 0. A dynamic reference, a non-zero Required Insert Count or malformed bytes
 * are QPACK_DECOMPRESSION_FAILED (RFC 9204 §2.2.3).
 */
export function decodeFieldSection(bytes: Uint8Array): Field[] {
  const ric = decodePrefixedInteger(bytes, 0, 8);
  if (ric.value !== 0) throw decompressionFailed(`Required Insert Count ${ric.value} with no dynamic table`);
  // Sign bit and Delta Base: without a dynamic table the Base means nothing, but it must be there.
  let offset = decodePrefixedInteger(bytes, ric.next, 7).next;
  const fields: Field[] = [];
  const staticEntry = (index: number): readonly [string, string] => {
    const entry = QPACK_STATIC_TABLE[index];
    if (!entry) throw decompressionFailed(`static index ${index} out of range`);
    return entry;
  };
  while (offset < bytes.length) {
    const first = bytes[offset]!;
    if (first & 0x80) {
      // 1 T index(6+): Indexed Field Line.
      if ((first & 0x40) === 0) throw decompressionFailed("dynamic table reference");
      const index = decodePrefixedInteger(bytes, offset, 6);
      fields.push(staticEntry(index.value));
      offset = index.next;
    } else if (first & 0x40) {
      // 01 N T index(4+), then H length(7+) value: Literal Field Line with Name Reference.
      if ((first & 0x10) === 0) throw decompressionFailed("dynamic table name reference");
      const index = decodePrefixedInteger(bytes, offset, 4);
      const value = decodeString(bytes, index.next, 7);
      fields.push([staticEntry(index.value)[0], value.value]);
      offset = value.next;
    } else if (first & 0x20) {
      // 001 N H length(3+) name, then H length(7+) value: Literal Field Line with Literal Name.
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

// --- The client ---------------------------------------------------------------------------------

/** A response as the minimal client saw it. */
export interface H3Response {
  readonly status: number;
  /** The final field section, `:status` included, in the order received. */
  readonly headers: Field[];
  /** The statuses of interim (1xx) responses before it. */
  readonly informational: number[];
  /** Trailer fields, when a HEADERS frame followed the body. */
  readonly trailers: Field[];
  readonly bodyLength: number;
  /** SHA-256 of the body, lower-case hex. */
  readonly sha256: string;
  /** The first KiB of the body, for failure messages. */
  readonly bodyHead: Uint8Array;
  /** Unknown or reserved frame types skipped on the request stream. */
  readonly skippedFrames: number[];
  /** Milliseconds from opening the request stream to the final HEADERS, and to the body's end. */
  readonly timing: { readonly headersMs: number; readonly totalMs: number };
}

/** Options of {@link MinimalH3Client.get}. */
export interface H3GetOptions {
  /** More request fields after the pseudo-header fields; names are sent lower-cased. */
  readonly headers?: readonly Field[];
}

/** The minimal HTTP/3 client: one control stream, then GETs, each on its own request stream. */
export class MinimalH3Client {
  readonly #session: H3QuicSession;
  readonly #authority: string;
  #peerSettings: Map<number, number> | undefined;
  readonly #peerStreamTypes: number[] = [];
  readonly #backgroundErrors: unknown[] = [];

  private constructor(session: H3QuicSession, authority: string) {
    this.#session = session;
    this.#authority = authority;
  }

  /**
   * Opens the control stream with SETTINGS and starts reading the streams the server opens.
   * `authority` is the `:authority` of every request, e.g. `localhost:4433`.
   */
  static async open(session: H3QuicSession, options: { authority: string }): Promise<MinimalH3Client> {
    const client = new MinimalH3Client(session, options.authority);
    const control = await session.openUnidirectionalStream();
    const settings = encodeSettings([
      [H3Setting.QPACK_MAX_TABLE_CAPACITY, 0],
      [H3Setting.QPACK_BLOCKED_STREAMS, 0],
    ]);
    await control.write(
      concat([encodeVarint(H3StreamType.CONTROL), encodeFrame(H3FrameType.SETTINGS, settings)]),
    );
    void client.#acceptPeerStreams();
    return client;
  }

  /** The server's SETTINGS, once its control stream delivered them. */
  get peerSettings(): ReadonlyMap<number, number> | undefined {
    return this.#peerSettings;
  }

  /** The types of the unidirectional streams the server opened so far. */
  get peerStreamTypes(): readonly number[] {
    return this.#peerStreamTypes;
  }

  /** Errors while reading the server's streams (they usually end with the connection). */
  get backgroundErrors(): readonly unknown[] {
    return this.#backgroundErrors;
  }

  /**
   * GETs `path` (`https`, the client's authority) and resolves once the response stream ended:
   * with the status, fields, body length and SHA-256. An HTTP/3 or QPACK violation rejects
   * with `H3Error`; a stream or connection failure rejects with what the QUIC session threw.
   */
  async get(path: string, options: H3GetOptions = {}): Promise<H3Response> {
    const started = performance.now();
    const stream = await this.#session.openBidirectionalStream();
    const fields: Field[] = [
      [":method", "GET"],
      [":scheme", "https"],
      [":authority", this.#authority],
      [":path", path],
      ...(options.headers ?? []).map(([n, v]): Field => [n.toLowerCase(), v]),
    ];
    await stream.end(encodeFrame(H3FrameType.HEADERS, encodeFieldSection(fields)));

    const reader = new FrameReader();
    const hash = createHash("sha256");
    const head: Uint8Array[] = [];
    let headLength = 0;
    let bodyLength = 0;
    let final: Field[] | undefined;
    let trailers: Field[] = [];
    let status = 0;
    let headersMs = 0;
    const informational: number[] = [];
    const skippedFrames: number[] = [];
    let state: "headers" | "body" | "trailers" = "headers";

    for await (const chunk of stream) {
      for (const event of reader.push(chunk)) {
        if (event.kind === "skipped") {
          skippedFrames.push(event.type);
        } else if (event.kind === "data") {
          if (state !== "body") throw new H3Error("H3_FRAME_UNEXPECTED", `DATA in state ${state}`);
          hash.update(event.bytes);
          bodyLength += event.bytes.length;
          if (headLength < 1024) {
            const part = event.bytes.subarray(0, 1024 - headLength);
            head.push(Uint8Array.from(part));
            headLength += part.length;
          }
        } else if (event.type === H3FrameType.HEADERS) {
          const section = decodeFieldSection(event.payload);
          if (state === "headers") {
            const code = statusOf(section);
            if (code >= 100 && code < 200) informational.push(code);
            else {
              final = section;
              status = code;
              headersMs = performance.now() - started;
              state = "body";
            }
          } else if (state === "body") {
            trailers = section;
            state = "trailers";
          } else {
            throw new H3Error("H3_FRAME_UNEXPECTED", "HEADERS after the trailers");
          }
        } else {
          // SETTINGS, GOAWAY, MAX_PUSH_ID, CANCEL_PUSH belong on the control stream; PUSH_PROMISE
          // needs a MAX_PUSH_ID this client never sends; HTTP/2's types do not exist here.
          throw new H3Error("H3_FRAME_UNEXPECTED", `frame 0x${event.type.toString(16)} on a request stream`);
        }
      }
    }
    reader.end();
    if (final === undefined)
      throw new H3Error("H3_MESSAGE_ERROR", "the request stream ended without a response");
    return {
      status,
      headers: final,
      informational,
      trailers,
      bodyLength,
      sha256: hash.digest("hex"),
      bodyHead: concat(head),
      skippedFrames,
      timing: { headersMs, totalMs: performance.now() - started },
    };
  }

  async #acceptPeerStreams(): Promise<void> {
    try {
      for await (const stream of this.#session.incomingStreams()) void this.#readPeerStream(stream);
    } catch (error) {
      this.#backgroundErrors.push(error);
    }
  }

  // Reads a server-opened unidirectional stream to its end: its type first, then, for the
  // control stream, frames (the first must be SETTINGS, RFC 9114 §6.2.1); other types are drained.
  async #readPeerStream(stream: AsyncIterable<Uint8Array>): Promise<void> {
    let prefix: Uint8Array = new Uint8Array(0);
    let type: number | undefined;
    const reader = new FrameReader();
    try {
      for await (const chunk of stream) {
        let rest: Uint8Array = chunk;
        if (type === undefined) {
          prefix = concat([prefix, chunk]);
          const varint = readVarint(prefix, 0);
          if (!varint) continue;
          type = varint.value;
          this.#peerStreamTypes.push(type);
          rest = prefix.subarray(varint.length);
        }
        if (type !== H3StreamType.CONTROL) continue;
        for (const event of reader.push(rest)) {
          if (event.kind === "frame" && event.type === H3FrameType.SETTINGS && !this.#peerSettings)
            this.#peerSettings = decodeSettings(event.payload);
        }
      }
    } catch (error) {
      this.#backgroundErrors.push(error);
    }
  }
}

function statusOf(section: readonly Field[]): number {
  const field = section.find(([name]) => name === ":status");
  const status = Number(field?.[1]);
  if (!field || !/^\d{3}$/.test(field[1])) throw new H3Error("H3_MESSAGE_ERROR", `bad :status ${field?.[1]}`);
  return status;
}
