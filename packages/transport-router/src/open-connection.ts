/**
 * Opening one connection for the router: TCP, then for https one TLS handshake offering the
 * enabled protocols by ALPN, verified exactly as the transports verify their own (both open and
 * verify sockets with `@nq/transport-node`).
 */
import type { Socket } from "node:net";
import { TransportError } from "@nq/models";
import {
  openSocket,
  originEndpoint,
  type TLSConnectSettings,
  toSocketTransportError,
} from "@nq/transport-node";
import type { RoutedProtocol } from "./connector.js";

/** One connection to open. */
export interface OpenOptions {
  readonly origin: URL;
  /** Set for https: how to verify, and the ALPN list to offer (most preferred first). */
  readonly tls: TLSConnectSettings | undefined;
  readonly offer: readonly RoutedProtocol[];
  /** The TLS session to resume, if any; `onSession` receives the new one. */
  readonly session: Buffer | undefined;
  readonly onSession: (session: Buffer) => void;
  readonly localAddress: string | undefined;
  readonly family: 4 | 6 | undefined;
  readonly signal: AbortSignal | undefined;
}

/** An open connection and what the handshake settled. */
export interface OpenedConnection {
  readonly socket: Socket;
  /** What the server picked by ALPN; `http/1.1` for cleartext and for a server without ALPN. */
  readonly protocol: RoutedProtocol;
  readonly establishedLatency: number;
  readonly tlsHandshakeLatency: number | undefined;
}

/**
 * A connect failure mapped by its socket, DNS or TLS code, as the transports map theirs, except
 * the server refusing every protocol we offered by ALPN: that is no certificate problem and no
 * retry will change it.
 */
function connectError(error: unknown, origin: string): TransportError {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL") {
    return new TransportError(`${origin} speaks none of the protocols offered by ALPN`, {
      kind: "protocol",
      phase: "connect",
      retryable: false,
      code,
      cause: error,
    });
  }
  return toSocketTransportError(error, "connect", origin);
}

/**
 * Opens the connection. Rejects with `signal.reason` when aborted, else with a `TransportError`
 * in the connect phase (see {@link connectError}).
 */
export function openConnection(options: OpenOptions): Promise<OpenedConnection> {
  return new Promise((resolve, reject) => {
    const { origin, tls, signal } = options;
    const { hostname, port, servername } = originEndpoint(origin);
    openSocket(
      {
        hostname,
        port,
        localAddress: options.localAddress,
        family: options.family,
        tls,
        servername,
        alpnProtocols: options.offer,
        session: options.session,
        onSession: options.onSession,
        sizedReadBuffer: true,
        signal,
      },
      (error, opened) => {
        if (opened === undefined) {
          reject(error === signal?.reason ? error : connectError(error, origin.origin));
          return;
        }
        resolve({
          socket: opened.socket,
          // No ALPN answer means HTTP/1.1 (RFC 7301 §3.2: the server may ignore the extension).
          protocol: opened.alpnProtocol === "h2" ? "h2" : "http/1.1",
          establishedLatency: opened.establishedLatency,
          tlsHandshakeLatency: opened.tlsHandshakeLatency,
        });
      },
    );
  });
}
