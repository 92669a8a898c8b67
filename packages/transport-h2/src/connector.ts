/**
 * How a session's socket is opened: by the transport itself (TCP, then TLS offering ALPN `h2`),
 * or by a connector the caller injects — `@nq/transport-router` hands over the socket it already
 * negotiated `h2` on, so one TLS handshake serves both the protocol choice and the session. The
 * connector shapes are `@nq/transport-node`'s, shared with `@nq/transport-h1`.
 */
import type { Duplex } from "node:stream";
import { TransportError } from "@nq/models";
import {
  type ConnectedSocket,
  type Connector,
  type ConnectTarget,
  openSocket,
  type TLSConnectSettings,
} from "@nq/transport-node";

/** What a connector is asked for: one connection to an origin, for HTTP/2. */
export type HTTP2ConnectTarget = ConnectTarget<"h2">;

/** A connection a connector hands to the transport: connected, and for https TLS-established with ALPN `h2`. */
export type HTTP2ConnectedSocket = ConnectedSocket<Duplex>;

/**
 * Opens the connection a session runs on. Reject with a `TransportError` (passed through as it
 * is) or any Node error (mapped like the transport's own connect failures).
 */
export type HTTP2Connector = Connector<"h2", Duplex>;

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
    const tls = settings.tls;
    openSocket(
      {
        hostname: target.hostname,
        port: target.port,
        localAddress: target.localAddress,
        family: target.family,
        tls,
        servername: target.servername,
        alpnProtocols: ["h2"],
        session: settings.tlsSession,
        onSession: (session) => {
          settings.tlsSession = session;
        },
        signal: target.signal,
      },
      (error, opened) => {
        if (opened === undefined) {
          reject(error);
          return;
        }
        const { socket, alpnProtocol } = opened;
        if (tls !== undefined && alpnProtocol !== "h2") {
          socket.destroy();
          reject(
            new TransportError(
              `${target.origin.origin} did not agree to HTTP/2 in the TLS handshake (ALPN: ${alpnProtocol || "none"})`,
              { kind: "protocol", phase: "connect", retryable: false, code: "NQ_H2_NOT_NEGOTIATED" },
            ),
          );
          return;
        }
        resolve({
          socket,
          establishedLatency: opened.establishedLatency,
          tlsHandshakeLatency: opened.tlsHandshakeLatency,
        });
      },
    );
  });
}
