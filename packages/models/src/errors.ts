/**
 * The niquests exception tree, drawn once:
 *
 * ```
 * RequestException
 * ├── HTTPError
 * ├── ConnectionError
 * │   ├── ProxyError
 * │   ├── SSLError
 * │   └── ConnectTimeout ─┐ (also a Timeout)
 * ├── Timeout             │
 * │   ├── ReadTimeout     │
 * │   └── ConnectTimeout ◄┘
 * ├── URLRequired
 * ├── TooManyRedirects
 * ├── MissingSchema
 * ├── InvalidSchema
 * ├── InvalidURL
 * │   └── InvalidProxyURL
 * ├── InvalidHeader
 * ├── InvalidJSONError
 * │   └── JSONDecodeError
 * ├── ChunkedEncodingError
 * ├── ContentDecodingError
 * ├── StreamConsumedError
 * ├── RetryError
 * ├── UnrewindableBodyError
 * └── MultiplexingError
 * ```
 *
 * `instanceof` checks a brand carried by the instance (`Symbol.for`), not the
 * prototype chain, so it holds across two installed copies of this package and
 * lets `ConnectTimeout` be both a `ConnectionError` and a `Timeout`.
 *
 * @packageDocumentation
 */

import type { PreparedRequest } from "./request.js";
import type { Response } from "./response.js";

const BRANDS = Symbol.for("nq.error.brands");
const OWN_BRANDS = Symbol.for("nq.error.ownBrands");

type Branded = { [BRANDS]?: ReadonlySet<string> };
type BrandedClass = Function & { [OWN_BRANDS]?: readonly string[] };

function defineError(ctor: BrandedClass, name: string, also: readonly string[] = []): void {
  Object.defineProperty(ctor.prototype, "name", { value: name, writable: true, configurable: true });
  Object.defineProperty(ctor, OWN_BRANDS, { value: [name, ...also] });
}

function brandsOf(ctor: BrandedClass): ReadonlySet<string> {
  const brands = new Set<string>();
  for (
    let c: BrandedClass | null = ctor;
    c && c !== Error;
    c = Object.getPrototypeOf(c) as BrandedClass | null
  ) {
    if (Object.hasOwn(c, OWN_BRANDS)) for (const b of c[OWN_BRANDS]!) brands.add(b);
  }
  return brands;
}

/** Options every nq exception accepts. */
export interface RequestExceptionOptions {
  /** The request that failed, when there is one. */
  readonly request?: PreparedRequest | undefined;
  /** The response that caused the failure, when there is one. */
  readonly response?: Response | undefined;
  /** The lower-level error this one wraps. */
  readonly cause?: unknown;
}

/** The root of every error nq raises about a request. */
export class RequestException extends Error {
  static {
    defineError(this, "RequestException");
  }

  /** The request that failed, when there is one. */
  request: PreparedRequest | undefined;
  /** The response that caused the failure, when there is one. */
  response: Response | undefined;

  constructor(message = "", options: RequestExceptionOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.response = options.response;
    this.request = options.request ?? options.response?.request;
    Object.defineProperty(this, BRANDS, { value: brandsOf(new.target as BrandedClass) });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    // A user's subclass has no brand of its own: judge it by its prototype chain.
    if (!Object.hasOwn(this, OWN_BRANDS)) return Function.prototype[Symbol.hasInstance].call(this, value);
    const brands = (value as Branded | null | undefined)?.[BRANDS];
    return brands instanceof Set && brands.has((this as BrandedClass)[OWN_BRANDS]![0]!);
  }
}

/** An HTTP error status, raised by `raiseForStatus()`. */
export class HTTPError extends RequestException {
  static {
    defineError(this, "HTTPError");
  }
}

/** A connection could not be made or broke before a response arrived. */
export class ConnectionError extends RequestException {
  static {
    defineError(this, "ConnectionError");
  }
}

/** The proxy could not be reached or refused the request. */
export class ProxyError extends ConnectionError {
  static {
    defineError(this, "ProxyError");
  }
}

/** The TLS handshake failed, for example on an untrusted or expired certificate. */
export class SSLError extends ConnectionError {
  static {
    defineError(this, "SSLError");
  }
}

/** The request timed out; catching this catches both connect and read timeouts. */
export class Timeout extends RequestException {
  static {
    defineError(this, "Timeout");
  }
}

/** Connecting took longer than the connect timeout; safe to retry. It is also a `Timeout`. */
export class ConnectTimeout extends ConnectionError {
  static {
    defineError(this, "ConnectTimeout", ["Timeout"]);
  }
}

/** The server sent no data for longer than the read timeout. */
export class ReadTimeout extends Timeout {
  static {
    defineError(this, "ReadTimeout");
  }
}

/** A valid URL is required to make a request. */
export class URLRequired extends RequestException {
  static {
    defineError(this, "URLRequired");
  }
}

/** More redirects were followed than `maxRedirects` allows. */
export class TooManyRedirects extends RequestException {
  static {
    defineError(this, "TooManyRedirects");
  }
}

/** The URL has no scheme (`http://` or `https://`). */
export class MissingSchema extends RequestException {
  static {
    defineError(this, "MissingSchema");
  }
}

/** No transport serves the URL's scheme. */
export class InvalidSchema extends RequestException {
  static {
    defineError(this, "InvalidSchema");
  }
}

/** The URL is not valid. */
export class InvalidURL extends RequestException {
  static {
    defineError(this, "InvalidURL");
  }
}

/** The proxy URL is not valid. */
export class InvalidProxyURL extends InvalidURL {
  static {
    defineError(this, "InvalidProxyURL");
  }
}

/** A header name or value is not valid (CR/LF, leading whitespace, bad token, oversized). */
export class InvalidHeader extends RequestException {
  static {
    defineError(this, "InvalidHeader");
  }
}

/** The `json` body could not be serialised (NaN, Infinity, a cycle, a BigInt). */
export class InvalidJSONError extends RequestException {
  static {
    defineError(this, "InvalidJSONError");
  }
}

/** The response body is not valid JSON. */
export class JSONDecodeError extends InvalidJSONError {
  static {
    defineError(this, "JSONDecodeError");
  }
}

/** The body ended before its declared length or chunked framing was complete. */
export class ChunkedEncodingError extends RequestException {
  static {
    defineError(this, "ChunkedEncodingError");
  }
}

/** The body could not be decompressed, or decompressed beyond the allowed size. */
export class ContentDecodingError extends RequestException {
  static {
    defineError(this, "ContentDecodingError");
  }
}

/** The streamed body was already consumed. */
export class StreamConsumedError extends RequestException {
  static {
    defineError(this, "StreamConsumedError");
  }
}

/** The retry budget ran out; `cause` holds the last failure. */
export class RetryError extends RequestException {
  static {
    defineError(this, "RetryError");
  }
}

/** The request body could not be sent again (a one-shot stream on a 307/308 or a retry). */
export class UnrewindableBodyError extends RequestException {
  static {
    defineError(this, "UnrewindableBodyError");
  }
}

/** A multiplexed response was used in a way its state does not allow. */
export class MultiplexingError extends RequestException {
  static {
    defineError(this, "MultiplexingError");
  }
}

/** What went wrong at the transport level; the session maps it to a niquests exception. */
export type TransportErrorKind =
  | "connect"
  | "tls"
  | "timeout"
  | "aborted"
  | "reset"
  | "protocol"
  | "closed"
  | "header"
  | "decoding"
  | "proxy";

/** Where in the exchange a transport error happened. */
export type TransportErrorPhase = "connect" | "send" | "head" | "body";

/** Options of {@link TransportError}. */
export interface TransportErrorOptions {
  readonly kind: TransportErrorKind;
  readonly phase: TransportErrorPhase;
  /** True when the server cannot have processed any of the request, so any method may be sent again. */
  readonly retryable: boolean;
  /** The native error code (`ECONNREFUSED`, `UND_ERR_SOCKET`, `NGHTTP2_REFUSED_STREAM`…), when known. */
  readonly code?: string | undefined;
  readonly cause?: unknown;
}

const TRANSPORT_BRAND = Symbol.for("nq.error.TransportError");

/** The one error a transport throws: a kind, a phase and whether replaying is safe, never a message to parse. */
export class TransportError extends Error {
  static {
    Object.defineProperty(this.prototype, "name", {
      value: "TransportError",
      writable: true,
      configurable: true,
    });
  }

  readonly kind: TransportErrorKind;
  readonly phase: TransportErrorPhase;
  readonly retryable: boolean;
  readonly code: string | undefined;

  constructor(message: string, options: TransportErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = options.kind;
    this.phase = options.phase;
    this.retryable = options.retryable;
    this.code = options.code;
    Object.defineProperty(this, TRANSPORT_BRAND, { value: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return (value as { [TRANSPORT_BRAND]?: boolean } | null | undefined)?.[TRANSPORT_BRAND] === true;
  }
}

/**
 * Turns what a transport or body stream threw into the niquests exception a caller expects,
 * attaching the request and response. An abort reason and an existing `RequestException` pass
 * through (the latter with the request filled in when it had none).
 */
export function requestExceptionFrom(
  error: unknown,
  request?: PreparedRequest,
  response?: Response,
): unknown {
  if (error instanceof RequestException) {
    error.request ??= request;
    error.response ??= response;
    return error;
  }
  if (!(error instanceof TransportError)) return error;
  const options = { request, response, cause: error };
  const message = error.message;
  switch (error.kind) {
    case "timeout":
      if (error.phase === "connect") return new ConnectTimeout(message, options);
      // Requests raises ConnectionError, not ReadTimeout, for a stall in the middle of the body.
      if (error.phase === "body") return new ConnectionError(message, options);
      return new ReadTimeout(message, options);
    case "tls":
      return new SSLError(message, options);
    case "proxy":
      return new ProxyError(message, options);
    case "header":
      return new InvalidHeader(message, options);
    case "decoding":
      return new ContentDecodingError(message, options);
    case "reset":
    case "protocol":
    case "closed":
      return error.phase === "body"
        ? new ChunkedEncodingError(message, options)
        : new ConnectionError(message, options);
    default:
      return new ConnectionError(message, options);
  }
}
