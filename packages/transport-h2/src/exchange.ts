/**
 * One request/response exchange on an HTTP/2 stream: waiting for a stream slot, sending the head
 * and streaming the body with back-pressure, the response head, body and trailers, timers, abort,
 * and the replay of streams the server never processed.
 */
import {
  type ClientHttp2Stream,
  constants,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
} from "node:http2";
import {
  Headers,
  type PreparedRequest,
  ReplayableBody,
  reasonPhrase,
  type SendOptions,
  type TransportErrorPhase,
  type TransportResponse,
} from "@nq/models";
import {
  type BodyOwner,
  connectTimeoutError,
  destroyedError,
  ExchangeTimers,
  nativeCode,
  PendingTrailers,
  parseContentEncoding,
  parseContentLength,
  ResponseBody,
  type ResponseOwner,
  readTimeoutError,
  StreamingResponse,
  type TimedExchange,
  totalTimeoutError,
} from "@nq/transport-node";
import type { H2Connection } from "./connection.js";
import { HTTP_1_1_REQUIRED, isUnsentCode, REFUSED_STREAM, toTransportError } from "./error-mapping.js";
import type { OriginPool, PooledExchange } from "./origin-pool.js";
import { outgoingHeaders } from "./request-headers.js";

// Where the exchange stands. An error is reported in the phase of the state it arrived in.
const QUEUED = 0; // waiting for a session with a free stream (opening one counts)
const SENDING = 1; // stream open; request body being written
const AWAITING_HEAD = 2; // request written; waiting for the final response head
const BODY = 3; // head received; body arriving
const COMPLETE = 4; // body fully received (the consumer may still be reading the queue)
const FAILED = 5; // failed, cancelled or timed out
type State = 0 | 1 | 2 | 3 | 4 | 5;

const PHASES: readonly TransportErrorPhase[] = ["connect", "send", "head", "body", "body", "body"];

// A stream the server answered with REFUSED_STREAM is retried this many times: the refusal says it
// was not processed, but a server refusing again is overloaded and the caller should decide.
const MAX_REFUSED_RETRIES = 1;
// A stream above a GOAWAY's last stream id (or never sent) is replayed on another session this
// many times: a server restarting in a rolling deploy may send several GOAWAYs in a row.
const MAX_GOAWAY_REPLAYS = 3;

// Request bodies go out in slices of this size, so upload progress moves as the window opens.
const UPLOAD_SLICE = 64 * 1024;

const NO_ERROR: unknown = Symbol("no error");

function rawFields(raw: readonly string[] | undefined, object: IncomingHttpHeaders): Headers {
  const fields: string[] = [];
  if (raw !== undefined) {
    // The raw list keeps repeated fields apart, which the object joins; pseudo-headers are not fields.
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i]!;
      if (name.charCodeAt(0) !== 0x3a) fields.push(name, raw[i + 1]!);
    }
    return Headers.fromRaw(fields);
  }
  for (const [name, value] of Object.entries(object)) {
    if (name.startsWith(":") || value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) fields.push(name, String(item));
  }
  return Headers.fromRaw(fields);
}

function drained(stream: ClientHttp2Stream): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off("drain", done);
      stream.off("close", done);
      resolve();
    };
    stream.on("drain", done);
    stream.on("close", done);
  });
}

/** Per-transport settings an exchange reads. */
export interface ExchangeSettings {
  readonly maxDecompressionRatio: number;
}

/** One request on an origin pool, from queueing to the end of its response body. */
export class H2Exchange implements PooledExchange, BodyOwner, ResponseOwner, TimedExchange {
  readonly #pool: OriginPool;
  readonly #request: PreparedRequest;
  readonly #options: SendOptions;
  readonly #settings: ExchangeSettings;
  readonly #url: URL;
  /** @internal The pool's bookkeeping slot (see LiveSet). */
  liveSlot = -1;
  #state: State = QUEUED;
  #headers: OutgoingHttpHeaders | undefined;
  #connection: H2Connection | undefined;
  #stream: ClientHttp2Stream | undefined;
  #streamError: unknown;
  #reused = false;
  #resolve!: (response: TransportResponse) => void;
  #reject!: (error: unknown) => void;
  #userError: unknown = NO_ERROR;
  readonly #timers: ExchangeTimers;
  #signalAttached = false;
  #inQueue = false;
  #uploadTotal: number | null = null;
  #uploaded = 0;
  #reported = 0;
  // A one-shot body (a plain async iterable) cannot be sent twice once we started reading it.
  #oneShotOpened = false;
  #refusedRetries = 0;
  #goawayReplays = 0;
  #body: ResponseBody | undefined;
  readonly #trailers = new PendingTrailers();
  #receivedTrailers: Headers | undefined;

  constructor(
    pool: OriginPool,
    request: PreparedRequest,
    url: URL,
    options: SendOptions,
    settings: ExchangeSettings,
  ) {
    this.#pool = pool;
    this.#request = request;
    this.#url = url;
    this.#options = options;
    this.#settings = settings;
    this.#timers = new ExchangeTimers(this, options.timeout);
  }

  /** Queues the request on the pool; resolves with the final response head. */
  start(): Promise<TransportResponse> {
    const promise = new Promise<TransportResponse>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.#timers.startTotal();
    if (this.#options.signal !== undefined) {
      this.#options.signal.addEventListener("abort", this);
      this.#signalAttached = true;
    }
    const body = this.#request.body;
    if (body !== null) {
      const length = parseContentLength(this.#request.headers.get("content-length"));
      this.#uploadTotal =
        length ??
        (body instanceof Uint8Array ? body.byteLength : body instanceof ReplayableBody ? body.length : null);
    }
    this.#inQueue = true;
    this.#pool.acquire(this);
    // On a warm session the stream usually started inside acquire(): no connect timer needed.
    if (this.#state === QUEUED && this.#inQueue) this.#timers.startConnect();
    return promise;
  }

  handleEvent(): void {
    // The abort signal fired: fetch semantics, reject with the reason itself.
    this.#fail(this.#options.signal?.reason);
  }

  // ---- the pool's side ----

  attach(connection: H2Connection): void {
    this.#inQueue = false;
    if (this.#state !== QUEUED) return;
    this.#timers.stopConnect();
    const reused = connection.acquireStream();
    const session = connection.session!;
    const body = this.#request.body;
    const empty = body === null || (body instanceof Uint8Array && body.byteLength === 0);
    let stream: ClientHttp2Stream;
    try {
      this.#headers ??= outgoingHeaders(
        this.#request.method,
        this.#url,
        this.#request.pathUrl,
        this.#request.headers.flat(),
      );
      stream = session.request(this.#headers, { endStream: empty });
    } catch (error) {
      connection.releaseStream();
      if (isUnsentCode(nativeCode(error))) {
        // The session cannot start streams any more (GOAWAY, closed, ids exhausted) and nothing
        // went out: retire it and wait for another.
        connection.retire();
        this.#timers.startConnect();
        this.#inQueue = true;
        this.#pool.requeue(this);
        return;
      }
      this.#state = SENDING;
      this.#fail(toTransportError(error, "send", { origin: this.#url.origin }));
      return;
    }
    this.#state = SENDING;
    this.#connection = connection;
    this.#reused = reused;
    this.#stream = stream;
    this.#streamError = undefined;
    this.#uploaded = 0;
    stream.on("response", (headers: IncomingHttpHeaders, _flags: number, raw?: string[]) =>
      this.#onResponse(stream, headers, raw),
    );
    stream.on("headers", (headers: IncomingHttpHeaders, _flags: number, raw?: string[]) =>
      this.#onInformational(stream, headers, raw),
    );
    stream.on("trailers", (headers: IncomingHttpHeaders, _flags: number, raw?: string[]) => {
      if (stream === this.#stream) this.#receivedTrailers = rawFields(raw, headers);
    });
    stream.on("error", (error: unknown) => {
      if (stream === this.#stream) this.#streamError ??= error;
    });
    stream.once("close", () => this.#onStreamClose(stream, connection));
    if (empty) this.#requestSent(stream);
    else void this.#upload(stream, body);
  }

  failWaiting(error: unknown): void {
    this.#inQueue = false;
    this.#fail(error);
  }

  destroyed(reason: Error | undefined): void {
    this.#fail(destroyedError(reason, PHASES[this.#state]!));
    this.#done();
  }

  // ---- sending ----

  async #upload(stream: ClientHttp2Stream, body: NonNullable<PreparedRequest["body"]>): Promise<void> {
    const onWritten = (size: number) => (error?: Error | null) => {
      if (error == null) this.#progress(stream, size);
    };
    if (body instanceof Uint8Array) {
      for (let offset = 0; offset < body.byteLength; offset += UPLOAD_SLICE) {
        if (stream !== this.#stream || stream.destroyed) return;
        const slice = body.subarray(offset, offset + UPLOAD_SLICE);
        if (!stream.write(slice, onWritten(slice.byteLength))) await drained(stream);
      }
    } else {
      if (!(body instanceof ReplayableBody)) this.#oneShotOpened = true;
      const iterator = body[Symbol.asyncIterator]();
      for (;;) {
        let next: IteratorResult<Uint8Array>;
        try {
          next = await iterator.next();
        } catch (error) {
          // The caller's own stream failed: the exchange rejects with that error, not a transport one.
          if (stream === this.#stream) this.#userFailed(error);
          return;
        }
        if (next.done) break;
        if (stream !== this.#stream || stream.destroyed) {
          void Promise.resolve(iterator.return?.()).catch(() => {});
          return;
        }
        const chunk = next.value;
        if (chunk.byteLength === 0) continue;
        if (!stream.write(chunk, onWritten(chunk.byteLength))) await drained(stream);
      }
    }
    if (stream === this.#stream && !stream.destroyed) stream.end(() => this.#requestSent(stream));
  }

  #progress(stream: ClientHttp2Stream, size: number): void {
    if (stream !== this.#stream) return;
    this.#uploaded += size;
    const progress = this.#options.onUploadProgress;
    // A replayed request starts again from 0; report only bytes beyond what was reported.
    if (progress === undefined || this.#uploaded <= this.#reported) return;
    this.#reported = this.#uploaded;
    try {
      progress(this.#uploaded, this.#uploadTotal);
    } catch (error) {
      this.#userFailed(error);
    }
  }

  #requestSent(stream: ClientHttp2Stream): void {
    if (stream !== this.#stream || this.#state !== SENDING) return;
    this.#state = AWAITING_HEAD;
    // The read timeout counts silence from the server once the whole request is out.
    this.#timers.armRead();
  }

  #userFailed(error: unknown): void {
    this.#userError = error;
    this.#fail(error);
  }

  // ---- receiving ----

  #onInformational(stream: ClientHttp2Stream, headers: IncomingHttpHeaders, raw: string[] | undefined): void {
    if (stream !== this.#stream || this.#state === FAILED) return;
    this.#connection!.activity++;
    this.#timers.refreshRead();
    const status = Number(headers[":status"]);
    if (!(status >= 100 && status < 200)) return;
    const informational = this.#options.onInformational;
    if (informational === undefined) return;
    try {
      informational(status, rawFields(raw, headers));
    } catch (error) {
      this.#userFailed(error);
    }
  }

  #onResponse(stream: ClientHttp2Stream, headers: IncomingHttpHeaders, raw: string[] | undefined): void {
    if (stream !== this.#stream || this.#state === FAILED) return;
    const connection = this.#connection!;
    connection.activity++;
    // The server may answer before the upload is done (413, a redirect): the upload goes on
    // until the server ends the stream.
    this.#state = BODY;
    this.#timers.armRead();
    const statusCode = Number(headers[":status"]);
    const fields = rawFields(raw, headers);
    const body = new ResponseBody(this, () => {
      this.#timers.armRead();
      stream.resume();
    });
    this.#body = body;
    const bodyless = this.#request.method === "HEAD" || statusCode === 204 || statusCode === 304;
    const response = new StreamingResponse(
      this,
      {
        statusCode,
        // HTTP/2 carries no reason phrase (RFC 9113 §8.3.2): report the standard one.
        reason: reasonPhrase(statusCode),
        httpVersion: 20,
        headers: fields,
        connInfo: connection.record?.info(this.#reused),
        codings: bodyless ? undefined : parseContentEncoding(fields.get("content-encoding")),
        maxDecompressionRatio: this.#settings.maxDecompressionRatio,
      },
      body,
    );
    stream.on("data", (chunk: Buffer) => {
      connection.activity++;
      if (body.push(chunk)) {
        this.#timers.refreshRead();
        return;
      }
      // Paused, node:http2 stops acknowledging the stream's data: flow control holds the server.
      stream.pause();
      this.#timers.stopRead();
    });
    stream.once("end", () => this.#onEnd(stream));
    this.#resolve(response);
  }

  #onEnd(stream: ClientHttp2Stream): void {
    if (stream !== this.#stream || this.#state !== BODY) return;
    this.#state = COMPLETE;
    this.#timers.clear();
    this.#trailers.settle(this.#receivedTrailers);
    this.#body?.end();
  }

  #onStreamClose(stream: ClientHttp2Stream, connection: H2Connection): void {
    connection.releaseStream();
    // A destroyed pool fails its exchanges itself, once every session is closed.
    if (stream !== this.#stream || this.#pool.destroyed) return;
    const state = this.#state;
    if (state === COMPLETE || state === FAILED) {
      this.#done();
      return;
    }
    const error = this.#streamError;
    const rstCode = stream.rstCode;
    const id = stream.id;
    this.#stream = undefined;
    this.#timers.stopRead();
    // nghttp2 closes the streams above a GOAWAY's last stream id before node:http2 emits the
    // GOAWAY itself; deciding on the next turn lets the session's GOAWAY details land first.
    setImmediate(() => this.#streamEnded(connection, error, rstCode, id));
  }

  // A GOAWAY tells us the last stream the server processed. Streams above it were never seen,
  // so they are safe to replay on a new connection even for POST; streams at or below it may
  // have had effects and fail instead. REFUSED_STREAM says the same of one stream.
  #streamEnded(
    connection: H2Connection,
    error: unknown,
    rstCode: number | undefined,
    id: number | undefined,
  ): void {
    const state = this.#state;
    if (state === COMPLETE || state === FAILED) {
      this.#done();
      return;
    }
    if (this.#pool.destroyed) return;
    const last = connection.goawayLastStreamId;
    const aboveGoaway = id === undefined || (last !== undefined && id > last);
    const unprocessed =
      state !== BODY && (aboveGoaway || rstCode === REFUSED_STREAM || isUnsentCode(nativeCode(error)));
    if (unprocessed && rstCode !== HTTP_1_1_REQUIRED && this.#mayReplay(aboveGoaway || last !== undefined)) {
      this.#state = QUEUED;
      this.#connection = undefined;
      this.#timers.startConnect();
      this.#inQueue = true;
      this.#pool.requeue(this);
      return;
    }
    const failure =
      error === this.#userError
        ? error
        : toTransportError(error, PHASES[state]!, {
            rstCode,
            goawayCode: connection.goawayCode,
            unprocessed,
            origin: this.#url.origin,
          });
    this.#fail(failure);
    this.#done();
  }

  #mayReplay(afterGoaway: boolean): boolean {
    if (this.#oneShotOpened) return false;
    if (afterGoaway) return this.#goawayReplays++ < MAX_GOAWAY_REPLAYS;
    return this.#refusedRetries++ < MAX_REFUSED_RETRIES;
  }

  // ---- timers ----

  /** @internal One of the exchange's timers fired. */
  timedOut(which: "connect" | "read" | "total"): void {
    const origin = this.#url.origin;
    if (which === "read") {
      const phase = this.#state === BODY ? "body" : "head";
      const limit = this.#options.timeout.read;
      this.#fail(readTimeoutError(origin, phase, limit));
      return;
    }
    if (which === "connect") {
      if (this.#state !== QUEUED) return;
      const limit = this.#options.timeout.connect;
      this.#fail(connectTimeoutError(origin, limit));
      return;
    }
    const phase = PHASES[this.#state]!;
    const limit = this.#options.timeout.total;
    this.#fail(totalTimeoutError(origin, phase, limit));
  }

  // ---- the body and the response ----

  bodySettled(): void {
    this.#detachSignal();
  }

  cancelBody(): void {
    this.cancel();
  }

  /** Releases the response body: the stream is reset with CANCEL, and the session stays. */
  cancel(): void {
    const body = this.#body;
    if (body === undefined) return;
    if (this.#state === BODY) {
      this.#state = FAILED;
      this.#timers.clear();
      this.#trailers.settle(undefined);
      this.#resetStream();
    }
    body.discard();
    this.#detachSignal();
  }

  trailers(): Promise<Headers | undefined> {
    return this.#trailers.promise();
  }

  // ---- internals ----

  /** Fails the exchange with `error`: the head promise, or the body, rejects with it. */
  #fail(error: unknown): void {
    const state = this.#state;
    if (state === FAILED) return;
    if (state === COMPLETE) {
      // Everything was received; only a reader still going through the queue is affected.
      this.#body?.fail(error);
      this.#detachSignal();
      return;
    }
    this.#state = FAILED;
    this.#timers.clear();
    this.#detachSignal();
    this.#trailers.settle(undefined);
    if (this.#body === undefined) this.#reject(error);
    else this.#body.fail(error);
    if (this.#inQueue) {
      this.#inQueue = false;
      this.#pool.giveUp(this);
    }
    // With a stream, its close event ends the exchange; without one (queued, or between a
    // refused stream and its replay) it ends here.
    if (!this.#resetStream()) this.#done();
  }

  /** Resets the exchange's stream with CANCEL, keeping the session; false when there is none. */
  #resetStream(): boolean {
    const stream = this.#stream;
    if (stream === undefined || stream.destroyed) return false;
    stream.close(constants.NGHTTP2_CANCEL);
    return true;
  }

  #done(): void {
    this.#pool.exchangeDone(this);
  }

  #detachSignal(): void {
    if (!this.#signalAttached) return;
    this.#signalAttached = false;
    this.#options.signal?.removeEventListener("abort", this);
  }
}
