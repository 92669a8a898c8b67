import {
  type PreparedRequest,
  type Protocol,
  type SendOptions,
  type Transport,
  TransportError,
  type TransportResponse,
} from "@nq/models";
import {
  checkDecompressionRatio,
  checkFamily,
  checkLocalAddress,
  PoolRegistry,
  positiveInteger,
  resolveTLS,
  tlsKey,
  transportClosedError,
} from "@nq/transport-node";
import type { ConnectionSettings } from "./connection.js";
import type { HTTP2Connector } from "./connector.js";
import { type ExchangeSettings, H2Exchange } from "./exchange.js";
import { OriginPool } from "./origin-pool.js";

/** Options of {@link HTTP2Transport}; every one has a default. */
export interface HTTP2TransportOptions {
  /**
   * How many origins (one per origin and TLS settings) keep their sessions; past that the least
   * recently used origin's sessions are closed gracefully. Default 10, as urllib3's `num_pools`.
   */
  readonly poolConnections?: number | undefined;
  /**
   * Most sessions (TCP connections) open at once to one origin. Concurrent requests share a
   * session; another is opened only when the server's SETTINGS_MAX_CONCURRENT_STREAMS is
   * reached. Past this many, requests wait for a free stream. Default 10.
   */
  readonly poolMaxsize?: number | undefined;
  /** The local IP address to connect from (niquests' `source_address`). */
  readonly localAddress?: string | undefined;
  /** Resolve and connect over IPv4 only (4) or IPv6 only (6); default both. */
  readonly family?: 4 | 6 | undefined;
  /**
   * How long, in milliseconds, a session is kept after its last stream ended; PINGs keep it
   * alive meanwhile. `null`: until the server closes it. Default 600 000, as niquests.
   */
  readonly keepaliveDelay?: number | null | undefined;
  /**
   * Milliseconds of silence on a session after which a PING checks the server is still there;
   * a PING unanswered for as long again destroys the session. `null`: no PINGs. Default 60 000,
   * as niquests.
   */
  readonly keepaliveIdleWindow?: number | null | undefined;
  /**
   * Speak h2c (HTTP/2 in cleartext, with prior knowledge) to `http:` URLs. Off by default: then
   * the transport serves `https:` only, as an `http:` origin rarely speaks HTTP/2.
   */
  readonly h2c?: boolean | undefined;
  /**
   * Opens the connections instead of the transport (which otherwise connects TCP, then TLS with
   * ALPN `h2`): `@nq/transport-router` passes the socket it negotiated `h2` on. For `https:` the
   * socket must be TLS-established with ALPN `h2`; verification is then the connector's job.
   */
  readonly connect?: HTTP2Connector | undefined;
  /**
   * A decoded body may exceed 16 MiB only while staying within this many times the compressed
   * bytes received; past both, reading fails with a `decoding` error. Default 100.
   */
  readonly maxDecompressionRatio?: number | undefined;
  /** SETTINGS_INITIAL_WINDOW_SIZE announced to servers: bytes one stream may have in flight. Default 8 MiB. */
  readonly streamWindowSize?: number | undefined;
  /** The session's receive window, shared by its streams. Default 16 MiB. */
  readonly connectionWindowSize?: number | undefined;
}

function delayOrNull(name: string, value: number | null | undefined, fallback: number): number | null {
  if (value === undefined) return fallback;
  if (value === null) return null;
  if (!(Number.isFinite(value) && value > 0))
    throw new RangeError(`${name} must be positive or null, not ${value}`);
  return value;
}

// RFC 9113 §6.9.2: a window cannot exceed 2^31-1.
const MAX_WINDOW = 2 ** 31 - 1;

function windowSize(name: string, value: number | undefined, fallback: number): number {
  const size = positiveInteger(name, value, fallback);
  if (size < 65_535 || size > MAX_WINDOW)
    throw new RangeError(`${name} must be between 65535 and ${MAX_WINDOW}, not ${size}`);
  return size;
}

/**
 * HTTP/2 on node:http2: one multiplexed session per origin (and TLS settings) shared by every
 * concurrent request, more only when the server's stream limit is reached; request and response
 * bodies streamed under flow control; GOAWAY and REFUSED_STREAM replayed where the server never
 * processed the stream; every failure a `TransportError`.
 */
export class HTTP2Transport implements Transport {
  /** This transport speaks HTTP/2 only. */
  readonly protocols: readonly Protocol[] = ["h2"];
  readonly #pools: PoolRegistry<OriginPool>;
  readonly #poolMaxsize: number;
  readonly #localAddress: string | undefined;
  readonly #family: 4 | 6 | undefined;
  readonly #h2c: boolean;
  readonly #connect: HTTP2Connector | undefined;
  readonly #connection: ConnectionSettings;
  readonly #settings: ExchangeSettings;
  #lastHref: string | undefined;
  #lastUrl: URL | undefined;
  #closed = false;

  /** Creates a transport; an origin's first session opens with the first request to it. */
  constructor(options: HTTP2TransportOptions = {}) {
    this.#pools = new PoolRegistry(positiveInteger("poolConnections", options.poolConnections, 10));
    this.#poolMaxsize = positiveInteger("poolMaxsize", options.poolMaxsize, 10);
    this.#localAddress = checkLocalAddress(options.localAddress);
    this.#family = checkFamily(options.family);
    this.#h2c = options.h2c ?? false;
    this.#connect = options.connect;
    this.#connection = {
      keepaliveDelay: delayOrNull("keepaliveDelay", options.keepaliveDelay, 600_000),
      keepaliveIdleWindow: delayOrNull("keepaliveIdleWindow", options.keepaliveIdleWindow, 60_000),
      streamWindowSize: windowSize("streamWindowSize", options.streamWindowSize, 8 * 1024 * 1024),
      connectionWindowSize: windowSize(
        "connectionWindowSize",
        options.connectionWindowSize,
        16 * 1024 * 1024,
      ),
    };
    this.#settings = { maxDecompressionRatio: checkDecompressionRatio(options.maxDecompressionRatio) };
  }

  /** True for `https:` URLs, and for `http:` ones when `h2c` is on. */
  canHandle(url: URL): boolean {
    return url.protocol === "https:" || (this.#h2c && url.protocol === "http:");
  }

  /**
   * Sends one request on a stream of the origin's session and resolves with the response head
   * once it arrives; the body streams after. Rejects with a `TransportError`, or with
   * `options.signal.reason` when aborted.
   */
  send(request: PreparedRequest, options: SendOptions): Promise<TransportResponse> {
    if (this.#closed) return Promise.reject(transportClosedError());
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    let url: URL;
    let pool: OriginPool;
    try {
      url = this.#parse(request.url);
      pool = this.#poolFor(url, options);
    } catch (error) {
      return Promise.reject(error);
    }
    return new H2Exchange(pool, request, url, options, this.#settings).start();
  }

  #parse(href: string): URL {
    // A client sending to one URL over and over parses it once; URL objects are only read here.
    if (href === this.#lastHref && this.#lastUrl !== undefined) return this.#lastUrl;
    let url: URL;
    try {
      url = new URL(href);
    } catch (cause) {
      throw new TransportError(`Invalid URL: ${href}`, {
        kind: "protocol",
        phase: "connect",
        retryable: false,
        cause,
      });
    }
    if (!this.canHandle(url)) {
      const why = url.protocol === "http:" ? " (h2c is off: pass `h2c: true` for HTTP/2 in cleartext)" : "";
      throw new TransportError(`The HTTP/2 transport cannot send ${url.protocol} URLs${why}`, {
        kind: "protocol",
        phase: "connect",
        retryable: false,
      });
    }
    this.#lastHref = href;
    this.#lastUrl = url;
    return url;
  }

  #poolFor(url: URL, options: SendOptions): OriginPool {
    const secure = url.protocol === "https:";
    const origin = `${url.protocol}//${url.host}`;
    const key = secure ? `${origin}\0${tlsKey(options.verify, options.cert)}` : origin;
    return (
      this.#pools.get(key) ??
      this.#pools.add(
        key,
        new OriginPool({
          origin: new URL(origin),
          // With a connector, verification is the connector's: nothing to load here.
          tls: secure && this.#connect === undefined ? resolveTLS(options.verify, options.cert) : undefined,
          verify: options.verify,
          cert: options.cert,
          connect: this.#connect,
          maxSessions: this.#poolMaxsize,
          localAddress: this.#localAddress,
          family: this.#family,
          connection: this.#connection,
        }),
      )
    );
  }

  /**
   * Graceful: refuses new requests, waits for in-flight exchanges — including response bodies
   * not yet read to their end or cancelled — then closes every session (GOAWAY, then the socket).
   */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#pools.close();
  }

  /**
   * Abrupt: fails in-flight exchanges — with `reason` when it is a `TransportError`, else with a
   * `closed` one caused by it — and closes every session now.
   */
  async destroy(reason?: Error): Promise<void> {
    this.#closed = true;
    await this.#pools.destroy(reason);
  }

  /** Same as {@link HTTP2Transport.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
