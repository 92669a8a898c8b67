import { decodeText, detectEncoding, encodingFromContentType, guessJsonUtf } from "./charset.js";
import type { CookieJarView } from "./cookie-jar.js";
import {
  HTTPError,
  JSONDecodeError,
  RequestException,
  requestExceptionFrom,
  StreamConsumedError,
} from "./errors.js";
import { Headers, type HeadersInit } from "./headers.js";
import { type Link, parseLinkHeader } from "./link-header.js";
import type { PreparedRequest } from "./request.js";
import { reasonPhrase } from "./status-codes.js";
import type { ConnectionInfo, HttpVersion, TransportResponse } from "./transport.js";

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const PERMANENT_REDIRECT_STATUSES = new Set([301, 308]);
const EMPTY = new Uint8Array(0);

/** An empty jar for responses that set no cookie. */
const NO_COOKIES: CookieJarView = {
  size: 0,
  get: () => undefined,
  has: () => false,
  toDict: () => ({}),
};

/** What a {@link Response} is built from. */
export interface ResponseInit {
  readonly request: PreparedRequest;
  readonly statusCode: number;
  /** Defaults to the request's URL. */
  readonly url?: string | undefined;
  /** Defaults to the standard reason phrase of the status. */
  readonly reason?: string | undefined;
  readonly httpVersion?: HttpVersion | undefined;
  readonly headers?: HeadersInit | undefined;
  /** The body: bytes already read, or a stream still to read. */
  readonly body?: Uint8Array | AsyncIterable<Uint8Array> | null | undefined;
  /** The body before content decoding, for `iterRaw()`. */
  readonly rawBody?: AsyncIterable<Uint8Array> | undefined;
  readonly trailers?: Promise<Headers | undefined> | undefined;
  readonly connInfo?: ConnectionInfo | undefined;
  /** Milliseconds from sending the request to receiving the response head. */
  readonly elapsed?: number | undefined;
  readonly cookies?: CookieJarView | undefined;
  /** Releases an unread body. */
  readonly cancel?: ((reason?: unknown) => void) | undefined;
}

type BodyState =
  | { readonly kind: "read"; readonly content: Uint8Array }
  | { readonly kind: "pending" }
  | { readonly kind: "streaming" }
  | { readonly kind: "closed" };

function concat(chunks: readonly Uint8Array[], length: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

function checkChunkSize(chunkSize: number | null | undefined): void {
  if (chunkSize === null || chunkSize === undefined || chunkSize === -1) return;
  if (!Number.isInteger(chunkSize) || chunkSize <= 0) {
    throw new TypeError(`chunkSize must be a positive integer, -1 or null, not ${String(chunkSize)}`);
  }
}

async function* rechunk(source: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<Uint8Array> {
  let pending: Uint8Array = EMPTY;
  for await (const chunk of source) {
    let data = pending.length ? concat([pending, chunk], pending.length + chunk.length) : chunk;
    while (data.length >= size) {
      yield data.subarray(0, size);
      data = data.subarray(size);
    }
    pending = data;
  }
  if (pending.length) yield pending;
}

// A label TextDecoder does not know falls back to UTF-8, as `text` does.
function streamingDecoder(encoding: string | null): TextDecoder {
  try {
    return new TextDecoder(encoding ?? "utf-8");
  } catch {
    return new TextDecoder("utf-8");
  }
}

/** A server's answer: status, headers, body, and where it came from. */
export class Response implements AsyncIterable<Uint8Array>, AsyncDisposable {
  statusCode: number;
  reason: string;
  /** The final URL, after redirects. */
  url: string;
  headers: Headers;
  httpVersion: HttpVersion;
  /** The redirect responses that led here, oldest first. */
  history: Response[] = [];
  /** Milliseconds from sending the request to receiving the response head. */
  elapsed: number;
  /** The cookies this response set. */
  cookies: CookieJarView;
  /** The request that produced this response. */
  request: PreparedRequest;
  connInfo: ConnectionInfo | undefined;
  /** Trailer fields, filled once the body has been read to its end. */
  trailers: Headers = new Headers();
  /** With `allowRedirects: false`, the request a redirect would send next. */
  next: PreparedRequest | undefined;

  #encoding: string | null | undefined;
  #state: BodyState;
  #body: AsyncIterable<Uint8Array> | undefined;
  #rawBody: AsyncIterable<Uint8Array> | undefined;
  #trailers: Promise<Headers | undefined> | undefined;
  #cancel: ((reason?: unknown) => void) | undefined;

  constructor(init: ResponseInit) {
    this.request = init.request;
    this.statusCode = init.statusCode;
    this.url = init.url ?? init.request.url;
    this.reason = init.reason ?? reasonPhrase(init.statusCode);
    this.httpVersion = init.httpVersion ?? 11;
    this.headers = Headers.isHeaders(init.headers) ? init.headers : new Headers(init.headers);
    this.elapsed = init.elapsed ?? 0;
    this.cookies = init.cookies ?? NO_COOKIES;
    this.connInfo = init.connInfo ?? init.request.connInfo;
    this.#trailers = init.trailers;
    this.#cancel = init.cancel;
    const body = init.body ?? EMPTY;
    if (body instanceof Uint8Array) {
      this.#state = { kind: "read", content: body };
    } else {
      this.#state = { kind: "pending" };
      this.#body = body;
      this.#rawBody = init.rawBody;
    }
  }

  /** Wraps what a transport returned, for the request that produced it. */
  static fromTransport(
    response: TransportResponse,
    request: PreparedRequest,
    extra: { readonly elapsed?: number; readonly url?: string; readonly cookies?: CookieJarView } = {},
  ): Response {
    return new Response({
      request,
      statusCode: response.statusCode,
      reason: response.reason || undefined,
      httpVersion: response.httpVersion,
      headers: response.headers,
      body: response.body,
      rawBody: response.rawBody,
      trailers: response.trailers,
      connInfo: response.connInfo,
      cancel: (reason) => response.cancel(reason),
      url: extra.url,
      elapsed: extra.elapsed,
      cookies: extra.cookies,
    });
  }

  /** False for a 4xx or 5xx status. */
  get ok(): boolean {
    return !(this.statusCode >= 400 && this.statusCode < 600);
  }

  /** True for a redirect status that carries a Location. */
  get isRedirect(): boolean {
    return REDIRECT_STATUSES.has(this.statusCode) && this.headers.has("location");
  }

  /** True for 301 or 308 with a Location. */
  get isPermanentRedirect(): boolean {
    return PERMANENT_REDIRECT_STATUSES.has(this.statusCode) && this.headers.has("location");
  }

  /** True once the whole body is in memory (`content` and `text` can be used). */
  get isRead(): boolean {
    return this.#state.kind === "read";
  }

  /**
   * The text encoding: set by you, else the Content-Type charset (UTF-8 for JSON), else `null`
   * (then `text` uses {@link Response.apparentEncoding}).
   */
  get encoding(): string | null {
    if (this.#encoding !== undefined) return this.#encoding;
    return encodingFromContentType(this.headers.get("content-type"));
  }

  set encoding(value: string | null) {
    this.#encoding = value;
  }

  /** The encoding guessed from the body bytes. */
  get apparentEncoding(): string {
    return detectEncoding(this.content);
  }

  /** The whole body, decompressed. Throws on a `stream: true` response until `await read()`. */
  get content(): Uint8Array {
    const state = this.#state;
    if (state.kind === "read") return state.content;
    if (state.kind === "pending") {
      throw new RequestException(
        "The body of a streamed response has not been read: await response.read() first, or iterate it",
        { response: this },
      );
    }
    throw new StreamConsumedError("The body of this response was already consumed by iteration", {
      response: this,
    });
  }

  /** The body decoded as text with {@link Response.encoding} (or the apparent encoding). */
  get text(): string {
    const content = this.content;
    if (content.length === 0) return "";
    const encoding = this.encoding ?? this.apparentEncoding;
    return decodeText(content, encoding) ?? decodeText(content, "utf-8")!;
  }

  /** The body parsed as JSON; throws `JSONDecodeError` when it is not JSON. */
  json<T = unknown>(): T {
    const content = this.content;
    const encoding = this.#encoding ?? encodingFromContentType(this.headers.get("content-type"));
    const text = encoding ? this.text : decodeText(content, guessJsonUtf(content) ?? "utf-8");
    try {
      if (!text) throw new SyntaxError("Expecting value: the body is empty");
      return JSON.parse(text) as T;
    } catch (cause) {
      throw new JSONDecodeError(`Invalid JSON in response from ${this.url}: ${(cause as Error).message}`, {
        response: this,
        cause,
      });
    }
  }

  /** The parsed `Link` header, keyed by `rel` (or by URL when a link has no `rel`). */
  get links(): Record<string, Link> {
    const header = this.headers.get("link");
    const links: Record<string, Link> = {};
    if (header) for (const link of parseLinkHeader(header)) links[link.rel ?? link.url] = link;
    return links;
  }

  /** Throws `HTTPError` for a 4xx or 5xx status; returns the response otherwise, for chaining. */
  raiseForStatus(): this {
    const kind =
      this.statusCode >= 400 && this.statusCode < 500
        ? "Client Error"
        : this.statusCode >= 500 && this.statusCode < 600
          ? "Server Error"
          : null;
    if (kind) {
      throw new HTTPError(`${this.statusCode} ${kind}: ${this.reason} for url: ${this.url}`, {
        response: this,
      });
    }
    return this;
  }

  /**
   * Reads the rest of the body into memory and returns it; after this `content`, `text` and
   * `json()` work. On a read error the bytes received so far stay in `content`.
   */
  async read(): Promise<Uint8Array> {
    const state = this.#state;
    if (state.kind === "read") return state.content;
    const source = this.#body;
    if (state.kind !== "pending" || source === undefined) {
      throw new StreamConsumedError("The body of this response was already consumed", { response: this });
    }
    // Iterated here rather than through #consume: no async generator per chunk on the path
    // every non-streamed request takes.
    this.#state = { kind: "streaming" };
    const chunks: Uint8Array[] = [];
    let length = 0;
    let complete = false;
    try {
      for await (const chunk of source) {
        chunks.push(chunk);
        length += chunk.length;
      }
      complete = true;
    } catch (error) {
      throw requestExceptionFrom(error, this.request, this);
    } finally {
      if (!complete) this.#cancel?.();
      this.#cancel = undefined;
      // On an error too: the bytes that arrived stay readable in `content`.
      this.#state = { kind: "read", content: concat(chunks, length) };
    }
    const trailers = await this.#trailers;
    if (trailers) this.trailers = trailers;
    return (this.#state as { content: Uint8Array }).content;
  }

  /**
   * The body in chunks as they arrive, or in chunks of `chunkSize` bytes. Once the body is
   * read, iterates over `content`.
   */
  async *iterContent(chunkSize: number | null = null): AsyncGenerator<Uint8Array, void, undefined> {
    checkChunkSize(chunkSize);
    const size = chunkSize === -1 ? null : chunkSize;
    if (this.#state.kind === "read") {
      const content = this.#state.content;
      if (size === null) {
        if (content.length) yield content;
        return;
      }
      for (let i = 0; i < content.length; i += size) yield content.subarray(i, i + size);
      return;
    }
    const source = this.#consume(this.#body);
    yield* size === null ? source : rechunk(source, size);
  }

  /** The body before content decoding (still gzip'd, say), in chunks as they arrive. */
  async *iterRaw(chunkSize: number | null = null): AsyncGenerator<Uint8Array, void, undefined> {
    checkChunkSize(chunkSize);
    if (this.#state.kind === "read" || this.#rawBody === undefined) {
      yield* this.iterContent(chunkSize);
      return;
    }
    const source = this.#consume(this.#rawBody);
    yield* chunkSize === null || chunkSize === -1 ? source : rechunk(source, chunkSize);
  }

  /**
   * The body as lines of text, split on `\n`, `\r\n` or `\r` (or on `delimiter`), decoded
   * with {@link Response.encoding} or UTF-8. Lines span chunk boundaries.
   */
  async *iterLines(options: { readonly delimiter?: string } = {}): AsyncGenerator<string, void, undefined> {
    const decoder = streamingDecoder(this.encoding);
    const { delimiter } = options;
    let pending = "";
    for await (const chunk of this.iterContent()) {
      let text = pending + decoder.decode(chunk, { stream: true });
      // A trailing \r may be the first half of a \r\n split across chunks: hold it back.
      let carry = "";
      if (delimiter === undefined && text.endsWith("\r")) {
        carry = "\r";
        text = text.slice(0, -1);
      }
      const lines = delimiter === undefined ? text.split(/\r\n|\n|\r/) : text.split(delimiter);
      pending = lines.pop()! + carry;
      yield* lines;
    }
    const rest = pending + decoder.decode();
    if (rest) {
      const lines = delimiter === undefined ? rest.split(/\r\n|\n|\r/) : rest.split(delimiter);
      if (lines.at(-1) === "") lines.pop();
      yield* lines;
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return this.iterContent();
  }

  async *#consume(
    source: AsyncIterable<Uint8Array> | undefined,
  ): AsyncGenerator<Uint8Array, void, undefined> {
    if (this.#state.kind === "streaming" || this.#state.kind === "closed" || source === undefined) {
      throw new StreamConsumedError("The body of this response was already consumed", { response: this });
    }
    this.#state = { kind: "streaming" };
    let complete = false;
    try {
      for await (const chunk of source) yield chunk;
      complete = true;
    } catch (error) {
      throw requestExceptionFrom(error, this.request, this);
    } finally {
      if (!complete) this.#cancel?.();
      this.#cancel = undefined;
    }
    const trailers = await this.#trailers;
    if (trailers) this.trailers = trailers;
  }

  /** Releases an unread body; the connection is closed or returned to the pool. */
  async close(): Promise<void> {
    if (this.#state.kind === "pending") {
      this.#state = { kind: "closed" };
      this.#cancel?.();
      this.#cancel = undefined;
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  toString(): string {
    return `<Response HTTP/${this.httpVersion / 10} [${this.statusCode}]>`;
  }
}
