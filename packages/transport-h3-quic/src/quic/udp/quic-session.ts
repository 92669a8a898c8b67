/**
 * A QUIC client connection on a connected `node:dgram` socket: the loop that feeds datagrams
 * and time into `QuicClientConnection` and sends what it produces, one timer re-armed from
 * `nextTimerDeadline()`, and the promise-based streams on top.
 *
 * The socket lives exactly as long as the connection: whatever ends the connection (the
 * application, the peer, an error, a timeout), the CONNECTION_CLOSE it causes is sent, then
 * the timer is cleared and the socket closed, and `closed` resolves. The closing and draining
 * periods of RFC 9000 §10.2 are not waited out: with one connection per socket, nothing else
 * would read the peer's late packets, and the peer's own timers end its side.
 *
 * @packageDocumentation
 */

import type { X509Certificate } from "node:crypto";
import type { Socket } from "node:dgram";
import type { QuicClientConnection } from "../connection/client-connection.js";
import type {
  QuicCloseInfo,
  QuicConnectionEvent,
  QuicConnectionStats,
} from "../connection/connection-events.js";
import { QuicError, TransportErrorCode } from "../errors.js";
import { type QuicStream, SessionStream, type StreamHost } from "./quic-stream.js";
import { Signal } from "./signal.js";

/**
 * A QUIC connection to a server, with its streams.
 *
 * @alpha
 */
export class QuicSession {
  /** The connection this session drives. */
  readonly connection: QuicClientConnection;
  readonly #changed = new Signal();
  readonly #host: StreamHost;
  readonly #socket: Socket;
  readonly #clock: () => number;
  readonly #streams = new Map<number, SessionStream>();
  readonly #incoming: SessionStream[] = [];
  #closeInfo: QuicCloseInfo | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #pumpScheduled = false;
  #pendingSends = 0;
  #shutdown = false;
  #socketClosed = false;
  #handshake: { resolve: () => void; reject: (error: Error) => void } | undefined;
  readonly #handshakeDone: Promise<void>;
  readonly #closed: Promise<QuicCloseInfo>;
  #resolveClosed!: (info: QuicCloseInfo) => void;

  /**
   * Takes over a connected socket and a connection that has not sent anything yet.
   *
   * @internal
   */
  constructor(socket: Socket, connection: QuicClientConnection, clock: () => number) {
    this.#socket = socket;
    this.connection = connection;
    this.#clock = clock;
    this.#host = {
      connection,
      changed: this.#changed,
      closeInfo: () => this.#closeInfo,
      schedulePump: () => this.#schedulePump(),
    };
    this.#closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
    this.#handshakeDone = new Promise((resolve, reject) => {
      this.#handshake = { resolve, reject };
    });
    // A rejection nobody awaited yet must not crash the process; `handshake()` re-raises it.
    this.#handshakeDone.catch(() => {});
    socket.on("message", (datagram) => {
      if (this.#shutdown) return;
      this.connection.receive(datagram, this.#clock());
      this.#pump();
    });
    // ICMP errors on a connected socket (ECONNREFUSED) are unauthenticated; the handshake and
    // idle timeouts decide instead, and an 'error' without a listener would crash the process.
    socket.on("error", () => {});
  }

  /**
   * Sends the first flight and resolves once the handshake completes.
   *
   * @internal
   */
  handshake(): Promise<void> {
    this.#pump();
    return this.#handshakeDone;
  }

  /**
   * Closes at once, for an aborted connect.
   *
   * @internal
   */
  abort(reason: string): void {
    if (this.#closeInfo === undefined) this.connection.close(0, reason, true);
    this.#pump();
  }

  /** How the connection ended, once it has. */
  get closeInfo(): QuicCloseInfo | undefined {
    return this.#closeInfo;
  }

  /** Resolves when the connection has ended and the socket is closed. */
  get closed(): Promise<QuicCloseInfo> {
    return this.#closed;
  }

  /** The ALPN protocol the server selected. */
  get alpnProtocol(): string | undefined {
    return this.connection.alpnProtocol;
  }

  /** The server's end-entity certificate. */
  get peerCertificate(): X509Certificate | undefined {
    return this.connection.peerCertificate;
  }

  /** The connection's counters. */
  get stats(): QuicConnectionStats {
    return this.connection.stats;
  }

  /** Opens a bidirectional stream, waiting while the server's stream limit is reached. */
  openBidirectionalStream(): Promise<QuicStream> {
    return this.#open(true);
  }

  /** Opens a unidirectional stream, waiting while the server's stream limit is reached. */
  openUnidirectionalStream(): Promise<QuicStream> {
    return this.#open(false);
  }

  async #open(bidirectional: boolean): Promise<QuicStream> {
    for (;;) {
      const closed = this.#closeInfo;
      if (closed !== undefined)
        throw closed.error ?? new QuicError(TransportErrorCode.NO_ERROR, "the connection is closed");
      const id = this.connection.openStream(bidirectional);
      if (id !== undefined) return this.#stream(id);
      this.#schedulePump();
      await this.#changed.wait();
    }
  }

  #stream(id: number): SessionStream {
    let stream = this.#streams.get(id);
    if (stream === undefined) {
      stream = new SessionStream(this.#host, id);
      this.#streams.set(id, stream);
    }
    return stream;
  }

  /**
   * The streams the server opens, as they open; ends when the connection does. An HTTP/3 server
   * opens its control and QPACK streams at once, so they can be waiting here before the first
   * request.
   */
  async *incomingStreams(): AsyncIterable<QuicStream> {
    for (;;) {
      const next = this.#incoming.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      if (this.#closeInfo !== undefined) return;
      await this.#changed.wait();
    }
  }

  /** Closes with an application CONNECTION_CLOSE (0x1d) and resolves once the socket is closed. */
  async close(code: number | bigint = 0, reason = ""): Promise<void> {
    if (this.#closeInfo === undefined) {
      this.connection.close(code, reason, true);
      this.#pump();
    }
    await this.#closed;
  }

  #schedulePump(): void {
    if (this.#pumpScheduled || this.#shutdown) return;
    this.#pumpScheduled = true;
    setImmediate(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  // Sends everything the connection has, handles its events, and re-arms the timer.
  #pump(): void {
    if (this.#shutdown) return;
    for (let round = 0; round < 8; round++) {
      this.#flush();
      const events = this.connection.takeEvents();
      if (events.length === 0) break;
      for (const event of events) this.#onEvent(event);
    }
    if (this.#closeInfo !== undefined) this.#close();
    else this.#arm();
    this.#changed.notify();
  }

  #flush(): void {
    const now = this.#clock();
    for (
      let datagram = this.connection.send(now);
      datagram !== undefined;
      datagram = this.connection.send(now)
    ) {
      this.#pendingSends++;
      this.#socket.send(datagram, () => {
        this.#pendingSends--;
        if (this.#shutdown && this.#pendingSends === 0) this.#closeSocket();
      });
    }
  }

  #onEvent(event: QuicConnectionEvent): void {
    switch (event.type) {
      case "handshake-complete":
        this.#handshake?.resolve();
        this.#handshake = undefined;
        return;
      case "stream-opened":
        this.#incoming.push(this.#stream(event.id));
        return;
      case "stream-reset":
        this.#streams.get(event.id)?.onPeerReset(event.code);
        return;
      case "stop-sending":
        this.#streams.get(event.id)?.onPeerStopSending(event.code);
        return;
      case "closed": {
        const { type: _, ...info } = event;
        this.#closeInfo = info;
        this.#handshake?.reject(info.error ?? handshakeClosedError(info));
        this.#handshake = undefined;
        return;
      }
      default:
        return;
    }
  }

  #arm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const deadline = this.connection.nextTimerDeadline();
    if (deadline === undefined) return;
    const delay = Math.max(0, Math.ceil(deadline - this.#clock()));
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.connection.onTimer(this.#clock());
      this.#pump();
    }, delay);
  }

  #close(): void {
    if (this.#shutdown) return;
    this.#shutdown = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pendingSends === 0) this.#closeSocket();
  }

  #closeSocket(): void {
    if (this.#socketClosed) return;
    this.#socketClosed = true;
    const info = this.#closeInfo!;
    // 'close' fires before libuv releases the handle; two turns later nothing is left behind.
    this.#socket.close(() => setImmediate(() => setImmediate(() => this.#resolveClosed(info))));
  }
}

function handshakeClosedError(info: QuicCloseInfo): QuicError {
  const by = info.remote ? "the server closed the connection" : "the connection was closed";
  const reason = info.reason === undefined || info.reason === "" ? "" : `: ${info.reason}`;
  return new QuicError(TransportErrorCode.NO_ERROR, `${by} during the handshake${reason}`);
}
