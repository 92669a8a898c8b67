/**
 * How a session's socket is opened: by the transport itself (TCP, then TLS offering ALPN `h2`),
 * or by a connector the caller injects — `@nq/transport-router` hands over the socket it already
 * negotiated `h2` on, so one TLS handshake serves both the protocol choice and the session.
 */
import { connect as netConnect, type Socket } from "node:net";
import { performance } from "node:perf_hooks";
import type { Duplex } from "node:stream";
import { type ConnectionOptions, type TLSSocket, connect as tlsConnect } from "node:tls";
import { type TLSClientCert, type TLSVerify, TransportError } from "@nq/models";
import type { TLSConnectSettings } from "./tls-options.js";

/** What a connector is asked for: one connection to an origin, for HTTP/2. */
export interface HTTP2ConnectTarget {
  /** `https://host:port`, or `http://host:port` for h2c with prior knowledge. */
  readonly origin: URL;
  /** The host to connect to, without IPv6 brackets. */
  readonly hostname: string;
  /** The TCP port (the scheme's default when the URL has none). */
  readonly port: number;
  /** The TLS server name (SNI and certificate check): the host, `undefined` for an IP literal. */
  readonly servername: string | undefined;
  /** The protocol the socket will carry; the connector must have negotiated it by ALPN for https. */
  readonly protocol: "h2";
  /** The certificate verification the requests on this connection asked for. */
  readonly verify: TLSVerify;
  /** The client certificate the requests on this connection present. */
  readonly cert: TLSClientCert | null | undefined;
  /** The local address the transport was told to connect from. */
  readonly localAddress: string | undefined;
  /** The address family the transport was told to use. */
  readonly family: 4 | 6 | undefined;
  /** Aborted when no request waits for this connection any more: give up and release the attempt. */
  readonly signal: AbortSignal;
}

/** A connection a connector hands to the transport. */
export interface HTTP2ConnectedSocket {
  /** Connected (and for https, TLS-established with ALPN `h2`); the transport owns it from now on. */
  readonly socket: Duplex;
  /** Milliseconds TCP took to connect, reported in `connInfo` of the first request. */
  readonly establishedLatency?: number | undefined;
  /** Milliseconds the TLS handshake took, reported in `connInfo` of the first request. */
  readonly tlsHandshakeLatency?: number | undefined;
}

/**
 * Opens the connection a session runs on. Reject with a `TransportError` (passed through as it
 * is) or any Node error (mapped like the transport's own connect failures).
 */
export type HTTP2Connector = (target: HTTP2ConnectTarget) => Promise<HTTP2ConnectedSocket>;

// Node's TCP keep-alive probe delay, as undici's connector and @nq/transport-h1 use.
const TCP_KEEPALIVE_DELAY = 60_000;

/** TLS settings and the session ticket cache of one origin, for the transport's own connector. */
export interface OwnConnectSettings {
  readonly tls: TLSConnectSettings | undefined;
  /** The latest TLS session of the origin, resumed on the next connection. */
  tlsSession: Buffer | undefined;
}

/**
 * The transport's own connector: TCP, then for https TLS with ALPN `h2` only, verified with the
 * origin's settings. A server that does not pick `h2` fails the connection with
 * `NQ_H2_NOT_NEGOTIATED`: this transport cannot speak HTTP/1.1 to it (the router can).
 */
export function connectOwn(
  target: HTTP2ConnectTarget,
  settings: OwnConnectSettings,
): Promise<HTTP2ConnectedSocket> {
  return new Promise((resolve, reject) => {
    const signal = target.signal;
    const tls = settings.tls;
    const startedAt = performance.now();
    let tcpConnectedAt = startedAt;
    const common = {
      host: target.hostname,
      port: target.port,
      ...(target.localAddress === undefined ? {} : { localAddress: target.localAddress }),
      ...(target.family === undefined ? {} : { family: target.family }),
    };
    let socket: Socket;
    if (tls === undefined) {
      socket = netConnect(common);
    } else {
      const options: ConnectionOptions = {
        ...common,
        secureContext: tls.secureContext,
        rejectUnauthorized: tls.rejectUnauthorized,
        ...(target.servername === undefined ? {} : { servername: target.servername }),
        ...(settings.tlsSession === undefined ? {} : { session: settings.tlsSession }),
        ALPNProtocols: ["h2"],
      };
      socket = tlsConnect(options);
      socket.on("session", (session: Buffer) => {
        settings.tlsSession = session;
      });
    }
    let pending = true;
    const finish = (error: unknown): void => {
      if (!pending) return;
      pending = false;
      signal.removeEventListener("abort", onAbort);
      if (error !== null) {
        socket.destroy();
        reject(error);
        return;
      }
      const readyAt = performance.now();
      resolve({
        socket,
        establishedLatency: tcpConnectedAt - startedAt,
        tlsHandshakeLatency: tls === undefined ? undefined : readyAt - tcpConnectedAt,
      });
    };
    const onAbort = (): void => finish(signal.reason);
    if (signal.aborted) {
      finish(signal.reason);
      return;
    }
    signal.addEventListener("abort", onAbort);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, TCP_KEEPALIVE_DELAY);
    socket.once("connect", () => {
      tcpConnectedAt = performance.now();
      if (tls === undefined) finish(null);
    });
    if (tls !== undefined) {
      socket.once("secureConnect", () => {
        const protocol = (socket as TLSSocket).alpnProtocol;
        if (protocol === "h2") {
          finish(null);
          return;
        }
        finish(
          new TransportError(
            `${target.origin.origin} did not agree to HTTP/2 in the TLS handshake (ALPN: ${protocol || "none"})`,
            { kind: "protocol", phase: "connect", retryable: false, code: "NQ_H2_NOT_NEGOTIATED" },
          ),
        );
      });
    }
    // Stays attached: node:http2 adds its own once it owns the socket, and a late error in
    // between must not be an unhandled 'error' event.
    socket.on("error", finish);
  });
}
