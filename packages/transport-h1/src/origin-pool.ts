/**
 * The sockets of one origin and TLS settings, as undici `Client`s we pool ourselves: undici's
 * `Pool` caps the sockets it opens, where urllib3 (and so niquests) opens more under load and
 * keeps only `maxSockets` of them. The pool also knows which socket served a request, when a
 * connection attempt no longer has anyone waiting for it, and when it is idle enough to close.
 */
import { performance } from "node:perf_hooks";
import type { TLSClientCert, TLSVerify } from "@nq/models";
import { LiveSet, openSocket, originEndpoint, type TLSConnectSettings } from "@nq/transport-node";
import { type buildConnector, Client, type Dispatcher, errors } from "undici";
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
  /** Idle sockets kept per origin; with `block`, also the most open at once. */
  readonly maxSockets: number;
  /** Requests wait for a free socket instead of opening one past `maxSockets`. */
  readonly block: boolean;
  readonly localAddress: string | undefined;
  readonly family: 4 | 6 | undefined;
  readonly maxHeaderSize: number | undefined;
  readonly keepAliveTimeout: number | undefined;
}

/** A dispatch handler that wants to know which client (and so which socket) serves it. */
export interface ClientBoundHandler extends Dispatcher.DispatchHandler {
  bindClient(client: OriginClient): void;
}

/**
 * An undici `Client` (one socket) that tells its pool it is free as soon as our exchange on it
 * ends. undici's own `Client` reports itself free only a tick after the response completes, and
 * a pool that trusted it would open a second socket for a request sent in that window.
 */
export class OriginClient extends Client {
  /** The socket this client holds now, as the connector opened it. */
  socket: SocketRecord | undefined;
  /** Set when connecting failed: the client is not given work again. */
  failed = false;
  /** @internal The pool's bookkeeping slot (see LiveSet). */
  liveSlot = -1;
  readonly #onFree: (client: OriginClient) => void;

  constructor(origin: URL, options: Client.Options, onFree: (client: OriginClient) => void) {
    super(origin, options);
    this.#onFree = onFree;
  }

  /** Our exchange on this client is over (completed or failed): the client may take the next one. */
  release(): void {
    // Deferred: `release` runs inside undici's callbacks, and the pool would dispatch into this
    // same client re-entrantly. The microtask is queued before the exchange resolves its
    // consumer, so a sequential caller's next request already finds the client free.
    queueMicrotask(this.#free);
  }

  readonly #free = (): void => {
    this.#onFree(this);
  };

  /** Whether the client can take another exchange. */
  get usable(): boolean {
    return !this.failed && !this.closed && !this.destroyed;
  }
}

/**
 * The clients of one origin (and TLS settings), one exchange at a time on each, and what our
 * exchanges do with them.
 *
 * Sizing is urllib3's non-blocking pool, as niquests uses it: a request that finds no idle
 * socket opens a new one, and at most `maxSockets` idle sockets are kept afterwards; the extra
 * ones close as their exchange ends. With `block`, `maxSockets` caps the sockets open at once and
 * further requests wait for one to free up.
 */
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
  readonly #options: OriginPoolOptions;
  readonly #clientOptions: Client.Options;
  readonly #hostname: string;
  readonly #port: number;
  // Not a Set: sockets come and go with load, and see LiveSet for what a churning Set costs.
  #clients = new LiveSet<OriginClient>();
  // Free clients, most recently used last: the warmest socket is taken first.
  readonly #idle: OriginClient[] = [];
  // Exchanges waiting for a client; only a blocking pool at its cap has any.
  readonly #queue: { options: Dispatcher.DispatchOptions; handler: ClientBoundHandler }[] = [];
  // Attempts in progress: sockets being opened, or a connector's attempt (ended through its signal).
  readonly #connecting = new Set<{ destroy(error?: Error): unknown }>();
  #tlsSession: Buffer | undefined;
  #live = 0;
  #waiting = 0;
  #onIdle: (() => void) | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: OriginPoolOptions) {
    this.#options = options;
    this.origin = options.origin;
    const endpoint = originEndpoint(options.origin);
    this.#hostname = endpoint.hostname;
    this.#port = endpoint.port;
    this.servername = endpoint.servername;
    this.dispatchServername = this.#hostname;
    this.#clientOptions = {
      pipelining: 1,
      allowH2: false,
      ...(options.maxHeaderSize === undefined ? {} : { maxHeaderSize: options.maxHeaderSize }),
      ...(options.keepAliveTimeout === undefined ? {} : { keepAliveTimeout: options.keepAliveTimeout }),
    };
  }

  /** True while the pool accepts work. */
  get open(): boolean {
    return this.#closing === undefined && !this.#destroyed;
  }

  /** Sockets this pool holds (connected, connecting, or idle awaiting reuse). */
  get size(): number {
    return this.#clients.size;
  }

  /** Starts one exchange; it is counted until it reports {@link OriginPool.exchangeDone}. */
  dispatch(options: Dispatcher.DispatchOptions, handler: ClientBoundHandler): void {
    this.#live++;
    this.#waiting++;
    const client = this.#takeIdle() ?? this.#newClient();
    if (client === undefined) this.#queue.push({ options, handler });
    else this.#run(client, options, handler);
  }

  /** Takes an exchange that gave up out of the queue, if it is still there. */
  withdraw(handler: ClientBoundHandler): void {
    const index = this.#queue.findIndex((entry) => entry.handler === handler);
    if (index >= 0) this.#queue.splice(index, 1);
  }

  #run(client: OriginClient, options: Dispatcher.DispatchOptions, handler: ClientBoundHandler): void {
    handler.bindClient(client);
    client.dispatch(options, handler);
  }

  #takeIdle(): OriginClient | undefined {
    for (;;) {
      const client = this.#idle.pop();
      if (client === undefined || client.usable) return client;
      this.#forget(client);
    }
  }

  #newClient(): OriginClient | undefined {
    if (this.#options.block && this.#clients.size >= this.#options.maxSockets) return undefined;
    const client: OriginClient = new OriginClient(
      this.origin,
      { ...this.#clientOptions, connect: (_target, callback) => this.#connect(client, callback) },
      this.#clientFree,
    );
    client.on("connectionError", () => {
      // undici would reconnect on the next dispatch; a pool does better with a fresh client.
      client.failed = true;
    });
    this.#clients.add(client);
    return client;
  }

  readonly #clientFree = (client: OriginClient): void => {
    if (client.usable) {
      // A closing pool still serves what waits: close() waits for every exchange to end.
      const next = this.#queue.shift();
      if (next !== undefined) {
        this.#run(client, next.options, next.handler);
        return;
      }
      if (this.open && this.#idle.length < this.#options.maxSockets) {
        this.#idle.push(client);
        return;
      }
    }
    this.#forget(client);
  };

  #forget(client: OriginClient): void {
    if (!this.#clients.delete(client)) return;
    if (!client.closed && !client.destroyed) client.close().catch(() => undefined);
    // A blocking pool at its cap has room again for a waiting exchange.
    const next = this.#queue.length > 0 ? this.#newClient() : undefined;
    if (next !== undefined) {
      const entry = this.#queue.shift()!;
      this.#run(next, entry.options, entry.handler);
    }
  }

  /** The exchange stopped waiting for a socket: it got one, failed, or gave up. */
  stoppedWaiting(): void {
    this.#waiting--;
    // Nobody left waiting: a connection still being opened (a black-holed SYN, a silent TLS
    // server) would only leak until the OS gives up. undici cannot cancel a request queued on a
    // client, so end the attempt here; the requests it errors are ones that already gave up.
    if (this.#waiting === 0 && this.#connecting.size > 0) this.#abandonConnects();
  }

  /** The exchange no longer uses a socket of this pool. */
  exchangeDone(): void {
    this.#live--;
    if (this.#live === 0 && this.#onIdle !== undefined) this.#onIdle();
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
          this.#onIdle = resolve;
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
    // Requests left queued here are ones that already gave up (timed out or aborted while
    // waiting), or are failed now: destroy drops them; close would wait for them forever.
    for (const attempt of this.#connecting) attempt.destroy(reason ?? new errors.ClientDestroyedError());
    const error = reason ?? new errors.ClientDestroyedError();
    for (const { handler } of this.#queue.splice(0)) handler.onError?.(error);
    const clients = this.#clients.snapshot();
    this.#clients = new LiveSet();
    this.#idle.length = 0;
    await Promise.all(clients.map((client) => client.destroy(reason)));
  }
}
