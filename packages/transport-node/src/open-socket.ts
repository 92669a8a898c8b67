/**
 * Opening one connection: TCP, then for https a TLS handshake offering the caller's ALPN list,
 * verified with the resolved TLS settings, timed for `connInfo`. The HTTP/1.1 pool, the HTTP/2
 * transport's own connector and the protocol router all open their sockets here; what the
 * handshake settled (the ALPN protocol) is theirs to judge.
 */
import { type NetConnectOpts, connect as netConnect, type Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { type ConnectionOptions, type TLSSocket, connect as tlsConnect } from "node:tls";
import type { TLSConnectSettings } from "./tls-options.js";

// Node's TCP keep-alive probe delay; the value undici's own connector uses.
const TCP_KEEPALIVE_DELAY = 60_000;

/** Where and how {@link openSocket} connects. */
export interface OpenSocketOptions {
  /** The host to connect to, without IPv6 brackets. */
  readonly hostname: string;
  /** The TCP port. */
  readonly port: number;
  /** The local address to connect from. */
  readonly localAddress: string | undefined;
  /** Resolve and connect over IPv4 only (4) or IPv6 only (6). */
  readonly family: 4 | 6 | undefined;
  /** Set for https: how the peer is verified. Cleartext TCP when `undefined`. */
  readonly tls: TLSConnectSettings | undefined;
  /** SNI and the name the certificate is checked against; none for an IP literal (RFC 6066 §3). */
  readonly servername: string | undefined;
  /** The ALPN protocols to offer, most preferred first. */
  readonly alpnProtocols: readonly string[];
  /** A TLS session to resume. */
  readonly session: Buffer | undefined;
  /** Receives every TLS session the server issues on this socket, for the next connection. */
  readonly onSession?: ((session: Buffer) => void) | undefined;
  /**
   * Sizes the socket's read buffer for a reader in JavaScript (undici's HTTP/1.1 parser): 64 KiB
   * for cleartext, 16 KiB for TLS. node:http2 consumes the socket's handle natively and leaves it
   * at Node's default.
   */
  readonly sizedReadBuffer?: boolean | undefined;
  /** Aborting fails the attempt with `signal.reason` and destroys the socket. */
  readonly signal?: AbortSignal | undefined;
}

/** A socket {@link openSocket} connected, and what opening it took. */
export interface OpenedSocket {
  /** A connected `net.Socket`, or a `tls.TLSSocket` past its handshake. */
  readonly socket: Socket;
  /** What the server picked by ALPN; `undefined` for cleartext, `false` or `null` for none. */
  readonly alpnProtocol: string | false | null | undefined;
  /** Milliseconds TCP took to connect. */
  readonly establishedLatency: number;
  /** Milliseconds the TLS handshake took; `undefined` for cleartext. */
  readonly tlsHandshakeLatency: number | undefined;
}

/** How {@link openSocket} reports: an error (the socket is destroyed), or the opened socket. */
export type OpenSocketCallback = (error: unknown, opened: OpenedSocket | undefined) => void;

/**
 * Starts a connection and returns its socket at once, so the caller can abandon the attempt
 * (`socket.destroy(error)`, which reports `error`). `done` runs once: with `null` and the
 * opened socket when TCP (and TLS) are up, or with the error that ended the attempt — the
 * native error as it is, or `signal.reason`.
 */
export function openSocket(options: OpenSocketOptions, done: OpenSocketCallback): Socket {
  const { tls, signal } = options;
  const startedAt = performance.now();
  let tcpConnectedAt = startedAt;
  const common = {
    host: options.hostname,
    port: options.port,
    ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
    ...(options.family === undefined ? {} : { family: options.family }),
  };
  let socket: Socket;
  if (tls === undefined) {
    // Socket options reach the stream constructor; the typings do not list highWaterMark.
    const connectOptions: NetConnectOpts & { highWaterMark?: number } = options.sizedReadBuffer
      ? { ...common, highWaterMark: 64 * 1024 }
      : common;
    socket = netConnect(connectOptions);
  } else {
    const connectOptions: ConnectionOptions & { highWaterMark?: number } = {
      ...common,
      // TLS records are at most 16 KiB; a larger buffer only delays back-pressure.
      ...(options.sizedReadBuffer ? { highWaterMark: 16 * 1024 } : {}),
      secureContext: tls.secureContext,
      rejectUnauthorized: tls.rejectUnauthorized,
      ...(options.servername === undefined ? {} : { servername: options.servername }),
      ...(options.session === undefined ? {} : { session: options.session }),
      ALPNProtocols: [...options.alpnProtocols],
    };
    socket = tlsConnect(connectOptions);
    if (options.onSession !== undefined) socket.on("session", options.onSession);
  }
  let pending = true;
  const finish = (error: unknown, failed: boolean): void => {
    if (!pending) return;
    pending = false;
    signal?.removeEventListener("abort", onAbort);
    if (failed) {
      socket.destroy();
      done(error, undefined);
      return;
    }
    done(null, {
      socket,
      alpnProtocol: tls === undefined ? undefined : (socket as TLSSocket).alpnProtocol,
      establishedLatency: tcpConnectedAt - startedAt,
      tlsHandshakeLatency: tls === undefined ? undefined : performance.now() - tcpConnectedAt,
    });
  };
  const onAbort = (): void => finish(signal?.reason, true);
  if (signal?.aborted) {
    finish(signal.reason, true);
    return socket;
  }
  signal?.addEventListener("abort", onAbort);
  socket.setNoDelay(true);
  socket.setKeepAlive(true, TCP_KEEPALIVE_DELAY);
  socket.once("connect", () => {
    tcpConnectedAt = performance.now();
    if (tls === undefined) finish(null, false);
  });
  if (tls !== undefined) socket.once("secureConnect", () => finish(null, false));
  // Stays attached after connecting (undici and node:http2 add their own once they own the
  // socket): a late error in between must not be an unhandled 'error' event.
  socket.on("error", (error: Error) => finish(error, true));
  return socket;
}
