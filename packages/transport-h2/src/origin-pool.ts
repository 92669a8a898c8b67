/**
 * The sessions of one origin (and TLS settings) and the requests waiting for a stream on one.
 *
 * Requests go to the first ready session below the server's SETTINGS_MAX_CONCURRENT_STREAMS.
 * When every session is full (or still opening with more requests waiting than it is assumed to
 * take), another session is opened, up to `maxSessions`; past that, requests wait in FIFO order
 * for a stream to end. A request that waits counts against its connect timeout.
 */
import type { TLSClientCert, TLSVerify, TransportError } from "@nq/models";
import { LiveSet, type LiveSetMember, originEndpoint, type TLSConnectSettings } from "@nq/transport-node";
import {
  ASSUMED_MAX_STREAMS,
  type ConnectionOwner,
  type ConnectionSettings,
  H2Connection,
} from "./connection.js";
import {
  connectOwn,
  type HTTP2ConnectedSocket,
  type HTTP2Connector,
  type HTTP2ConnectTarget,
  type OwnConnectSettings,
} from "./connector.js";

/** A request as the pool sees it: something that waits for a stream, then runs on one. */
export interface PooledExchange extends LiveSetMember {
  /** Starts the exchange's stream on `connection`, whose slot the pool has already taken. */
  attach(connection: H2Connection): void;
  /** Fails the waiting exchange: its connection could not be opened, or the pool was destroyed. */
  failWaiting(error: unknown): void;
  /** Fails the exchange wherever it stands: the pool is destroyed with `reason`. */
  destroyed(reason: Error | undefined): void;
}

/** How one origin's sessions are opened. */
export interface OriginPoolOptions {
  /** `https://host:port` or `http://host:port` (h2c). */
  readonly origin: URL;
  /** Set for `https:` origins when the transport opens its own connections. */
  readonly tls: TLSConnectSettings | undefined;
  readonly verify: TLSVerify;
  readonly cert: TLSClientCert | null | undefined;
  /** The caller's connector, or `undefined` to connect with {@link connectOwn}. */
  readonly connect: HTTP2Connector | undefined;
  readonly maxSessions: number;
  readonly localAddress: string | undefined;
  readonly family: 4 | 6 | undefined;
  readonly connection: ConnectionSettings;
}

/** The sessions of one origin and TLS settings, and the queue of requests waiting for a stream. */
export class OriginPool implements ConnectionOwner {
  readonly origin: URL;
  /** Set by `destroy(reason)`: exchanges failing with this very error pass it through. */
  destroyReason: Error | undefined;
  readonly #options: OriginPoolOptions;
  readonly #hostname: string;
  readonly #port: number;
  readonly #servername: string | undefined;
  readonly #own: OwnConnectSettings;
  readonly #connections: H2Connection[] = [];
  // Every connection not yet closed, including draining ones: close() and destroy() wait for them.
  readonly #open = new Set<H2Connection>();
  // FIFO of waiting exchanges; a slot is `undefined` once its exchange gave up.
  #queue: (PooledExchange | undefined)[] = [];
  #queueHead = 0;
  #waiting = 0;
  readonly #live = new LiveSet<PooledExchange>();
  #scheduling = false;
  #idle: (() => void) | undefined;
  #closing: Promise<void> | undefined;
  #destroyed = false;

  constructor(options: OriginPoolOptions) {
    this.#options = options;
    this.origin = options.origin;
    const endpoint = originEndpoint(options.origin);
    this.#hostname = endpoint.hostname;
    this.#port = endpoint.port;
    // SNI and the certificate check use the URL host; an IP literal gets no SNI (RFC 6066 §3).
    this.#servername = endpoint.servername;
    this.#own = { tls: options.tls, tlsSession: undefined };
  }

  /** True while the pool accepts work. */
  get open(): boolean {
    return this.#closing === undefined && !this.#destroyed;
  }

  /** Queues a new exchange; it runs as soon as a session has a free stream. */
  acquire(exchange: PooledExchange): void {
    this.#live.add(exchange);
    this.#enqueue(exchange);
  }

  /** Queues an exchange again (its stream was refused or above a GOAWAY): it goes first. */
  requeue(exchange: PooledExchange): void {
    if (this.#queueHead > 0) this.#queue[--this.#queueHead] = exchange;
    else this.#queue.unshift(exchange);
    this.#waiting++;
    this.#schedule();
  }

  #enqueue(exchange: PooledExchange): void {
    this.#queue.push(exchange);
    this.#waiting++;
    this.#schedule();
  }

  /** The waiting exchange gave up (timed out or aborted) before it got a stream. */
  giveUp(exchange: PooledExchange): void {
    const queue = this.#queue;
    for (let i = this.#queueHead; i < queue.length; i++) {
      if (queue[i] === exchange) {
        queue[i] = undefined;
        this.#waiting--;
        break;
      }
    }
    this.#afterWaitChange();
  }

  /** The exchange is over (its stream closed, or it failed before getting one). */
  exchangeDone(exchange: PooledExchange): void {
    if (!this.#live.delete(exchange)) return;
    if (this.#live.size === 0 && this.#idle !== undefined) this.#idle();
  }

  #dequeue(): PooledExchange | undefined {
    const queue = this.#queue;
    while (this.#queueHead < queue.length) {
      const exchange = queue[this.#queueHead];
      queue[this.#queueHead++] = undefined;
      if (exchange !== undefined) {
        this.#waiting--;
        if (this.#queueHead > 64 && this.#queueHead * 2 > queue.length) {
          this.#queue = queue.slice(this.#queueHead);
          this.#queueHead = 0;
        }
        return exchange;
      }
    }
    this.#queue = [];
    this.#queueHead = 0;
    return undefined;
  }

  #schedule(): void {
    // Attaching can end a stream synchronously (node:http2 refuses it), which lands back here.
    if (this.#scheduling) return;
    this.#scheduling = true;
    try {
      while (this.#waiting > 0) {
        const connection = this.#available();
        if (connection === undefined) break;
        const exchange = this.#dequeue();
        if (exchange === undefined) break;
        exchange.attach(connection);
      }
      this.#openIfNeeded();
    } finally {
      this.#scheduling = false;
    }
    this.#afterWaitChange();
  }

  #available(): H2Connection | undefined {
    // First fit: load concentrates on the oldest sessions, so spare ones go idle and close.
    for (const connection of this.#connections) if (connection.available) return connection;
    return undefined;
  }

  #openIfNeeded(): void {
    if (this.#waiting === 0 || !this.open) return;
    let opening = 0;
    for (const connection of this.#connections) if (connection.connecting) opening++;
    // Each session still opening is expected to take ASSUMED_MAX_STREAMS of the queue.
    while (
      this.#waiting > opening * ASSUMED_MAX_STREAMS &&
      this.#connections.length < this.#options.maxSessions
    ) {
      this.#openConnection();
      opening++;
    }
  }

  #openConnection(): void {
    const options = this.#options;
    const connection = new H2Connection(this, options.origin, options.connection);
    this.#connections.push(connection);
    this.#open.add(connection);
    const target: HTTP2ConnectTarget = {
      origin: options.origin,
      hostname: this.#hostname,
      port: this.#port,
      servername: this.#servername,
      protocol: "h2",
      verify: options.verify,
      cert: options.cert,
      localAddress: options.localAddress,
      family: options.family,
      signal: connection.signal,
    };
    let connecting: Promise<HTTP2ConnectedSocket>;
    try {
      connecting = options.connect === undefined ? connectOwn(target, this.#own) : options.connect(target);
    } catch (error) {
      connecting = Promise.reject(error);
    }
    connection.open(connecting);
  }

  // Nobody left waiting: a session still opening (a black-holed SYN, a silent TLS server) would
  // only leak until the OS gives up, so the attempt is abandoned, as @nq/transport-h1 does.
  #afterWaitChange(): void {
    if (this.#waiting > 0) return;
    for (const connection of [...this.#connections]) {
      if (!connection.connecting) continue;
      this.#remove(connection);
      connection.abandon(new Error("Connection attempt abandoned: no request is waiting for it"));
    }
  }

  #remove(connection: H2Connection): void {
    const index = this.#connections.indexOf(connection);
    if (index >= 0) this.#connections.splice(index, 1);
  }

  // ---- ConnectionOwner ----

  connectionReady(): void {
    this.#schedule();
  }

  connectionFailed(connection: H2Connection, error: TransportError): void {
    this.#open.delete(connection);
    if (this.#connections.indexOf(connection) < 0) return;
    this.#remove(connection);
    // Another session may still serve the queue; without one, the queue shares this failure.
    if (this.#connections.some((c) => c.usable)) {
      this.#schedule();
      return;
    }
    const failed: PooledExchange[] = [];
    for (let exchange = this.#dequeue(); exchange !== undefined; exchange = this.#dequeue())
      failed.push(exchange);
    for (const exchange of failed) exchange.failWaiting(error);
  }

  connectionDraining(connection: H2Connection): void {
    this.#remove(connection);
    this.#schedule();
  }

  connectionClosed(connection: H2Connection): void {
    this.#open.delete(connection);
    this.#remove(connection);
    this.#schedule();
  }

  capacityChanged(): void {
    if (this.#waiting > 0) this.#schedule();
  }

  // ---- lifecycle ----

  /** Graceful: waits until no exchange uses the pool, then closes every session. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      if (this.#live.size > 0) {
        await new Promise<void>((resolve) => {
          this.#idle = resolve;
        });
      }
      await Promise.all([...this.#open].map((connection) => connection.close()));
    })();
    return this.#closing;
  }

  /** True once `destroy` ran: exchanges leave failing to it. */
  get destroyed(): boolean {
    return this.#destroyed;
  }

  /**
   * Abrupt: closes every session now, then fails every exchange (see the exchange's
   * `destroyed`). The exchanges fail last, in the same tick `destroy` settles: a caller that
   * awaits `destroy()` before looking at its requests never sees an unhandled rejection.
   */
  async destroy(reason: Error | undefined): Promise<void> {
    this.#destroyed = true;
    this.destroyReason ??= reason;
    for (let exchange = this.#dequeue(); exchange !== undefined; exchange = this.#dequeue());
    this.#connections.length = 0;
    await Promise.all([...this.#open].map((connection) => connection.destroy()));
    for (const exchange of this.#live.snapshot()) exchange.destroyed(reason);
  }
}
