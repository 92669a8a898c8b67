/**
 * A minimal HTTP/3 client (RFC 9114) on a QUIC session: GET and HEAD requests with the response
 * body streamed as it arrives. It is the seed of nq's HTTP/3 transport, not that transport yet.
 *
 * - The client's control stream carries one SETTINGS frame with QPACK_MAX_TABLE_CAPACITY = 0 and
 *   QPACK_BLOCKED_STREAMS = 0, so the server may not use the QPACK dynamic table: field sections
 *   reference the static table or spell fields out, and the QPACK streams stay empty. The
 *   control stream stays open for the connection's life (RFC 9114 §6.2.1).
 * - A request is one bidirectional stream: a HEADERS frame, then FIN. No request body.
 * - A response is read frame by frame: interim (1xx) HEADERS, the final HEADERS, DATA handed to
 *   the caller as it arrives, optional trailers. Unknown and reserved (GREASE) frame types are
 *   skipped. Server push is never enabled (no MAX_PUSH_ID is sent).
 * - The streams the server opens are read as they come: its control stream for SETTINGS and
 *   GOAWAY, its QPACK streams drained.
 *
 * Errors. Malformed input from the server rejects with `H3Error`. A stream error
 * (H3_MESSAGE_ERROR: a malformed response; H3_EXCESSIVE_LOAD: a frame above the limit) stops
 * reading that stream with STOP_SENDING. Any other code is a connection error: the client
 * closes the session with it, and later requests reject with the same error. A failure of the
 * QUIC stream or connection itself (a reset, a timeout) rejects with what the session threw.
 *
 * @packageDocumentation
 */

import { readVarint } from "../quic/index.js";
import { H3Error, H3ErrorCode } from "./errors.js";
import { decodeFieldSection, encodeFieldSection, type H3Field } from "./field-section.js";
import {
  concatBytes,
  decodeGoaway,
  decodeSettings,
  encodeH3Frame,
  encodeSettings,
  type FrameEvent,
  FrameReader,
  H3FrameType,
  H3SettingId,
  H3StreamType,
} from "./frames.js";

/**
 * A QUIC stream as the HTTP/3 client uses it; `quic.QuicStream` is one.
 *
 * @alpha
 */
export interface H3Stream extends AsyncIterable<Uint8Array> {
  /** Queues bytes to send. */
  write(bytes: Uint8Array): Promise<void>;
  /** Queues `bytes` if given, then the FIN. */
  end(bytes?: Uint8Array): Promise<void>;
  /** Asks the peer to stop sending, with an application error code. */
  stopSending?(code: number): void;
}

/**
 * The QUIC session the HTTP/3 client runs on; `quic.QuicSession` is one.
 *
 * @alpha
 */
export interface H3QuicSession {
  /** Opens a bidirectional stream for a request. */
  openBidirectionalStream(): Promise<H3Stream>;
  /** Opens a unidirectional stream, for the control stream. */
  openUnidirectionalStream(): Promise<H3Stream>;
  /** The streams the peer opens: for HTTP/3, the server's control and QPACK streams. */
  incomingStreams(): AsyncIterable<AsyncIterable<Uint8Array>>;
  /** Closes the connection with an application error code. */
  close?(code: number, reason: string): Promise<void>;
}

/**
 * Options of `MinimalH3Client.open`.
 *
 * @alpha
 */
export interface MinimalH3ClientOptions {
  /** The `:authority` of every request, e.g. `localhost:4433`. */
  readonly authority: string;
  /** The largest HEADERS frame accepted, in bytes; 1 MiB unless given. Above it: H3_EXCESSIVE_LOAD. */
  readonly maxHeadersFrameLength?: number | undefined;
}

/**
 * A request: a GET or HEAD of `path` on the client's authority over `https`.
 *
 * @alpha
 */
export interface H3RequestOptions {
  /** `GET` unless given. */
  readonly method?: "GET" | "HEAD" | undefined;
  /** The `:path`, e.g. `/index.html?q=1`. */
  readonly path: string;
  /** More request fields after the pseudo-header fields, with lower-case names. */
  readonly headers?: readonly H3Field[] | undefined;
}

/**
 * An interim (1xx) response that came before the final one.
 *
 * @alpha
 */
export interface H3InformationalResponse {
  /** Its status, 100–199. */
  readonly status: number;
  /** Its fields, without `:status`. */
  readonly headers: readonly H3Field[];
}

/**
 * A response whose final HEADERS arrived; the body follows as it is read.
 *
 * @alpha
 */
export interface H3Response {
  /** The final status, 200–599. */
  readonly status: number;
  /** The final response's fields, without `:status`, in the order received. */
  readonly headers: readonly H3Field[];
  /** The interim responses before it. */
  readonly informational: readonly H3InformationalResponse[];
  /** The body, chunk by chunk as DATA frames arrive; iterate it once, and leaving early cancels the rest. */
  readonly body: AsyncIterable<Uint8Array>;
  /** Reads the whole body into one array. */
  bytes(): Promise<Uint8Array>;
  /** Stops reading the body: STOP_SENDING with H3_REQUEST_CANCELLED. */
  cancel(): void;
  /** The trailer fields, once the body has been read to its end. */
  readonly trailers: readonly H3Field[];
  /** The unknown or reserved frame types skipped on the request stream so far. */
  readonly skippedFrameTypes: readonly number[];
}

// Stream errors end one request; every other code ends the connection (RFC 9114 §8).
const STREAM_ERRORS = new Set<number>([
  H3ErrorCode.H3_MESSAGE_ERROR,
  H3ErrorCode.H3_EXCESSIVE_LOAD,
  H3ErrorCode.H3_REQUEST_CANCELLED,
]);

// Connection-specific fields have no place in HTTP/3 (RFC 9114 §4.2); `te` may only say "trailers".
const CONNECTION_SPECIFIC = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
]);
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
const FORBIDDEN_IN_VALUE = /[\0\r\n]/;

function unexpected(message: string): H3Error {
  return new H3Error(H3ErrorCode.H3_FRAME_UNEXPECTED, message);
}

function malformed(message: string): H3Error {
  return new H3Error(H3ErrorCode.H3_MESSAGE_ERROR, message);
}

function frameName(type: number): string {
  const name = Object.entries(H3FrameType).find(([, value]) => value === type)?.[0];
  return name ?? `frame 0x${type.toString(16)}`;
}

/** The request's field lines; a mistake in them is the caller's, so a TypeError. */
function requestFields(authority: string, options: H3RequestOptions): H3Field[] {
  const method = options.method ?? "GET";
  if (method !== "GET" && method !== "HEAD") throw new TypeError(`unsupported method ${String(method)}`);
  if (!options.path.startsWith("/")) throw new TypeError(`:path must start with "/": ${options.path}`);
  const fields: H3Field[] = [
    [":method", method],
    [":scheme", "https"],
    [":authority", authority],
    [":path", options.path],
  ];
  for (const [name, value] of options.headers ?? []) {
    if (!TOKEN.test(name)) throw new TypeError(`not a lower-case field name: ${JSON.stringify(name)}`);
    if (CONNECTION_SPECIFIC.has(name) || (name === "te" && value !== "trailers"))
      throw new TypeError(`${name} is connection-specific, which HTTP/3 forbids`);
    if (FORBIDDEN_IN_VALUE.test(value)) throw new TypeError(`the value of ${name} holds NUL, CR or LF`);
    fields.push([name, value]);
  }
  return fields;
}

/** Checks the regular fields of a response or its trailers (RFC 9114 §4.2, §4.3). */
function checkFields(fields: readonly H3Field[], what: string): void {
  for (const [name] of fields) {
    if (name.startsWith(":")) throw malformed(`pseudo-header field ${name} in ${what}`);
    if (name !== name.toLowerCase()) throw malformed(`upper-case field name ${name} in ${what}`);
    if (CONNECTION_SPECIFIC.has(name)) throw malformed(`connection-specific field ${name} in ${what}`);
  }
}

/** Splits a response field section into its status and regular fields (RFC 9114 §4.3.2). */
function responseHead(section: readonly H3Field[]): { status: number; headers: H3Field[] } {
  const [first, ...rest] = section;
  if (first === undefined || first[0] !== ":status") throw malformed("a response without :status first");
  if (!/^[1-5]\d\d$/.test(first[1])) throw malformed(`:status ${JSON.stringify(first[1])}`);
  checkFields(rest, "a response");
  return { status: Number(first[1]), headers: rest };
}

/** The declared content length, or undefined when there is none (RFC 9110 §8.6). */
function contentLength(headers: readonly H3Field[]): number | undefined {
  let length: number | undefined;
  for (const [name, value] of headers) {
    if (name !== "content-length") continue;
    for (const part of value.split(",")) {
      const text = part.trim();
      if (!/^\d{1,15}$/.test(text)) throw malformed(`content-length ${JSON.stringify(value)}`);
      if (length !== undefined && Number(text) !== length)
        throw malformed("conflicting content-length values");
      length = Number(text);
    }
  }
  return length;
}

/** The frames of one request stream, one event at a time. */
class RequestStreamReader {
  readonly #source: AsyncIterator<Uint8Array>;
  readonly #frames: FrameReader;
  #events: FrameEvent[] = [];
  #index = 0;

  constructor(stream: H3Stream, maxFrameLength: number | undefined) {
    this.#source = stream[Symbol.asyncIterator]();
    this.#frames = new FrameReader({ maxFrameLength });
  }

  /** The next frame event, or undefined at the end of the stream (which must fall between frames). */
  async next(): Promise<FrameEvent | undefined> {
    while (this.#index >= this.#events.length) {
      const chunk = await this.#source.next();
      if (chunk.done) {
        this.#frames.end();
        return undefined;
      }
      this.#events = this.#frames.push(chunk.value);
      this.#index = 0;
    }
    return this.#events[this.#index++];
  }
}

/** What a response needs from its client. */
interface ResponseContext {
  readonly stream: H3Stream;
  readonly reader: RequestStreamReader;
  readonly method: "GET" | "HEAD";
  /** Reports a failure the way the client does (stop the stream, or close the connection). */
  readonly fail: (error: unknown) => unknown;
}

class MinimalH3Response implements H3Response {
  readonly status: number;
  readonly headers: readonly H3Field[];
  readonly informational: readonly H3InformationalResponse[];
  readonly #skipped: number[];
  readonly #context: ResponseContext;
  readonly #expectedLength: number | undefined;
  readonly #bodyless: boolean;
  #trailers: readonly H3Field[] = [];
  #reading = false;
  #finished = false;

  constructor(
    head: { status: number; headers: H3Field[] },
    informational: H3InformationalResponse[],
    skipped: number[],
    context: ResponseContext,
  ) {
    this.status = head.status;
    this.headers = head.headers;
    this.informational = informational;
    this.#skipped = skipped;
    this.#context = context;
    // A response to HEAD, a 204 and a 304 have no content, whatever content-length says (RFC 9110 §6.4.1).
    this.#bodyless = context.method === "HEAD" || head.status === 204 || head.status === 304;
    this.#expectedLength = this.#bodyless ? undefined : contentLength(head.headers);
  }

  get trailers(): readonly H3Field[] {
    return this.#trailers;
  }

  get skippedFrameTypes(): readonly number[] {
    return this.#skipped;
  }

  get body(): AsyncIterable<Uint8Array> {
    return { [Symbol.asyncIterator]: () => this.#read() };
  }

  async bytes(): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    for await (const part of this.body) parts.push(part);
    return concatBytes(parts);
  }

  cancel(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#context.stream.stopSending?.(H3ErrorCode.H3_REQUEST_CANCELLED);
  }

  async *#read(): AsyncGenerator<Uint8Array, void, undefined> {
    if (this.#reading) throw new TypeError("the response body is already being read");
    this.#reading = true;
    const { reader } = this.#context;
    let received = 0;
    let trailersSeen = false;
    try {
      for (;;) {
        if (this.#finished) return;
        const event = await reader.next();
        if (event === undefined) {
          if (this.#expectedLength !== undefined && received !== this.#expectedLength)
            throw malformed(`content-length ${this.#expectedLength}, but ${received} bytes of content`);
          this.#finished = true;
          return;
        }
        if (event.kind === "skipped") {
          this.#skipped.push(event.type);
        } else if (event.kind === "data") {
          if (trailersSeen) throw unexpected("DATA after the trailers");
          if (event.bytes.length === 0) continue;
          received += event.bytes.length;
          if (this.#bodyless)
            throw malformed(`content in a ${this.status} response to ${this.#context.method}`);
          if (this.#expectedLength !== undefined && received > this.#expectedLength)
            throw malformed(`more content than content-length ${this.#expectedLength}`);
          yield event.bytes;
        } else if (event.type === H3FrameType.HEADERS && !trailersSeen) {
          const trailers = decodeFieldSection(event.payload);
          checkFields(trailers, "the trailers");
          this.#trailers = trailers;
          trailersSeen = true;
        } else {
          throw unexpected(
            `${frameName(event.type)} ${trailersSeen ? "after the trailers" : "in a response body"}`,
          );
        }
      }
    } catch (error) {
      this.#finished = true;
      throw this.#context.fail(error);
    } finally {
      // Leaving the loop early (break, return, a throw in the caller's loop) cancels the rest.
      this.cancel();
    }
  }
}

/**
 * A minimal HTTP/3 client on one QUIC session: a control stream, then GET and HEAD requests, each on its own stream.
 *
 * @alpha
 */
export class MinimalH3Client {
  readonly #session: H3QuicSession;
  readonly #authority: string;
  readonly #maxHeadersFrameLength: number | undefined;
  #peerSettings: ReadonlyMap<number, number> | undefined;
  readonly #peerStreamTypes: number[] = [];
  #goawayStreamId: number | undefined;
  #connectionError: H3Error | undefined;

  private constructor(session: H3QuicSession, options: MinimalH3ClientOptions) {
    this.#session = session;
    this.#authority = options.authority;
    this.#maxHeadersFrameLength = options.maxHeadersFrameLength;
  }

  /** Opens the control stream with SETTINGS on `session`, starts reading the server's streams, and resolves with the client. */
  static async open(session: H3QuicSession, options: MinimalH3ClientOptions): Promise<MinimalH3Client> {
    const client = new MinimalH3Client(session, options);
    const control = await session.openUnidirectionalStream();
    const settings = encodeSettings([
      [H3SettingId.QPACK_MAX_TABLE_CAPACITY, 0],
      [H3SettingId.QPACK_BLOCKED_STREAMS, 0],
    ]);
    await control.write(
      concatBytes([Uint8Array.of(H3StreamType.CONTROL), encodeH3Frame(H3FrameType.SETTINGS, settings)]),
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

  /** The stream ID of the server's last GOAWAY: requests on streams at or above it were not processed. */
  get goawayStreamId(): number | undefined {
    return this.#goawayStreamId;
  }

  /** The HTTP/3 error that closed the connection, when this client closed it for one. */
  get connectionError(): H3Error | undefined {
    return this.#connectionError;
  }

  /** Sends a GET of `path` and resolves once the final response's HEADERS arrived. */
  get(path: string, options: Omit<H3RequestOptions, "path" | "method"> = {}): Promise<H3Response> {
    return this.request({ ...options, method: "GET", path });
  }

  /** Sends a HEAD of `path` and resolves with the response, whose body is empty. */
  head(path: string, options: Omit<H3RequestOptions, "path" | "method"> = {}): Promise<H3Response> {
    return this.request({ ...options, method: "HEAD", path });
  }

  /** Sends a request and resolves once the final response's HEADERS arrived; rejects with `H3Error` for a malformed response. */
  async request(options: H3RequestOptions): Promise<H3Response> {
    if (this.#connectionError !== undefined) throw this.#connectionError;
    if (this.#goawayStreamId !== undefined)
      throw new H3Error(H3ErrorCode.H3_REQUEST_REJECTED, "the server sent GOAWAY: no new requests");
    const fields = requestFields(this.#authority, options);
    const stream = await this.#session.openBidirectionalStream();
    await stream.end(encodeH3Frame(H3FrameType.HEADERS, encodeFieldSection(fields)));
    const context: ResponseContext = {
      stream,
      reader: new RequestStreamReader(stream, this.#maxHeadersFrameLength),
      method: options.method ?? "GET",
      fail: (error) => this.#fail(error, stream),
    };
    const informational: H3InformationalResponse[] = [];
    const skipped: number[] = [];
    try {
      for (;;) {
        const event = await context.reader.next();
        if (event === undefined) throw malformed("the request stream ended without a final response");
        if (event.kind === "skipped") skipped.push(event.type);
        else if (event.kind === "data") throw unexpected("DATA before the response's HEADERS");
        else if (event.type !== H3FrameType.HEADERS)
          throw unexpected(`${frameName(event.type)} on a request stream`);
        else {
          const head = responseHead(decodeFieldSection(event.payload));
          if (head.status >= 200) return new MinimalH3Response(head, informational, skipped, context);
          informational.push(head);
        }
      }
    } catch (error) {
      throw this.#fail(error, stream);
    }
  }

  /** Closes the session with H3_NO_ERROR, when the session can be closed. */
  async close(): Promise<void> {
    await this.#session.close?.(H3ErrorCode.H3_NO_ERROR, "");
  }

  // Stops the stream for a stream error, closes the connection for any other H3Error; returns the
  // error to throw. Errors of the QUIC layer pass through as they are.
  #fail(error: unknown, stream: H3Stream): unknown {
    if (!(error instanceof H3Error)) return error;
    if (STREAM_ERRORS.has(error.code)) stream.stopSending?.(error.code);
    else this.#failConnection(error);
    return error;
  }

  #failConnection(error: H3Error): void {
    if (this.#connectionError !== undefined) return;
    this.#connectionError = error;
    // The reason phrase is for debugging only; keep it well inside one packet.
    this.#session.close?.(error.code, error.message.slice(0, 128)).catch(() => {});
  }

  async #acceptPeerStreams(): Promise<void> {
    try {
      for await (const stream of this.#session.incomingStreams()) void this.#readPeerStream(stream);
    } catch {
      // The connection ended; the requests in flight report why.
    }
  }

  // Reads a server-opened unidirectional stream: its type first (RFC 9114 §6.2), then for the
  // control stream its frames; the QPACK streams are drained, and unknown types are discarded.
  async #readPeerStream(stream: AsyncIterable<Uint8Array>): Promise<void> {
    let prefix: Uint8Array = new Uint8Array(0);
    let type: number | undefined;
    const frames = new FrameReader();
    try {
      for await (const chunk of stream) {
        let rest = chunk;
        if (type === undefined) {
          prefix = concatBytes([prefix, chunk]);
          const varint = readVarint(prefix, 0);
          if (varint === undefined) continue;
          type = varint.value;
          this.#openedPeerStream(type);
          rest = prefix.subarray(varint.length);
        }
        if (type === H3StreamType.CONTROL) for (const event of frames.push(rest)) this.#onControlFrame(event);
      }
      if (
        type === H3StreamType.CONTROL ||
        type === H3StreamType.QPACK_ENCODER ||
        type === H3StreamType.QPACK_DECODER
      )
        throw new H3Error(
          H3ErrorCode.H3_CLOSED_CRITICAL_STREAM,
          `the server closed a critical stream (type ${type})`,
        );
    } catch (error) {
      // Anything but an H3Error means the connection ended, which the requests report.
      if (error instanceof H3Error) this.#failConnection(error);
    }
  }

  #openedPeerStream(type: number): void {
    if (type === H3StreamType.PUSH)
      throw new H3Error(H3ErrorCode.H3_ID_ERROR, "a push stream, though push was never enabled");
    const critical =
      type === H3StreamType.CONTROL ||
      type === H3StreamType.QPACK_ENCODER ||
      type === H3StreamType.QPACK_DECODER;
    if (critical && this.#peerStreamTypes.includes(type))
      throw new H3Error(H3ErrorCode.H3_STREAM_CREATION_ERROR, `a second stream of type ${type}`);
    this.#peerStreamTypes.push(type);
  }

  #onControlFrame(event: FrameEvent): void {
    if (this.#peerSettings === undefined) {
      if (event.kind !== "frame" || event.type !== H3FrameType.SETTINGS)
        throw new H3Error(H3ErrorCode.H3_MISSING_SETTINGS, "the control stream does not start with SETTINGS");
      this.#peerSettings = decodeSettings(event.payload);
      return;
    }
    if (event.kind === "skipped") return;
    if (event.kind === "data") throw unexpected("DATA on the control stream");
    switch (event.type) {
      case H3FrameType.GOAWAY: {
        // From a server, the ID of a client-initiated bidirectional stream, never increasing (§5.2).
        const id = decodeGoaway(event.payload);
        if (id % 4 !== 0) throw new H3Error(H3ErrorCode.H3_ID_ERROR, `GOAWAY with stream ID ${id}`);
        if (this.#goawayStreamId !== undefined && id > this.#goawayStreamId)
          throw new H3Error(H3ErrorCode.H3_ID_ERROR, `GOAWAY raised its stream ID to ${id}`);
        this.#goawayStreamId = id;
        return;
      }
      case H3FrameType.CANCEL_PUSH:
        // Every push ID is above the maximum this client never raised from nothing (§7.2.3).
        throw new H3Error(H3ErrorCode.H3_ID_ERROR, "CANCEL_PUSH, though push was never enabled");
      default:
        // A second SETTINGS, MAX_PUSH_ID (the client's to send), HEADERS, PUSH_PROMISE, HTTP/2's types.
        throw unexpected(`${frameName(event.type)} on the control stream`);
    }
  }
}
