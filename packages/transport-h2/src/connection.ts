/**
 * One HTTP/2 session (one TCP connection) of an origin: opening it, how many streams it may
 * carry, GOAWAY, keepalive PINGs and idle closing. Streams themselves belong to the exchanges.
 */
import { type ClientHttp2Session, connect as http2Connect } from "node:http2";
import { TransportError } from "@nq/models";
import { ConnectionRecord } from "./connection-info.js";
import type { HTTP2ConnectedSocket } from "./connector.js";
import { toTransportError } from "./error-mapping.js";

/** What a connection tells the origin pool that owns it. */
export interface ConnectionOwner {
  /** The server's SETTINGS arrived: streams may start. */
  connectionReady(connection: H2Connection): void;
  /** Opening failed before the session was ready. */
  connectionFailed(connection: H2Connection, error: TransportError): void;
  /** GOAWAY received, or closing: no new streams on this connection. */
  connectionDraining(connection: H2Connection): void;
  /** The session is gone. */
  connectionClosed(connection: H2Connection): void;
  /** A stream ended, or the server raised its stream limit: a queued request may start. */
  capacityChanged(connection: H2Connection): void;
}

/** Session settings shared by every connection of a transport. */
export interface ConnectionSettings {
  /** SETTINGS_INITIAL_WINDOW_SIZE we announce: what one stream may have in flight. */
  readonly streamWindowSize: number;
  /** The connection-level receive window, shared by all streams of the session. */
  readonly connectionWindowSize: number;
  /** How long an idle session is kept after its last stream ended, or `null` for as long as the server keeps it. */
  readonly keepaliveDelay: number | null;
  /** Silence after which a PING checks the session is alive, or `null` for no PINGs. */
  readonly keepaliveIdleWindow: number | null;
}

const CONNECTING = 0;
const READY = 1;
const DRAINING = 2;
const CLOSED = 3;
type State = 0 | 1 | 2 | 3;

/**
 * Until the server's SETTINGS arrive its stream limit is unknown. 100 is the lowest limit RFC
 * 9113 §6.5.2 recommends servers allow, and what nghttp2 assumes meanwhile: a burst of up to 100
 * requests to a new origin waits for one connection instead of opening several.
 */
export const ASSUMED_MAX_STREAMS = 100;

function onIdleTimer(connection: H2Connection): void {
  connection.idleExpired();
}

function onPingTimer(connection: H2Connection): void {
  connection.pingTick();
}

/** One HTTP/2 session to an origin, shared by every stream the pool puts on it. */
export class H2Connection {
  /** The session, once the socket is connected. */
  session: ClientHttp2Session | undefined;
  /** Addresses, TLS details and latencies of the socket, read when it was handed over. */
  record: ConnectionRecord | undefined;
  /** Streams started on this session and not yet closed. */
  active = 0;
  /** The server's SETTINGS_MAX_CONCURRENT_STREAMS (assumed until they arrive). */
  maxStreams = ASSUMED_MAX_STREAMS;
  /** The error code of the first GOAWAY received. */
  goawayCode: number | undefined;
  /** The highest stream id the server says it may have processed, from GOAWAY. */
  goawayLastStreamId: number | undefined;
  /** Bumped by every frame that shows the peer alive; the PING timer compares it between ticks. */
  activity = 0;
  /** The first session error, which the streams see too. */
  error: unknown;
  readonly #owner: ConnectionOwner;
  readonly #origin: URL;
  readonly #settings: ConnectionSettings;
  readonly #controller = new AbortController();
  #state: State = CONNECTING;
  #ready = false;
  #served = 0;
  #idleTimer: NodeJS.Timeout | undefined;
  #pingTimer: NodeJS.Timeout | undefined;
  #activitySeen = -1;
  #pinging = false;
  #closed: Promise<void>;
  #markClosed!: () => void;

  constructor(owner: ConnectionOwner, origin: URL, settings: ConnectionSettings) {
    this.#owner = owner;
    this.#origin = origin;
    this.#settings = settings;
    this.#closed = new Promise((resolve) => {
      this.#markClosed = resolve;
    });
  }

  /** Aborted when nobody waits for this connection any more; handed to the connector. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Still opening: TCP, TLS or the server's SETTINGS outstanding. */
  get connecting(): boolean {
    return this.#state === CONNECTING;
  }

  /** Ready and below the server's stream limit: a new stream may start now. */
  get available(): boolean {
    return this.#state === READY && this.active < this.maxStreams;
  }

  /** True until GOAWAY, close or failure: the connection may still take streams (now or once ready). */
  get usable(): boolean {
    return this.#state === CONNECTING || this.#state === READY;
  }

  /** Starts the session once `connecting` yields its socket. */
  open(connecting: Promise<HTTP2ConnectedSocket>): void {
    connecting.then(
      (connected) => this.#setup(connected),
      (error: unknown) => this.#failConnect(error),
    );
  }

  #setup(connected: HTTP2ConnectedSocket): void {
    const socket = connected.socket;
    if (this.#state !== CONNECTING) {
      socket.destroy();
      return;
    }
    if (socket.destroyed) {
      this.#failConnect(socket.errored ?? new Error("The connector returned a closed socket"));
      return;
    }
    this.record = new ConnectionRecord(socket, connected.establishedLatency, connected.tlsHandshakeLatency);
    let session: ClientHttp2Session;
    try {
      session = http2Connect(this.#origin, {
        createConnection: () => socket,
        settings: { enablePush: false, initialWindowSize: this.#settings.streamWindowSize },
      });
    } catch (error) {
      socket.destroy();
      this.#failConnect(error);
      return;
    }
    this.session = session;
    // node:http2 ends a closing session's socket, then waits for the peer to close its side
    // before the session's "close". A peer that sent GOAWAY may never do so (node:http2's own
    // server does not): nothing more will be read, so the socket is closed once our end is out.
    socket.once("finish", () => socket.destroy());
    session.on("error", this.#onError);
    session.on("goaway", this.#onGoaway);
    session.once("remoteSettings", this.#onFirstSettings);
    session.once("close", this.#onClose);
  }

  readonly #onError = (error: unknown): void => {
    this.error ??= error;
  };

  readonly #onFirstSettings = (): void => {
    const session = this.session!;
    if (this.#state !== CONNECTING) return;
    this.#readLimit();
    try {
      // The connection window is ours to raise at any time; without it one download would be
      // held to the 64 KiB default shared by the whole session.
      session.setLocalWindowSize(this.#settings.connectionWindowSize);
    } catch {
      // A session being torn down refuses it; its close event follows.
    }
    session.on("remoteSettings", this.#onSettings);
    this.#state = READY;
    this.#ready = true;
    this.activity++;
    this.#startPings();
    // Nothing runs on it yet: an idle session must not keep the process alive.
    session.unref();
    this.#armIdle();
    this.#owner.connectionReady(this);
  };

  readonly #onSettings = (): void => {
    const before = this.maxStreams;
    this.#readLimit();
    this.activity++;
    if (this.maxStreams > before) this.#owner.capacityChanged(this);
  };

  #readLimit(): void {
    const limit = this.session?.remoteSettings.maxConcurrentStreams;
    this.maxStreams = limit === undefined ? Number.MAX_SAFE_INTEGER : limit;
  }

  // A GOAWAY names the last stream the server may have processed; streams above it were never
  // seen. nghttp2 closes those with REFUSED_STREAM before this event runs, and their exchanges
  // replay them (see the exchange); here the session only stops taking new streams.
  readonly #onGoaway = (code: number, lastStreamId: number): void => {
    if (this.goawayCode === undefined) this.goawayCode = code;
    // A later GOAWAY may only lower the last stream id (RFC 9113 §6.8).
    if (this.goawayLastStreamId === undefined || lastStreamId < this.goawayLastStreamId)
      this.goawayLastStreamId = lastStreamId;
    this.#drain();
  };

  readonly #onClose = (): void => {
    this.#state = CLOSED;
    this.#stopTimers();
    this.#markClosed();
    if (!this.#ready) {
      // Closed (or told to go away) before its SETTINGS: the requests waiting for it fail as a
      // connect failure instead of opening connection after connection.
      this.#owner.connectionFailed(
        this,
        this.#connectError(
          this.error ??
            new TransportError(`${this.#origin.origin} closed the connection before its HTTP/2 SETTINGS`, {
              kind: "reset",
              phase: "connect",
              retryable: true,
            }),
        ),
      );
      return;
    }
    this.#owner.connectionClosed(this);
  };

  #connectError(error: unknown): TransportError {
    return toTransportError(error, "connect", {
      goawayCode: this.goawayCode,
      origin: this.#origin.origin,
    });
  }

  #failConnect(error: unknown): void {
    if (this.#state !== CONNECTING) return;
    this.#state = CLOSED;
    this.#markClosed();
    this.#owner.connectionFailed(this, this.#connectError(error));
  }

  /** Takes a stream slot for a new request; true when an earlier request already used this session. */
  acquireStream(): boolean {
    if (this.active++ === 0) {
      this.session?.ref();
      if (this.#idleTimer !== undefined) {
        clearTimeout(this.#idleTimer);
        this.#idleTimer = undefined;
      }
    }
    return this.#served++ > 0;
  }

  /** Gives a stream slot back once its stream closed (or never started). */
  releaseStream(): void {
    this.active--;
    this.activity++;
    if (this.active === 0) {
      if (this.#state === READY) {
        this.session?.unref();
        this.#armIdle();
      }
    }
    if (this.#state === READY) this.#owner.capacityChanged(this);
  }

  /** Stops new streams (node:http2 refused one, or the pool retires the session); in-flight ones finish. */
  retire(): void {
    this.#drain();
  }

  #drain(): void {
    if (this.#state === CONNECTING && this.session === undefined) {
      this.abandon(new Error("The connection was retired before it opened"));
      this.#owner.connectionDraining(this);
      return;
    }
    if (this.#state !== READY && this.#state !== CONNECTING) return;
    this.#state = DRAINING;
    // Graceful: node:http2 lets open streams finish, then closes the socket.
    this.session?.close();
    this.#owner.connectionDraining(this);
  }

  // ---- keepalive ----

  #armIdle(): void {
    const delay = this.#settings.keepaliveDelay;
    if (delay === null) return;
    if (this.#idleTimer === undefined) this.#idleTimer = setTimeout(onIdleTimer, delay, this).unref();
    else this.#idleTimer.refresh();
  }

  /** @internal `keepaliveDelay` passed with no stream: close the session. */
  idleExpired(): void {
    this.#idleTimer = undefined;
    if (this.active === 0 && this.#state === READY) this.#drain();
  }

  #startPings(): void {
    const window = this.#settings.keepaliveIdleWindow;
    if (window === null) return;
    this.#pingTimer = setInterval(onPingTimer, window, this).unref();
  }

  /**
   * @internal One idle window passed. A PING still unanswered from the previous tick means the
   * peer is gone: the session is destroyed so its streams fail now instead of at the OS's TCP
   * timeout. Otherwise, after a window without any sign of the peer, a PING asks for one.
   */
  pingTick(): void {
    const session = this.session;
    if (session === undefined || session.destroyed) return;
    if (this.#pinging) {
      // Destroyed with a coded error so each stream maps it by the phase it was in.
      const error = Object.assign(
        new Error(`${this.#origin.origin} did not answer a PING within the keepalive idle window`),
        { code: "NQ_H2_PING_TIMEOUT" },
      );
      this.error ??= error;
      session.destroy(error);
      return;
    }
    if (this.activity !== this.#activitySeen) {
      this.#activitySeen = this.activity;
      return;
    }
    this.#pinging = true;
    try {
      session.ping((error) => {
        this.#pinging = false;
        if (error === null) this.activity++;
      });
    } catch {
      // A session already closing refuses PINGs; its close event follows.
      this.#pinging = false;
    }
  }

  #stopTimers(): void {
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer);
    if (this.#pingTimer !== undefined) clearInterval(this.#pingTimer);
    this.#idleTimer = this.#pingTimer = undefined;
  }

  // ---- shutdown ----

  /** Abandons an attempt still opening: nobody waits for it any more. */
  abandon(reason: Error): void {
    if (this.#state !== CONNECTING) return;
    this.#state = CLOSED;
    this.#controller.abort(reason);
    this.#stopTimers();
    if (this.session === undefined) this.#markClosed();
    else this.session.destroy();
  }

  /** Graceful: no new streams; resolves once the session closed after its streams ended. */
  close(): Promise<void> {
    if (this.#state === CONNECTING) this.abandon(new Error("The transport is closing"));
    else this.#drain();
    if (this.session === undefined) this.#markClosed();
    return this.#closed;
  }

  /** Abrupt: closes the socket now; open streams fail. */
  destroy(): Promise<void> {
    if (this.#state === CONNECTING) this.abandon(new Error("The transport was destroyed"));
    this.#state = CLOSED;
    this.#stopTimers();
    if (this.session === undefined) this.#markClosed();
    else this.session.destroy();
    return this.#closed;
  }
}
