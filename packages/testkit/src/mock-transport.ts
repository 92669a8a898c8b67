import {
  type ConnectionInfo,
  Headers,
  type HeadersInit,
  type HttpVersion,
  type PreparedRequest,
  type Protocol,
  reasonPhrase,
  type SendOptions,
  type Transport,
  TransportError,
  type TransportResponse,
} from "@nq/models";

/**
 * A response body as a mock handler gives it: text (sent as UTF-8), bytes, a stream of chunks,
 * or any other object or array, sent as JSON with `Content-Type: application/json`.
 */
export type MockBody = string | Uint8Array | AsyncIterable<Uint8Array> | object | null | undefined;

/** The response a {@link MockHandler} describes. */
export interface MockResponse {
  /** The status code. */
  readonly status: number;
  /** Response fields; an array value repeats a field. */
  readonly headers?: HeadersInit | undefined;
  /** The body; empty when absent. */
  readonly body?: MockBody;
  /** The reason phrase; the standard one for the status by default. */
  readonly reason?: string | undefined;
  /** 11 by default. */
  readonly httpVersion?: HttpVersion | undefined;
  /** Trailer fields, delivered once the body has been read to its end. */
  readonly trailers?: HeadersInit | undefined;
}

/**
 * Answers one request for a {@link MockTransport}. Throw a `TransportError` to simulate a
 * network failure; any other error (a failed assertion) reaches the caller unchanged.
 */
export type MockHandler = (
  request: PreparedRequest,
  options: SendOptions,
) => MockResponse | Promise<MockResponse>;

/** One request a {@link MockTransport} received. */
export interface MockCall {
  /** The request as the caller passed it (its body may be a consumed stream: use `body`). */
  readonly request: PreparedRequest;
  /** The options the request was sent with. */
  readonly options: SendOptions;
  /** The request body bytes, read before the handler ran; empty when there was no body. */
  readonly body: Uint8Array;
}

const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();

// Bodies the transport already read, so the handler's readBody() sees them even when the body was
// a one-shot stream.
const bodies = new WeakMap<PreparedRequest, Promise<Uint8Array>>();

async function collect(
  source: AsyncIterable<Uint8Array>,
  onChunk?: (sent: number) => void,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of source) {
    chunks.push(chunk);
    size += chunk.length;
    onChunk?.(size);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

function readOnce(request: PreparedRequest, onProgress?: (sent: number) => void): Promise<Uint8Array> {
  let pending = bodies.get(request);
  if (pending) return pending;
  const body = request.body;
  if (body === null) pending = Promise.resolve(EMPTY);
  else if (body instanceof Uint8Array) {
    onProgress?.(body.length);
    pending = Promise.resolve(body);
  } else pending = collect(body, onProgress);
  bodies.set(request, pending);
  return pending;
}

/**
 * Reads a prepared request's body to bytes (empty when there is none), inside a mock handler or
 * anywhere else; reading the same request again returns the same bytes.
 */
export function readBody(request: PreparedRequest): Promise<Uint8Array> {
  return readOnce(request);
}

function isAsyncIterable(value: unknown): value is AsyncIterable<Uint8Array> {
  return typeof value === "object" && value !== null && Symbol.asyncIterator in value;
}

function bodySource(body: MockBody, headers: Headers): AsyncIterable<Uint8Array> {
  if (body === null || body === undefined) return (async function* () {})();
  if (typeof body === "string") return once(encoder.encode(body));
  if (body instanceof Uint8Array) return once(body);
  if (body instanceof ArrayBuffer) return once(new Uint8Array(body));
  if (isAsyncIterable(body)) return body;
  headers.setDefault("Content-Type", "application/json");
  return once(encoder.encode(JSON.stringify(body)));
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  if (bytes.length > 0) yield bytes;
}

function protocolOf(version: HttpVersion): Protocol {
  return version === 20 ? "h2" : version === 30 ? "h3" : "http/1.1";
}

/** One exchange in flight: a head being produced or a body being read. */
class Exchange {
  #failure: { error: unknown } | undefined;
  readonly #waiters = new Set<(error: unknown) => void>();
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort = (): void => this.fail(this.#signal!.reason);
  readonly #done: () => void;

  constructor(signal: AbortSignal | undefined, done: () => void) {
    this.#signal = signal;
    this.#done = done;
    signal?.addEventListener("abort", this.#onAbort, { once: true });
  }

  /** Settles like `promise`, or rejects as soon as the exchange fails (abort, destroy). */
  race<T>(promise: Promise<T>): Promise<T> {
    if (this.#failure) return Promise.reject(this.#failure.error);
    return new Promise<T>((resolve, reject) => {
      this.#waiters.add(reject);
      promise.then(
        (value) => {
          this.#waiters.delete(reject);
          resolve(value);
        },
        (error: unknown) => {
          this.#waiters.delete(reject);
          reject(error);
        },
      );
    });
  }

  get failure(): { error: unknown } | undefined {
    return this.#failure;
  }

  fail(error: unknown): void {
    if (this.#failure) return;
    this.#failure = { error };
    for (const reject of this.#waiters) reject(error);
    this.#waiters.clear();
    this.finish();
  }

  finish(): void {
    this.#signal?.removeEventListener("abort", this.#onAbort);
    this.#done();
  }
}

class MockBodyStream implements AsyncIterable<Uint8Array> {
  readonly #source: AsyncIterable<Uint8Array>;
  readonly #exchange: Exchange;
  readonly #onEnd: (complete: boolean) => void;
  #iterator: AsyncIterator<Uint8Array> | undefined;
  #taken = false;
  #ended = false;

  constructor(source: AsyncIterable<Uint8Array>, exchange: Exchange, onEnd: (complete: boolean) => void) {
    this.#source = source;
    this.#exchange = exchange;
    this.#onEnd = onEnd;
  }

  #end(complete: boolean): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#exchange.finish();
    this.#onEnd(complete);
  }

  cancel(): void {
    if (this.#ended) return;
    this.#end(false);
    // Let a handler's generator run its finally blocks, as a real server would see the close.
    void this.#iterator?.return?.().catch(() => {});
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    if (this.#taken) throw new TypeError("The response body can be iterated only once");
    this.#taken = true;
    const next = async (): Promise<IteratorResult<Uint8Array>> => {
      const failure = this.#exchange.failure;
      if (failure) throw failure.error;
      if (this.#ended) return { done: true, value: undefined };
      this.#iterator ??= this.#source[Symbol.asyncIterator]();
      try {
        const result = await this.#exchange.race(this.#iterator.next());
        if (result.done) this.#end(true);
        return result;
      } catch (error) {
        this.cancel();
        throw error;
      }
    };
    return {
      next,
      return: async (): Promise<IteratorResult<Uint8Array>> => {
        this.cancel();
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    } as AsyncIterableIterator<Uint8Array>;
  }
}

/**
 * A `Transport` that answers from a function instead of the network (httpx's MockTransport), so
 * everything above the transport can be tested without a socket. It records every call.
 */
export class MockTransport implements Transport {
  /** Always `["http/1.1"]`; set `httpVersion` per response to pretend otherwise. */
  readonly protocols: readonly Protocol[] = ["http/1.1"];
  /** Every request received, in order, with its body bytes. */
  readonly calls: MockCall[] = [];
  readonly #handler: MockHandler;
  readonly #inFlight = new Set<Exchange>();
  readonly #heads = new Set<Promise<unknown>>();
  #closed = false;

  constructor(handler: MockHandler) {
    this.#handler = handler;
  }

  /** True for `http:` and `https:` URLs. */
  canHandle(url: URL): boolean {
    return url.protocol === "http:" || url.protocol === "https:";
  }

  /** Reads the request body, calls the handler and resolves with its response. */
  send(request: PreparedRequest, options: SendOptions): Promise<TransportResponse> {
    const head = this.#send(request, options);
    const settled = head.then(
      () => {},
      () => {},
    );
    this.#heads.add(settled);
    void settled.then(() => this.#heads.delete(settled));
    return head;
  }

  async #send(request: PreparedRequest, options: SendOptions): Promise<TransportResponse> {
    if (this.#closed) {
      throw new TransportError("The transport is closed", {
        kind: "closed",
        phase: "connect",
        retryable: true,
      });
    }
    options.signal?.throwIfAborted();
    const exchange = new Exchange(options.signal, () => this.#inFlight.delete(exchange));
    this.#inFlight.add(exchange);
    let head: TransportResponse;
    try {
      const declared = request.headers.get("content-length");
      const total =
        request.body instanceof Uint8Array
          ? request.body.length
          : declared !== null && /^\d+$/.test(declared)
            ? Number(declared)
            : null;
      const onProgress =
        options.onUploadProgress && ((sent: number) => options.onUploadProgress?.(sent, total));
      const body = await exchange.race(readOnce(request, onProgress));
      this.calls.push({ request, options, body });
      const reply = await exchange.race(Promise.resolve().then(() => this.#handler(request, options)));
      head = this.#respond(request, reply, exchange);
    } catch (error) {
      exchange.fail(error);
      throw error;
    }
    return head;
  }

  #respond(request: PreparedRequest, reply: MockResponse, exchange: Exchange): TransportResponse {
    const headers = new Headers(reply.headers);
    const httpVersion = reply.httpVersion ?? 11;
    let settleTrailers: (value: Headers | undefined) => void = () => {};
    const trailers = new Promise<Headers | undefined>((resolve) => (settleTrailers = resolve));
    const body = new MockBodyStream(bodySource(reply.body, headers), exchange, (complete) =>
      settleTrailers(complete && reply.trailers !== undefined ? new Headers(reply.trailers) : undefined),
    );
    const url = new URL(request.url);
    const connInfo: ConnectionInfo = {
      protocol: protocolOf(httpVersion),
      httpVersion,
      remoteAddress: undefined,
      remotePort: undefined,
      localAddress: undefined,
      localPort: undefined,
      encrypted: url.protocol === "https:",
      tlsVersion: undefined,
      cipher: undefined,
      certificate: undefined,
      issuerCertificate: undefined,
      reused: false,
      establishedLatency: undefined,
      tlsHandshakeLatency: undefined,
    };
    return {
      statusCode: reply.status,
      reason: reply.reason ?? reasonPhrase(reply.status),
      httpVersion,
      headers,
      body,
      // A mock does no content decoding, so the raw body is the same one-shot stream.
      rawBody: body,
      trailers,
      connInfo,
      cancel: () => body.cancel(),
    };
  }

  /** Refuses new requests and waits for heads being produced; bodies already returned stay readable. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#heads);
  }

  /** Refuses new requests and fails every exchange in flight with `reason` (a `closed` TransportError by default). */
  async destroy(reason?: Error): Promise<void> {
    this.#closed = true;
    const error =
      reason ??
      new TransportError("The transport was destroyed", { kind: "closed", phase: "body", retryable: false });
    for (const exchange of [...this.#inFlight]) exchange.fail(error);
  }

  /** Closes the transport, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
