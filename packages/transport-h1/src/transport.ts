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
import type { HTTP1Connector } from "./connector.js";
import { recoverParserErrorCodes } from "./error-mapping.js";
import { Exchange, type ExchangeSettings } from "./exchange.js";
import { OriginPool } from "./origin-pool.js";

/** Options of {@link HTTP1Transport}; every one has a default. */
export interface HTTP1TransportOptions {
  /**
   * How many origin pools (one per origin and TLS settings) are kept; past that the least
   * recently used one is closed gracefully. Default 10, as urllib3's `num_pools`.
   */
  readonly poolConnections?: number | undefined;
  /**
   * Most idle sockets kept per origin for reuse. Under more load, extra sockets open and close
   * after their request, as urllib3's pool does with `block=False`. Default 10.
   */
  readonly poolMaxsize?: number | undefined;
  /**
   * Makes `poolMaxsize` a cap on sockets open at once to one origin: further requests wait for a
   * free one, and the wait counts against the connect timeout (urllib3's `block=True`). Default false.
   */
  readonly poolBlock?: boolean | undefined;
  /** The local IP address to connect from (niquests' `source_address`). */
  readonly localAddress?: string | undefined;
  /** Resolve and connect over IPv4 only (4) or IPv6 only (6); default both. */
  readonly family?: 4 | 6 | undefined;
  /** Largest response head accepted, in bytes; default Node's `http.maxHeaderSize` (16 KiB). */
  readonly maxHeaderSize?: number | undefined;
  /** How long an idle socket is kept for reuse, in milliseconds, when the server does not say; default 4 000. */
  readonly keepAliveTimeout?: number | undefined;
  /**
   * A decoded body may exceed 16 MiB only while staying within this many times the compressed
   * bytes received; past both, reading fails with a `decoding` error. Default 100.
   */
  readonly maxDecompressionRatio?: number | undefined;
  /**
   * Opens the connections instead of the pools: `@nq/transport-router` passes the socket on
   * which the server picked `http/1.1` by ALPN. For `https:` the socket must be past its TLS
   * handshake; verification is then the connector's job.
   */
  readonly connect?: HTTP1Connector | undefined;
}

/**
 * HTTP/1.1 over undici: one keep-alive pool per origin (and TLS settings), response bodies
 * streamed with back-pressure and decoded on the fly, every failure a `TransportError`.
 */
export class HTTP1Transport implements Transport {
  /** This transport speaks HTTP/1.1 only. */
  readonly protocols: readonly Protocol[] = ["http/1.1"];
  readonly #pools: PoolRegistry<OriginPool>;
  readonly #poolMaxsize: number;
  readonly #poolBlock: boolean;
  readonly #localAddress: string | undefined;
  readonly #family: 4 | 6 | undefined;
  readonly #maxHeaderSize: number | undefined;
  readonly #keepAliveTimeout: number | undefined;
  readonly #settings: ExchangeSettings;
  readonly #connect: HTTP1Connector | undefined;
  // scheme://authority prefix of a URL → its canonical origin, so most sends parse no URL.
  readonly #origins = new Map<string, { readonly origin: string; readonly secure: boolean }>();
  #closed = false;

  /** Creates a transport; an origin's pool opens with the first request to it. */
  constructor(options: HTTP1TransportOptions = {}) {
    this.#pools = new PoolRegistry(positiveInteger("poolConnections", options.poolConnections, 10));
    this.#poolMaxsize = positiveInteger("poolMaxsize", options.poolMaxsize, 10);
    this.#poolBlock = options.poolBlock ?? false;
    this.#localAddress = checkLocalAddress(options.localAddress);
    this.#family = checkFamily(options.family);
    this.#maxHeaderSize =
      options.maxHeaderSize === undefined
        ? undefined
        : positiveInteger("maxHeaderSize", options.maxHeaderSize, 0);
    this.#keepAliveTimeout =
      options.keepAliveTimeout === undefined
        ? undefined
        : positiveInteger("keepAliveTimeout", options.keepAliveTimeout, 0);
    this.#settings = { maxDecompressionRatio: checkDecompressionRatio(options.maxDecompressionRatio) };
    this.#connect = options.connect;
    recoverParserErrorCodes();
  }

  /** True for `http:` and `https:` URLs. */
  canHandle(url: URL): boolean {
    return url.protocol === "http:" || url.protocol === "https:";
  }

  /**
   * Sends one request and resolves with the response head once it arrives; the body streams
   * after. Rejects with a `TransportError`, or with `options.signal.reason` when aborted.
   */
  send(request: PreparedRequest, options: SendOptions): Promise<TransportResponse> {
    if (this.#closed) return Promise.reject(transportClosedError());
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    let pool: OriginPool;
    try {
      pool = this.#poolFor(request.url, options);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Exchange(pool, request, options, this.#settings).start();
  }

  /** The canonical origin of a URL, parsed once per distinct `scheme://authority` prefix. */
  #originOf(href: string): { readonly origin: string; readonly secure: boolean } {
    const end = href.indexOf("/", href.indexOf("://") + 3);
    const prefix = end < 0 ? href : href.slice(0, end);
    const known = this.#origins.get(prefix);
    if (known !== undefined) return known;
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
    const secure = url.protocol === "https:";
    if (!secure && url.protocol !== "http:") {
      throw new TransportError(`The HTTP/1.1 transport cannot send ${url.protocol} URLs`, {
        kind: "protocol",
        phase: "connect",
        retryable: false,
      });
    }
    const entry = { origin: `${url.protocol}//${url.host}`, secure };
    // Bounded: a crawler's endless hosts must not grow it without end.
    if (this.#origins.size >= 1024) this.#origins.clear();
    this.#origins.set(prefix, entry);
    return entry;
  }

  #poolFor(href: string, options: SendOptions): OriginPool {
    const { origin, secure } = this.#originOf(href);
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
          maxSockets: this.#poolMaxsize,
          block: this.#poolBlock,
          localAddress: this.#localAddress,
          family: this.#family,
          maxHeaderSize: this.#maxHeaderSize,
          keepAliveTimeout: this.#keepAliveTimeout,
        }),
      )
    );
  }

  /**
   * Graceful: refuses new requests, waits for in-flight exchanges — including response bodies
   * not yet read to their end or cancelled — then closes every socket.
   */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#pools.close();
  }

  /**
   * Abrupt: fails in-flight exchanges — with `reason` when it is a `TransportError`, else with a
   * `closed` one caused by it — and closes every socket now.
   */
  async destroy(reason?: Error): Promise<void> {
    this.#closed = true;
    await this.#pools.destroy(reason);
  }

  /** Same as {@link HTTP1Transport.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
