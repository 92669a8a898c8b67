/**
 * One undici `Pool` per origin and TLS settings, with the bookkeeping undici does not do:
 * which socket served a request, when a connection attempt no longer has anyone waiting for it,
 * and when the pool is idle enough to close.
 */
import { performance } from "node:perf_hooks";
import type { TLSClientCert, TLSVerify } from "@nq/models";
import { openSocket, originEndpoint, type TLSConnectSettings } from "@nq/transport-node";
import { type buildConnector, Client, type Dispatcher, errors, Pool } from "undici";
import { SocketRecord } from "./connection-info.js";
import type { HTTP1Connector } from "./connector.js";

/** How one origin's sockets are opened and kept. */
export interface OriginPoolOptions {
  /** `http://host:port` or `https://host:port`. */
  readonly origin: URL;
  /** Set for `https:` origins the pool connects to itself (no `connect`). */
  readonly tls: TLSConnectSettings | undefined;
  /** The TLS settings as the requests gave them, for `connect`. */
  readonly verify: TLSVerify;
  readonly cert: TLSClientCert | null | undefined;
  /** Opens the sockets instead of the pool, when set. */
  readonly connect: HTTP1Connector | undefined;
  readonly maxSockets: number;
  readonly localAddress: string | undefined;
  readonly family: 4 | 6 | undefined;
  readonly maxHeaderSize: number | undefined;
  readonly keepAliveTimeout: number | undefined;
}

/** A dispatch handler that wants to know which client (and so which socket) serves it. */
export interface ClientBoundHandler extends Dispatcher.DispatchHandler {
  bindClient(client: OriginClient): void;
}

function isClientBound(handler: Dispatcher.DispatchHandler): handler is ClientBoundHandler {
  return typeof (handler as Partial<ClientBoundHandler>).bindClient === "function";
}

/**
 * An undici `Client` (one socket) that tells the pool it is free as soon as our exchange on it
 * ends. undici's `Client` only reports itself free a tick after the response completes (it
 * waits for a `setImmediate` before reusing a socket), and its `Pool` opens a second socket for a
 * request sent in that window: ten sequential GETs made two connections. Counting our own
 * exchanges and emitting `drain` when the count drops to zero keeps them on one socket; undici
 * still waits its tick before writing, inside the client's own queue.
 */
export class OriginClient extends Client {
  /** The socket this client holds now, as the connector opened it. */
  socket: SocketRecord | undefined;
  readonly #origin: URL;
  #active = 0;

  constructor(origin: URL, options: Client.Options) {
    super(origin, options);
    this.#origin = origin;
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const bound = isClientBound(handler);
    if (bound) {
      this.#active++;
      handler.bindClient(this);
    }
    super.dispatch(options, handler);
    // The pool gives a client more work only while this says true: one exchange at a time.
    return this.#active === 0;
  }

  /** Our exchange on this client is over (completed or failed): the client may take the next one. */
  release(): void {
    this.#active--;
    // Deferred: `release` runs inside undici's callbacks, and the pool would dispatch into this
    // same client re-entrantly. The microtask is queued before the exchange resolves its
    // consumer, so a sequential caller's next request already finds the client free.
    if (this.#active === 0) queueMicrotask(this.#drain);
  }

  readonly #drain = (): void => {
    // The pool's listener takes the client list as a second argument the typings leave out.
    const emit = this.emit as (event: "drain", origin: URL, targets: readonly Dispatcher[]) => boolean;
    if (this.#active === 0 && !this.closed && !this.destroyed) emit.call(this, "drain", this.#origin, [this]);
  };
}

/** The undici pool of one origin (and TLS settings), and what our exchanges do with it. */
export class OriginPool {
  readonly origin: URL;
  /** The name sent as SNI and checked against the certificate: the URL host, none for an IP. */
  readonly servername: string | undefined;
  /**
   * What every request of this pool tells undici as its `servername`: one constant, the host.
   * undici reconnects whenever the value changes between requests, and without it would derive
   * one from a caller's Host header. Our connector decides the real SNI ({@link servername}).
   */
  readonly dispatchServername: string;
  /** Set by `destroy(reason)`: exchanges failing with this very error pass it through. */
  destroyReason: Error | undefined;
  #destroyed = false;
  readonly #pool: Pool;
  readonly #options: OriginPoolOptions;
  readonly #hostname: string;
  readonly #port: number;
  // Attempts in progress: sockets being opened, or a connector's attempt (ended through its signal).
  readonly #connecting = new Set<{ destroy(error?: Error): unknown }>();
  #tlsSession: Buffer | undefined;
  #live = 0;
  #waiting = 0;
  #idle: (() => void) | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: OriginPoolOptions) {
    this.#options = options;
    this.origin = options.origin;
    const endpoint = originEndpoint(options.origin);
    this.#hostname = endpoint.hostname;
    this.#port = endpoint.port;
    this.servername = endpoint.servername;
    this.dispatchServername = this.#hostname;
    const clientOptions: Client.Options = {
      pipelining: 1,
      allowH2: false,
      ...(options.maxHeaderSize === undefined ? {} : { maxHeaderSize: options.maxHeaderSize }),
      ...(options.keepAliveTimeout === undefined ? {} : { keepAliveTimeout: options.keepAliveTimeout }),
    };
    this.#pool = new Pool(options.origin, {
      ...clientOptions,
      connections: options.maxSockets,
      factory: (origin, opts) => {
        // Each client gets its own connector so the socket it opens can be recorded on it.
        const client: OriginClient = new OriginClient(origin, {
          ...(opts as Client.Options),
          connect: (_target, callback) => this.#connect(client, callback),
        });
        return client;
      },
    });
  }

  /** True while the pool accepts work. */
  get open(): boolean {
    return this.#closing === undefined && !this.#destroyed;
  }

  /** Starts one exchange; it is counted until it reports {@link OriginPool.exchangeDone}. */
  dispatch(options: Dispatcher.DispatchOptions, handler: ClientBoundHandler): void {
    this.#live++;
    this.#waiting++;
    this.#pool.dispatch(options, handler);
  }

  /** The exchange stopped waiting for a socket: it got one, failed, or gave up. */
  stoppedWaiting(): void {
    this.#waiting--;
    // Nobody left waiting: a connection still being opened (a black-holed SYN, a silent TLS
    // server) would only leak until the OS gives up. undici cannot cancel a queued request, so
    // end the attempt here; the requests it errors are ones that already gave up.
    if (this.#waiting === 0 && this.#connecting.size > 0) this.#abandonConnects();
  }

  /** The exchange no longer uses a socket of this pool. */
  exchangeDone(): void {
    this.#live--;
    if (this.#live === 0 && this.#idle !== undefined) this.#idle();
  }

  #abandonConnects(): void {
    for (const attempt of this.#connecting) {
      // An error, not a bare destroy(): undici's connect callback must run so the client
      // fails its queue and the pool drops it.
      attempt.destroy(
        new errors.ConnectTimeoutError("Connection attempt abandoned: no request is waiting for it"),
      );
    }
  }

  #connect(client: OriginClient, callback: buildConnector.Callback): void {
    if (this.#options.connect !== undefined) {
      this.#connectThrough(this.#options.connect, client, callback);
      return;
    }
    const { tls, localAddress, family } = this.#options;
    const socket = openSocket(
      {
        hostname: this.#hostname,
        port: this.#port,
        localAddress,
        family,
        tls,
        servername: this.servername,
        alpnProtocols: ["http/1.1"],
        session: this.#tlsSession,
        onSession: (session) => {
          this.#tlsSession = session;
        },
        sizedReadBuffer: true,
      },
      (error, opened) => {
        this.#connecting.delete(socket);
        if (opened === undefined) {
          callback(error as Error, null);
          return;
        }
        client.socket = new SocketRecord(socket, opened.establishedLatency, opened.tlsHandshakeLatency);
        callback(null, socket);
      },
    );
    // Abandoning the attempt destroys the socket with an error, which reaches the callback above.
    this.#connecting.add(socket);
  }

  // The caller's connector opens the socket. Abandoning the attempt fails undici's callback at
  // once (the connector may be slow to notice) and aborts the connector's signal; a socket it
  // still delivers afterwards is closed.
  #connectThrough(connect: HTTP1Connector, client: OriginClient, callback: buildConnector.Callback): void {
    const { verify, cert, localAddress, family, origin } = this.#options;
    const controller = new AbortController();
    const startedAt = performance.now();
    let pending = true;
    const attempt = {
      destroy: (error?: Error): void => {
        if (!pending) return;
        pending = false;
        this.#connecting.delete(attempt);
        controller.abort(error);
        callback(error ?? new errors.ClientDestroyedError(), null);
      },
    };
    this.#connecting.add(attempt);
    let connecting: ReturnType<HTTP1Connector>;
    try {
      connecting = connect({
        origin,
        hostname: this.#hostname,
        port: this.#port,
        servername: this.servername,
        protocol: "http/1.1",
        verify,
        cert,
        localAddress,
        family,
        signal: controller.signal,
      });
    } catch (error) {
      connecting = Promise.reject(error);
    }
    connecting.then(
      (connected) => {
        const socket = connected.socket;
        if (!pending) {
          socket.destroy();
          return;
        }
        pending = false;
        this.#connecting.delete(attempt);
        if (socket.destroyed) {
          callback(socket.errored ?? new errors.SocketError("The connector returned a closed socket"), null);
          return;
        }
        // A connector that does not say how long TCP took is timed as a whole.
        const established = connected.establishedLatency ?? performance.now() - startedAt;
        client.socket = new SocketRecord(socket, established, connected.tlsHandshakeLatency ?? 0);
        // Stays attached after connecting (undici adds its own): a late error must not be an
        // unhandled 'error' event.
        socket.on("error", () => {});
        callback(null, socket);
      },
      (error: unknown) => {
        if (!pending) return;
        pending = false;
        this.#connecting.delete(attempt);
        callback(error instanceof Error ? error : new Error(String(error)), null);
      },
    );
  }

  /** Graceful: waits until no exchange uses the pool, then closes every socket. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      if (this.#live > 0) {
        await new Promise<void>((resolve) => {
          this.#idle = resolve;
        });
      }
      await this.#shutdown(null);
    })();
    return this.#closing;
  }

  /** Abrupt: fails every exchange on the pool with `reason` and closes every socket now. */
  async destroy(reason: Error | undefined): Promise<void> {
    this.#destroyed = true;
    this.destroyReason ??= reason;
    await this.#shutdown(reason ?? null);
  }

  async #shutdown(reason: Error | null): Promise<void> {
    // Requests left in undici's queues here are ones that already gave up (timed out or
    // aborted while waiting): destroy drops them; close would wait for them forever.
    for (const attempt of this.#connecting) attempt.destroy(reason ?? new errors.ClientDestroyedError());
    await this.#pool.destroy(reason);
  }
}
