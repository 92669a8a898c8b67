/**
 * A QUIC session stand-in for the HTTP/3 client's tests: what the client writes is recorded,
 * and each request stream answers with scripted bytes in small chunks.
 *
 * @packageDocumentation
 */

import { encodeVarint, readVarint } from "../../quic/index.js";
import { decodeFieldSection, type H3Field } from "../field-section.js";
import { encodeH3Frame, encodeSettings, H3FrameType, H3StreamType } from "../frames.js";
import type { H3QuicSession, H3Stream } from "../minimal-client.js";

const cat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(Buffer.concat(parts));

/** A server's control stream: its type, SETTINGS with MAX_FIELD_SECTION_SIZE, then `frames`. */
export function serverControlStream(...frames: Uint8Array[]): Uint8Array {
  return cat(
    encodeVarint(H3StreamType.CONTROL),
    encodeH3Frame(H3FrameType.SETTINGS, encodeSettings([[0x06, 65536]])),
    ...frames,
  );
}

/**
 * A QUIC session stand-in. Request streams answer with `reply(request bytes)` cut into small
 * chunks, then FIN. The server's unidirectional streams deliver their bytes and stay open until
 * the session closes, as a real server's control and QPACK streams do.
 */
export class FakeQuicSession implements H3QuicSession {
  readonly uni: FakeQuicStream[] = [];
  readonly bidi: FakeQuicStream[] = [];
  closedWith: { code: number; reason: string } | undefined;
  readonly #closed: Promise<never>;
  #close!: (error: Error) => void;

  constructor(
    readonly reply: (request: Uint8Array) => Uint8Array,
    readonly peerStreams: readonly Uint8Array[] = [serverControlStream(), encodeVarint(2), encodeVarint(3)],
  ) {
    this.#closed = new Promise<never>((_, reject) => {
      this.#close = reject;
    });
    this.#closed.catch(() => {});
  }

  async openUnidirectionalStream(): Promise<H3Stream> {
    const stream = new FakeQuicStream(() => new Uint8Array(0));
    this.uni.push(stream);
    return stream;
  }

  async openBidirectionalStream(): Promise<H3Stream> {
    const stream = new FakeQuicStream(this.reply);
    this.bidi.push(stream);
    return stream;
  }

  async *incomingStreams(): AsyncIterable<AsyncIterable<Uint8Array>> {
    for (const bytes of this.peerStreams) yield new FakeQuicStream(() => bytes, 1, this.#closed);
    await this.#closed.catch(() => {});
  }

  async close(code: number, reason: string): Promise<void> {
    this.closedWith ??= { code, reason };
    this.#close(new Error("the connection is closed"));
  }

  /** The fields of the n-th request's HEADERS frame. */
  request(n = 0): H3Field[] {
    const bytes = cat(...(this.bidi[n]?.written ?? []));
    if (bytes[0] !== H3FrameType.HEADERS) throw new Error(`request ${n} does not start with HEADERS`);
    const length = readVarint(bytes, 1);
    if (length === undefined) throw new Error(`request ${n} is cut short`);
    return decodeFieldSection(bytes.subarray(1 + length.length, 1 + length.length + length.value));
  }
}

export class FakeQuicStream implements H3Stream {
  readonly written: Uint8Array[] = [];
  ended = false;
  stopSendingCode: number | undefined;
  constructor(
    private readonly reply: (request: Uint8Array) => Uint8Array,
    private readonly chunkSize = 5,
    private readonly stayOpen?: Promise<never>,
  ) {}
  async write(bytes: Uint8Array): Promise<void> {
    this.written.push(Uint8Array.from(bytes));
  }
  async end(bytes?: Uint8Array): Promise<void> {
    if (bytes) this.written.push(Uint8Array.from(bytes));
    this.ended = true;
  }
  stopSending(code: number): void {
    this.stopSendingCode = code;
  }
  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    const response = this.reply(cat(...this.written));
    for (let i = 0; i < response.length; i += this.chunkSize) yield response.subarray(i, i + this.chunkSize);
    if (this.stayOpen) await this.stayOpen;
  }
}
