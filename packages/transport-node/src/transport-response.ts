import {
  type ConnectionInfo,
  type Headers,
  type HttpVersion,
  StreamConsumedError,
  type TransportResponse,
} from "@nq/models";
import { type ContentCoding, decodeBody } from "./content-decoding.js";
import type { ResponseBody } from "./response-body.js";

/** What the response needs from the exchange behind it. */
export interface ResponseOwner {
  /** The consumer released the body: stop receiving it. */
  cancel(): void;
  /** The trailers, once the body has ended (`undefined` when there are none). */
  trailers(): Promise<Headers | undefined>;
}

/** The parts of a response head, as the exchange read them. */
export interface ResponseHead {
  /** The final status code. */
  readonly statusCode: number;
  /** The reason phrase: as sent over HTTP/1.1, the standard one for HTTP/2. */
  readonly reason: string;
  /** The HTTP version the response came in. */
  readonly httpVersion: HttpVersion;
  /** The response's header fields. */
  readonly headers: Headers;
  /** The connection that served the response. */
  readonly connInfo: ConnectionInfo | undefined;
  /** The codings to undo for `body`, or `undefined` to hand the bytes out as received. */
  readonly codings: readonly ContentCoding[] | undefined;
  /** The transport's `maxDecompressionRatio`, for {@link decodeBody}. */
  readonly maxDecompressionRatio: number;
}

class BodyView implements AsyncIterable<Uint8Array> {
  readonly #response: StreamingResponse;
  readonly #decoded: boolean;

  constructor(response: StreamingResponse, decoded: boolean) {
    this.#response = response;
    this.#decoded = decoded;
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return this.#response.openBody(this.#decoded);
  }
}

/**
 * A response head with its body still streaming, as both Node transports hand it out; `body` and
 * `rawBody` share one stream.
 */
export class StreamingResponse implements TransportResponse {
  /** The final status code. */
  readonly statusCode: number;
  /** The reason phrase. */
  readonly reason: string;
  /** The HTTP version the response came in. */
  readonly httpVersion: HttpVersion;
  /** The response's header fields. */
  readonly headers: Headers;
  /** The connection that served the response. */
  readonly connInfo: ConnectionInfo | undefined;
  readonly #owner: ResponseOwner;
  readonly #raw: ResponseBody;
  readonly #codings: readonly ContentCoding[] | undefined;
  readonly #maxRatio: number;
  #opened: "body" | "rawBody" | undefined;
  #decoder: AsyncIterator<Uint8Array> | undefined;
  #body: BodyView | undefined;
  #rawBody: BodyView | undefined;

  constructor(owner: ResponseOwner, head: ResponseHead, raw: ResponseBody) {
    this.statusCode = head.statusCode;
    this.reason = head.reason;
    this.httpVersion = head.httpVersion;
    this.headers = head.headers;
    this.connInfo = head.connInfo;
    this.#owner = owner;
    this.#raw = raw;
    this.#codings = head.codings;
    this.#maxRatio = head.maxDecompressionRatio;
  }

  /** The body with its Content-Encoding removed. */
  get body(): AsyncIterable<Uint8Array> {
    this.#body ??= new BodyView(this, true);
    return this.#body;
  }

  /** The body as received. */
  get rawBody(): AsyncIterable<Uint8Array> {
    this.#rawBody ??= new BodyView(this, false);
    return this.#rawBody;
  }

  /** The trailers, once the body has been read to its end; `undefined` when there are none. */
  get trailers(): Promise<Headers | undefined> {
    return this.#owner.trailers();
  }

  /** @internal Opens the one stream behind `body` and `rawBody`. */
  openBody(decoded: boolean): AsyncIterator<Uint8Array> {
    const which = decoded ? "body" : "rawBody";
    if (this.#opened !== undefined) {
      throw new StreamConsumedError(
        this.#opened === which
          ? `The response ${which} has already been iterated`
          : `The response ${this.#opened} has already been iterated; body and rawBody share one stream`,
      );
    }
    this.#opened = which;
    if (!decoded || this.#codings === undefined) return this.#raw;
    this.#decoder = decodeBody(this.#raw, this.#codings, { maxRatio: this.#maxRatio });
    return this.#decoder;
  }

  /** Releases the body unread; the exchange decides what becomes of the connection. */
  cancel(_reason?: unknown): void {
    void this.#decoder?.return?.().catch(() => {});
    this.#owner.cancel();
  }
}
