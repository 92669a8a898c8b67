/**
 * One request/response exchange as an undici dispatch handler (the legacy `onConnect` /
 * `onHeaders` / `onData` / `onComplete` / `onError` interface, which hands us raw header bytes
 * and the reason phrase).
 *
 * The exchange owns everything undici does not: the connect and total timers, the abort
 * signal, mapping errors by the phase they happened in, and the body queue the consumer reads.
 */
import type { Duplex } from "node:stream";
import {
  Headers,
  type PreparedRequest,
  ReplayableBody,
  type SendOptions,
  TransportError,
  type TransportErrorPhase,
  type TransportResponse,
} from "@nq/models";
import {
  type BodyOwner,
  connectTimeoutError,
  destroyedError,
  ExchangeTimers,
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
import { type Dispatcher, errors } from "undici";
import type { SocketRecord } from "./connection-info.js";
import { toTransportError } from "./error-mapping.js";
import type { ClientBoundHandler, OriginClient, OriginPool } from "./origin-pool.js";
import { outgoingHeaders } from "./request-headers.js";

// Where the exchange stands. An error is reported in the phase of the state it arrived in.
const QUEUED = 0; // dispatched; waiting for a socket (connecting, or for a busy one to free up)
const SENDING = 1; // on a socket; request head and body being written
const AWAITING_HEAD = 2; // request written; waiting for the final response head
const BODY = 3; // head received; body arriving
const COMPLETE = 4; // body fully received (the consumer may still be reading the queue)
const FAILED = 5;
type State = 0 | 1 | 2 | 3 | 4 | 5;

const PHASES: readonly TransportErrorPhase[] = ["connect", "send", "head", "body", "body", "body"];

// A cancelled body with at most this much left is read to its end and dropped, so the socket
// goes back to the pool (a redirect or error body read by nobody); anything longer, or of
// unknown length, closes the socket instead. The drain is bounded by DRAIN_TIMEOUT.
const DRAIN_LIMIT = 64 * 1024;
const DRAIN_TIMEOUT = 1_000;

// Thrown from onConnect for an exchange that gave up while queued: undici then drops the request
// without writing it and, unlike calling `abort`, keeps the healthy socket.
const DROPPED = new Error("Request dropped before it was sent: it had already timed out or been aborted");
const CANCELLED = new Error("Response body cancelled");
// What we destroy a socket with to end the exchange on it; see #abortInFlight.
const SOCKET_ABORTED = new errors.RequestAbortedError("Request aborted: the socket was closed");
const NO_ERROR: unknown = Symbol("no error");

function rawFields(raw: readonly (Buffer | string)[] | null | undefined): Headers {
  if (raw == null || raw.length === 0) return new Headers();
  const fields = new Array<string>(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const field = raw[i]!;
    // Field bytes are ISO-8859-1 on the wire (RFC 9110 §5.5): keep each byte as one char.
    fields[i] = typeof field === "string" ? field : field.toString("latin1");
  }
  return Headers.fromRaw(fields);
}

function byteLength(chunk: Uint8Array | string | number): number {
  if (typeof chunk === "number") return chunk;
  return typeof chunk === "string" ? Buffer.byteLength(chunk) : chunk.byteLength;
}

async function* guardedUpload(
  body: AsyncIterable<Uint8Array>,
  exchange: Exchange,
): AsyncGenerator<Uint8Array> {
  try {
    yield* body;
  } catch (error) {
    // The caller's own stream failed: the exchange rejects with that error, not a transport one.
    exchange.userFailed(error);
    throw error;
  }
}

function onDrainTimer(exchange: Exchange): void {
  exchange.timedOut("drain");
}

/** Per-transport settings an exchange reads. */
export interface ExchangeSettings {
  readonly maxDecompressionRatio: number;
}

/** One request on an origin pool, from dispatch to the end of its response body. */
export class Exchange implements ClientBoundHandler, BodyOwner, ResponseOwner, TimedExchange {
  readonly #pool: OriginPool;
  readonly #request: PreparedRequest;
  readonly #options: SendOptions;
  readonly #settings: ExchangeSettings;
  #state: State = QUEUED;
  #client: OriginClient | undefined;
  #abort: ((reason?: Error) => void) | undefined;
  #resolve!: (response: TransportResponse) => void;
  #reject!: (error: unknown) => void;
  #userError: unknown = NO_ERROR;
  readonly #timers: ExchangeTimers;
  // Not one of the request's timeouts: how long a cancelled body's short remainder may take.
  #drainTimer: NodeJS.Timeout | undefined;
  #signalAttached = false;
  #waiting = true;
  #inPool = true;
  #holdsClient = false;
  #uploaded = 0;
  #uploadTotal: number | null = null;
  #socket: SocketRecord | undefined;
  #reused = false;
  #body: ResponseBody | undefined;
  #response: StreamingResponse | undefined;
  readonly #trailers = new PendingTrailers();

  constructor(pool: OriginPool, request: PreparedRequest, options: SendOptions, settings: ExchangeSettings) {
    this.#pool = pool;
    this.#request = request;
    this.#options = options;
    this.#settings = settings;
    this.#timers = new ExchangeTimers(this, options.timeout);
  }

  /** Dispatches the request; resolves with the final response head. */
  start(): Promise<TransportResponse> {
    const request = this.#request;
    const options = this.#options;
    const { headers, closeConnection } = outgoingHeaders(request.headers.flat());
    // undici reads `servername` from dispatch options at runtime; its typings leave it out.
    const dispatch: Dispatcher.DispatchOptions & { servername: string } = {
      path: request.pathUrl,
      method: request.method,
      headers,
      // undici streams any async iterable (chunked without a Content-Length); its typings list
      // only Node streams.
      body: this.#uploadBody() as NonNullable<Dispatcher.DispatchOptions["body"]> | null,
      // undici's own read timers tick at about one second; the exchange keeps an exact one.
      headersTimeout: 0,
      bodyTimeout: 0,
      servername: this.#pool.dispatchServername,
      ...(closeConnection ? { reset: true } : {}),
    };
    const promise = new Promise<TransportResponse>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.#timers.startConnect();
    this.#timers.startTotal();
    if (options.signal !== undefined) {
      options.signal.addEventListener("abort", this);
      this.#signalAttached = true;
    }
    this.#pool.dispatch(dispatch, this);
    return promise;
  }

  #uploadBody(): Uint8Array | AsyncIterable<Uint8Array> | null {
    const body = this.#request.body;
    const headerLength = parseContentLength(this.#request.headers.get("content-length"));
    if (body === null) return null;
    if (body instanceof Uint8Array) {
      this.#uploadTotal = headerLength ?? body.byteLength;
      return body;
    }
    this.#uploadTotal = headerLength ?? (body instanceof ReplayableBody ? body.length : null);
    return guardedUpload(body, this);
  }

  /** @internal The caller's body stream or callback threw `error`; undici aborts with it next. */
  userFailed(error: unknown): void {
    this.#userError = error;
    this.#destroySocket();
  }

  bindClient(client: OriginClient): void {
    this.#client = client;
    this.#holdsClient = true;
  }

  handleEvent(): void {
    // The abort signal fired: fetch semantics, reject with the reason itself.
    this.#fail(this.#options.signal?.reason, false);
  }

  /** @internal One of the exchange's timers fired. */
  timedOut(which: "connect" | "read" | "total" | "drain"): void {
    const origin = this.#pool.origin.origin;
    if (which === "read") {
      const phase = this.#state === BODY ? "body" : "head";
      const limit = this.#options.timeout.read;
      const code = phase === "body" ? "UND_ERR_BODY_TIMEOUT" : "UND_ERR_HEADERS_TIMEOUT";
      this.#fail(readTimeoutError(origin, phase, limit, code), false);
      return;
    }
    if (which === "drain") {
      this.#drainTimer = undefined;
      this.#failQuietly();
      return;
    }
    if (which === "connect") {
      if (this.#state !== QUEUED) return;
      const limit = this.#options.timeout.connect;
      this.#fail(connectTimeoutError(origin, limit), false);
      return;
    }
    const phase = PHASES[this.#state]!;
    const limit = this.#options.timeout.total;
    this.#fail(totalTimeoutError(origin, phase, limit), false);
  }

  // ---- undici's dispatch handler ----

  onConnect(abort: (reason?: Error) => void): void {
    if (this.#state === FAILED) throw DROPPED;
    this.#abort = abort;
    this.#state = SENDING;
    this.#timers.stopConnect();
    this.#stopWaiting();
    const record = this.#client?.socket;
    if (record !== undefined) {
      this.#socket = record;
      this.#reused = record.requests++ > 0;
    }
  }

  onBodySent(chunk: Uint8Array | string | number): void {
    const progress = this.#options.onUploadProgress;
    if (progress === undefined) return;
    this.#uploaded += byteLength(chunk);
    try {
      progress(this.#uploaded, this.#uploadTotal);
    } catch (error) {
      // undici aborts the request with what we throw; onError then passes it through.
      this.userFailed(error);
      throw error;
    }
  }

  onRequestSent(): void {
    if (this.#state === SENDING) this.#state = AWAITING_HEAD;
    // The read timeout counts silence from the server once the whole request is out.
    if (this.#state === AWAITING_HEAD) this.#timers.armRead();
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    if (this.#state === FAILED) return false;
    this.#timers.armRead();
    if (statusCode < 200) {
      const informational = this.#options.onInformational;
      if (informational !== undefined) {
        try {
          informational(statusCode, rawFields(rawHeaders));
        } catch (error) {
          this.userFailed(error);
          throw error;
        }
      }
      return true;
    }
    this.#state = BODY;
    const headers = rawFields(rawHeaders);
    const body = new ResponseBody(this, () => {
      this.#timers.armRead();
      resume();
    });
    this.#body = body;
    const method = this.#request.method;
    const bodyless = method === "HEAD" || statusCode === 204 || statusCode === 304;
    const record = this.#socket;
    const response = new StreamingResponse(
      this,
      {
        statusCode,
        reason: statusText,
        httpVersion: record?.httpVersion ?? 11,
        headers,
        connInfo: record?.info(this.#reused),
        codings: bodyless ? undefined : parseContentEncoding(headers.get("content-encoding")),
        maxDecompressionRatio: this.#settings.maxDecompressionRatio,
      },
      body,
    );
    this.#response = response;
    this.#resolve(response);
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.#body === undefined) return true;
    if (this.#body.push(chunk)) {
      this.#timers.armRead();
      return true;
    }
    this.#timers.stopRead();
    return false;
  }

  onComplete(rawTrailers: readonly (Buffer | string)[] | null): void {
    if (this.#state === FAILED) return;
    this.#state = COMPLETE;
    this.#clearTimers();
    // Before the consumer is woken: see OriginClient.release.
    this.#releaseClient();
    this.#leavePool();
    this.#trailers.settle(
      rawTrailers == null || rawTrailers.length === 0 ? undefined : rawFields(rawTrailers),
    );
    this.#body?.end();
  }

  onError(error: Error): void {
    const state = this.#state;
    if (state === BODY && this.#isBodylessLengthMismatch(error)) {
      this.onComplete(null);
      return;
    }
    this.#releaseClient();
    this.#leavePool();
    if (state === FAILED || state === COMPLETE) return;
    const phase = PHASES[state]!;
    let failure: unknown;
    if (error === this.#userError) failure = error;
    else if (error !== undefined && error === this.#pool.destroyReason)
      failure = destroyedError(error, phase);
    else failure = toTransportError(error, phase, this.#pool.origin.origin);
    this.#fail(failure, true);
  }

  // undici 7 checks Content-Length against the bytes read for every response but HEAD, so a
  // 304 (or 204) carrying the Content-Length of the representation, as RFC 9110 allows, fails
  // after its head although such a response never has a body. It is complete; undici has
  // closed the socket already.
  #isBodylessLengthMismatch(error: Error): boolean {
    const status = this.#response?.statusCode;
    return (
      (status === 304 || status === 204) &&
      (error as { code?: unknown }).code === "UND_ERR_RES_CONTENT_LENGTH_MISMATCH" &&
      this.#body?.received === 0
    );
  }

  onUpgrade(_statusCode: number, _headers: Buffer[] | string[] | null, socket: Duplex): void {
    // Never asked for (no Upgrade, no CONNECT); undici refuses an unsolicited 101 before this.
    socket.destroy();
    this.#fail(
      new TransportError("Unexpected protocol upgrade", {
        kind: "protocol",
        phase: "head",
        retryable: false,
      }),
      true,
    );
  }

  // ---- the body and the response ----

  bodySettled(): void {
    this.#detachSignal();
  }

  cancelBody(): void {
    this.cancel();
  }

  /** Releases the response body: drains a short known remainder, else closes the socket. */
  cancel(): void {
    const body = this.#body;
    if (body === undefined) return;
    if (this.#state === BODY) {
      this.#trailers.settle(undefined);
      // Decided on what has arrived so far, before discarding resumes the parser.
      const length = parseContentLength(this.#response?.headers.get("content-length") ?? null);
      if (length === undefined || length - body.received > DRAIN_LIMIT) this.#failQuietly();
      else this.#drainTimer = setTimeout(onDrainTimer, DRAIN_TIMEOUT, this).unref();
    }
    // Discarding resumes a paused parser, which may finish the body right here.
    body.discard();
    this.#detachSignal();
  }

  trailers(): Promise<Headers | undefined> {
    return this.#trailers.promise();
  }

  // ---- internals ----

  /** Fails the exchange with `error`: the head promise, or the body, rejects with it. */
  #fail(error: unknown, fromUndici: boolean): void {
    const state = this.#state;
    if (state === FAILED) return;
    if (state === COMPLETE) {
      // Everything was received; only a reader still going through the queue is affected.
      this.#body?.fail(error);
      this.#detachSignal();
      return;
    }
    this.#state = FAILED;
    this.#clearTimers();
    this.#detachSignal();
    this.#trailers.settle(undefined);
    if (this.#body === undefined) this.#reject(error);
    else this.#body.fail(error);
    if (state === QUEUED) {
      // Waiting in the pool's queue, it leaves it; queued on a client that is connecting, which
      // undici cannot cancel, onConnect will drop it. It no longer counts as waiting or in flight.
      this.#pool.withdraw(this);
      this.#stopWaiting();
      this.#leavePool();
    } else if (!fromUndici) {
      this.#abortInFlight(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /**
   * Ends the exchange on its socket, which closes: whatever of it is still on the wire makes the
   * connection unusable. The socket is destroyed by us first, with an error undici treats as
   * fatal to the request on it: undici's own `abort` destroys it with an "informational" error,
   * after which the client keeps the aborted request queued and opens a new connection just to
   * drop it — a socket nobody asked for, idle until the keep-alive timeout.
   */
  #abortInFlight(reason: Error): void {
    this.#destroySocket();
    this.#abort?.(reason);
  }

  #destroySocket(): void {
    const socket = this.#socket?.socket;
    if (socket !== undefined && !socket.destroyed) socket.destroy(SOCKET_ABORTED);
  }

  /** Closes the exchange's socket without reporting anything (the consumer already moved on). */
  #failQuietly(): void {
    if (this.#state !== BODY) return;
    this.#state = FAILED;
    this.#clearTimers();
    this.#trailers.settle(undefined);
    this.#abortInFlight(CANCELLED);
  }

  #stopWaiting(): void {
    if (!this.#waiting) return;
    this.#waiting = false;
    this.#pool.stoppedWaiting();
  }

  #leavePool(): void {
    if (!this.#inPool) return;
    this.#inPool = false;
    this.#pool.exchangeDone();
  }

  #releaseClient(): void {
    if (!this.#holdsClient) return;
    this.#holdsClient = false;
    this.#client?.release();
  }

  #detachSignal(): void {
    if (!this.#signalAttached) return;
    this.#signalAttached = false;
    this.#options.signal?.removeEventListener("abort", this);
  }

  #clearTimers(): void {
    this.#timers.clear();
    if (this.#drainTimer !== undefined) clearTimeout(this.#drainTimer);
    this.#drainTimer = undefined;
  }
}
