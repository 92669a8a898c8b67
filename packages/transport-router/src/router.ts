import { performance } from "node:perf_hooks";
import {
  type PreparedRequest,
  type Protocol,
  type SendOptions,
  type Transport,
  TransportError,
  type TransportResponse,
} from "@nq/models";
import {
  connectTimeoutError,
  resolveTLS,
  type TLSConnectSettings,
  tlsKey,
  transportClosedError,
} from "@nq/transport-node";
import type {
  RoutedProtocol,
  RoutedTransportFactory,
  RouterConnectedSocket,
  RouterConnector,
  RouterConnectTarget,
} from "./connector.js";
import { type OpenedConnection, openConnection } from "./open-connection.js";
import { SocketStash, type StashEntry } from "./socket-stash.js";

/** Options of {@link ProtocolRouter}. */
export interface ProtocolRouterOptions {
  /** Makes the HTTP/1.1 transport around the router's connector; without it HTTP/1.1 is off. */
  readonly http1?: RoutedTransportFactory | undefined;
  /** Makes the HTTP/2 transport around the router's connector; without it HTTP/2 is off. */
  readonly http2?: RoutedTransportFactory | undefined;
  /**
   * The protocols left enabled (a session's `TransportSettings.protocols`, after
   * `disableHttp1` / `disableHttp2`). Default: each one with a factory.
   */
  readonly protocols?: readonly Protocol[] | undefined;
  /** The local IP address the router's own handshakes connect from; give the transports the same. */
  readonly localAddress?: string | undefined;
  /** Resolve and connect over IPv4 only (4) or IPv6 only (6); give the transports the same. */
  readonly family?: 4 | 6 | undefined;
}

// The code of the error the connector fails a transport's connect with when the server picked the
// other protocol on the new connection; the router catches it and sends the request on.
const MISROUTED = "NQ_ALPN_MISROUTED";

// Origins whose protocol is remembered; past that the oldest is forgotten (and renegotiated).
const MAX_KNOWN = 1_000;
// TLS contexts kept per verify/cert settings: building one parses a CA bundle.
const MAX_TLS_SETTINGS = 32;
// TLS sessions kept for resumption, one per origin and TLS settings.
const MAX_TLS_SESSIONS = 100;

function protocolError(message: string): TransportError {
  return new TransportError(message, { kind: "protocol", phase: "connect", retryable: false });
}

function setBounded<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > max) map.delete(map.keys().next().value as string);
}

function originKey(url: URL, verify: SendOptions["verify"], cert: SendOptions["cert"]): string {
  return `${url.protocol}//${url.host}\0${tlsKey(verify, cert)}`;
}

/** One handshake that settles an origin's protocol, shared by the requests waiting for it. */
class Negotiation {
  readonly controller = new AbortController();
  promise!: Promise<RoutedProtocol>;
  entry: StashEntry | undefined;
  waiters = 0;
}

/** Waits for `promise`, or fails first on the caller's abort signal or connect timeout. */
function raceConnect<T>(promise: Promise<T>, options: SendOptions, origin: string): Promise<T> {
  const signal = options.signal;
  const limit = options.timeout.connect;
  if (signal === undefined && limit === null) return promise;
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const settle = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    };
    const onAbort = (): void => {
      settle();
      reject(signal?.reason);
    };
    if (limit !== null) {
      timer = setTimeout(() => {
        settle();
        reject(connectTimeoutError(origin, limit));
      }, limit).unref();
    }
    signal?.addEventListener("abort", onAbort);
    promise.then(
      (value) => {
        settle();
        resolve(value);
      },
      (error: unknown) => {
        settle();
        reject(error);
      },
    );
  });
}

/**
 * Chooses HTTP/2 or HTTP/1.1 per origin: for `https:` one TLS handshake offers ALPN `h2` and
 * `http/1.1` (those enabled), and the socket goes to the transport of the protocol the server
 * picked — no second handshake. The choice is remembered per origin (and TLS settings) until a
 * connection to it fails. `http:` goes to HTTP/1.1, or to h2c with prior knowledge when
 * HTTP/1.1 is off. The router imports no transport: it is given factories.
 */
export class ProtocolRouter implements Transport {
  /** The protocols of the enabled transports. */
  readonly protocols: readonly Protocol[];
  readonly #http1: Transport | undefined;
  readonly #http2: Transport | undefined;
  readonly #localAddress: string | undefined;
  readonly #family: 4 | 6 | undefined;
  readonly #known = new Map<string, RoutedProtocol>();
  // Origins whose HTTP/2 stream was answered HTTP_1_1_REQUIRED: offered http/1.1 only from then on.
  readonly #http1Required = new Map<string, true>();
  readonly #negotiations = new Map<string, Negotiation>();
  readonly #stash = new SocketStash();
  readonly #tlsSettings = new Map<string, TLSConnectSettings>();
  readonly #tlsSessions = new Map<string, Buffer>();
  readonly #connector: RouterConnector = (target) => this.#connectFor(target);
  #closed = false;

  /** Creates the router and, through the factories, the transports of the enabled protocols. */
  constructor(options: ProtocolRouterOptions) {
    const enabled = options.protocols;
    const wants = (protocol: RoutedProtocol): boolean => enabled === undefined || enabled.includes(protocol);
    this.#http1 =
      options.http1 !== undefined && wants("http/1.1") ? options.http1(this.#connector) : undefined;
    this.#http2 = options.http2 !== undefined && wants("h2") ? options.http2(this.#connector) : undefined;
    if (this.#http1 === undefined && this.#http2 === undefined) {
      throw new TypeError("ProtocolRouter needs an enabled HTTP/1.1 or HTTP/2 transport factory");
    }
    const protocols: Protocol[] = [];
    if (this.#http1 !== undefined) protocols.push("http/1.1");
    if (this.#http2 !== undefined) protocols.push("h2");
    this.protocols = protocols;
    this.#localAddress = options.localAddress;
    this.#family = options.family;
  }

  /** True for `https:`, and for `http:` when HTTP/1.1 is on or the HTTP/2 transport speaks h2c. */
  canHandle(url: URL): boolean {
    if (url.protocol === "https:") return true;
    if (url.protocol !== "http:") return false;
    return this.#http1 !== undefined || this.#http2?.canHandle?.(url) === true;
  }

  /**
   * The protocol remembered for an origin and TLS settings (`verify: true`, no client
   * certificate by default): what the last handshake there picked, or `undefined` when the next
   * request will negotiate.
   */
  knownProtocol(
    origin: string | URL,
    tls: { readonly verify?: SendOptions["verify"]; readonly cert?: SendOptions["cert"] } = {},
  ): RoutedProtocol | undefined {
    const url = typeof origin === "string" ? new URL(origin) : origin;
    return this.#known.get(originKey(url, tls.verify ?? true, tls.cert));
  }

  /**
   * Sends the request on the transport of the origin's protocol, negotiating it first when the
   * origin is new. Rejects as the chosen transport does (a `TransportError`, or `signal.reason`).
   */
  send(request: PreparedRequest, options: SendOptions): Promise<TransportResponse> {
    if (this.#closed) return Promise.reject(transportClosedError());
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    let url: URL;
    try {
      url = new URL(request.url);
    } catch (cause) {
      return Promise.reject(
        new TransportError(`Invalid URL: ${request.url}`, {
          kind: "protocol",
          phase: "connect",
          retryable: false,
          cause,
        }),
      );
    }
    if (url.protocol === "http:") {
      // Cleartext has no ALPN: HTTP/1.1, unless it is off and HTTP/2 may use prior knowledge.
      const transport = this.#http1 ?? (this.#http2?.canHandle?.(url) === true ? this.#http2 : undefined);
      if (transport === undefined) {
        return Promise.reject(
          protocolError("HTTP/1.1 is disabled and the HTTP/2 transport does not speak h2c"),
        );
      }
      return transport.send(request, options);
    }
    if (url.protocol !== "https:") {
      return Promise.reject(protocolError(`The protocol router cannot send ${url.protocol} URLs`));
    }
    return this.#sendSecure(url, request, options);
  }

  async #sendSecure(url: URL, request: PreparedRequest, options: SendOptions): Promise<TransportResponse> {
    const key = originKey(url, options.verify, options.cert);
    let protocol = this.#onlyProtocol() ?? this.#known.get(key);
    let negotiation: Negotiation | undefined;
    let sendOptions = options;
    if (protocol === undefined) {
      const startedAt = performance.now();
      negotiation = this.#negotiation(key, url, options);
      negotiation.waiters++;
      try {
        protocol = await raceConnect(negotiation.promise, options, url.origin);
      } catch (error) {
        this.#leave(negotiation);
        throw error;
      }
      sendOptions = this.#remaining(options, performance.now() - startedAt);
    }
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          return await this.#transport(protocol).send(request, sendOptions);
        } catch (error) {
          if (!(error instanceof TransportError) || attempt > 0) {
            this.#forgetOnConnectFailure(key, error);
            throw error;
          }
          if (error.code === MISROUTED) {
            // The server picked the other protocol on a new connection, which now waits for
            // that transport; nothing was sent, so the request follows it.
            protocol = this.#known.get(key) ?? (protocol === "h2" ? "http/1.1" : "h2");
            continue;
          }
          if (error.code === "NGHTTP2_HTTP_1_1_REQUIRED" && error.retryable && this.#http1 !== undefined) {
            // The server refused this request over HTTP/2 without processing it: HTTP/1.1 from now on.
            setBounded(this.#http1Required, key, true, MAX_KNOWN);
            setBounded(this.#known, key, "http/1.1", MAX_KNOWN);
            protocol = "http/1.1";
            continue;
          }
          this.#forgetOnConnectFailure(key, error);
          throw error;
        }
      }
    } finally {
      if (negotiation !== undefined) this.#leave(negotiation);
    }
  }

  #onlyProtocol(): RoutedProtocol | undefined {
    if (this.#http2 === undefined) return "http/1.1";
    if (this.#http1 === undefined) return "h2";
    return undefined;
  }

  #transport(protocol: RoutedProtocol): Transport {
    const transport = protocol === "h2" ? this.#http2 : this.#http1;
    if (transport === undefined) throw protocolError(`No transport for ${protocol}`);
    return transport;
  }

  // A failed connection may mean the origin changed (a new server behind the name): the next
  // request negotiates again.
  #forgetOnConnectFailure(key: string, error: unknown): void {
    if (error instanceof TransportError && error.phase === "connect" && error.kind !== "closed") {
      this.#known.delete(key);
    }
  }

  // The negotiation's time counts against the request's connect and total timeouts.
  #remaining(options: SendOptions, elapsed: number): SendOptions {
    const { connect, read, total } = options.timeout;
    if (connect === null && total === null) return options;
    return {
      ...options,
      timeout: {
        connect: connect === null ? null : Math.max(1, connect - elapsed),
        read,
        total: total === null ? null : Math.max(1, total - elapsed),
      },
    };
  }

  #negotiation(key: string, url: URL, options: SendOptions): Negotiation {
    const existing = this.#negotiations.get(key);
    if (existing !== undefined) return existing;
    const negotiation = new Negotiation();
    this.#negotiations.set(key, negotiation);
    negotiation.promise = (async () => {
      try {
        const connection = await this.#open(url, key, options.verify, options.cert, this.#offer(key), {
          localAddress: this.#localAddress,
          family: this.#family,
          signal: negotiation.controller.signal,
        });
        if (this.#closed) {
          connection.socket.destroy();
          throw transportClosedError();
        }
        negotiation.entry = this.#stash.put(key, connection);
        setBounded(this.#known, key, connection.protocol, MAX_KNOWN);
        return connection.protocol;
      } finally {
        this.#negotiations.delete(key);
      }
    })();
    // Waiters that gave up must not leave an unhandled rejection behind.
    negotiation.promise.catch(() => {});
    return negotiation;
  }

  // A request no longer needs the negotiation: the last one to go abandons a handshake still in
  // progress, and closes a negotiated socket no transport took.
  #leave(negotiation: Negotiation): void {
    if (--negotiation.waiters > 0) return;
    negotiation.controller.abort(new Error("No request waits for this connection any more"));
    if (negotiation.entry !== undefined) this.#stash.discard(negotiation.entry);
  }

  #offer(key: string): RoutedProtocol[] {
    const offer: RoutedProtocol[] = [];
    // h2 first: the server picks by its own preference, but a tie goes to HTTP/2.
    if (this.#http2 !== undefined && !this.#http1Required.has(key)) offer.push("h2");
    if (this.#http1 !== undefined) offer.push("http/1.1");
    return offer;
  }

  async #open(
    url: URL,
    key: string,
    verify: SendOptions["verify"],
    cert: SendOptions["cert"],
    offer: readonly RoutedProtocol[],
    socket: { localAddress: string | undefined; family: 4 | 6 | undefined; signal: AbortSignal | undefined },
  ): Promise<OpenedConnection> {
    const secure = url.protocol === "https:";
    const connection = await openConnection({
      origin: url,
      tls: secure ? this.#tlsFor(verify, cert) : undefined,
      offer,
      session: secure ? this.#tlsSessions.get(key) : undefined,
      onSession: (session) => setBounded(this.#tlsSessions, key, session, MAX_TLS_SESSIONS),
      localAddress: socket.localAddress,
      family: socket.family,
      signal: socket.signal,
    });
    if (secure && !offer.includes(connection.protocol)) {
      // Only h2 was offered and the server answered without ALPN: it does not speak HTTP/2.
      connection.socket.destroy();
      throw new TransportError(`${url.origin} did not agree to HTTP/2 in the TLS handshake`, {
        kind: "protocol",
        phase: "connect",
        retryable: false,
        code: "NQ_ALPN_NO_PROTOCOL",
      });
    }
    return connection;
  }

  // Built once per verify/cert settings, as the transports build one per pool: a CA bundle is
  // parsed once, not on every handshake.
  #tlsFor(verify: SendOptions["verify"], cert: SendOptions["cert"]): TLSConnectSettings {
    const key = tlsKey(verify, cert);
    let settings = this.#tlsSettings.get(key);
    if (settings === undefined) {
      settings = resolveTLS(verify, cert);
      setBounded(this.#tlsSettings, key, settings, MAX_TLS_SETTINGS);
    }
    return settings;
  }

  // The connector each transport got: the negotiated socket when one waits for it, else a new
  // connection offering every enabled protocol again.
  async #connectFor(target: RouterConnectTarget): Promise<RouterConnectedSocket> {
    if (this.#closed) throw transportClosedError();
    const url = target.origin;
    const local = {
      localAddress: target.localAddress ?? this.#localAddress,
      family: target.family ?? this.#family,
      signal: target.signal,
    };
    if (url.protocol !== "https:") {
      return this.#handOver(await this.#open(url, "", target.verify, target.cert, [target.protocol], local));
    }
    const key = originKey(url, target.verify, target.cert);
    const stashed = this.#stash.take(key, target.protocol);
    if (stashed !== undefined) return this.#handOver(stashed);
    const connection = await this.#open(url, key, target.verify, target.cert, this.#offer(key), local);
    setBounded(this.#known, key, connection.protocol, MAX_KNOWN);
    if (connection.protocol === target.protocol) return this.#handOver(connection);
    // The server picked the other protocol on this connection: it waits for the other transport,
    // and this one fails the connect (nothing was sent) so the router re-sends the request.
    this.#stash.put(key, connection);
    throw new TransportError(
      `${url.origin} chose ${connection.protocol} for a connection opened for ${target.protocol}`,
      { kind: "connect", phase: "connect", retryable: true, code: MISROUTED },
    );
  }

  #handOver(connection: OpenedConnection): RouterConnectedSocket {
    return {
      socket: connection.socket,
      establishedLatency: connection.establishedLatency,
      tlsHandshakeLatency: connection.tlsHandshakeLatency,
    };
  }

  #stopNegotiations(reason: Error): void {
    for (const negotiation of this.#negotiations.values()) negotiation.controller.abort(reason);
    this.#stash.clear();
  }

  /** Graceful: refuses new requests, lets both transports finish in-flight work, then closes them. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#stopNegotiations(transportClosedError());
    await Promise.all([this.#http1?.close(), this.#http2?.close()]);
    this.#stash.clear();
  }

  /** Abrupt: destroys both transports with `reason` and closes every negotiated socket. */
  async destroy(reason?: Error): Promise<void> {
    this.#closed = true;
    this.#stopNegotiations(reason ?? transportClosedError());
    await Promise.all([this.#http1?.destroy(reason), this.#http2?.destroy(reason)]);
    this.#stash.clear();
  }

  /** Same as {@link ProtocolRouter.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
