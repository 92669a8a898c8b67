/**
 * Opening one connection for the router: TCP, then for https one TLS handshake offering the
 * enabled protocols by ALPN, verified exactly as `@nq/transport-h1` verifies its own.
 */
import { isIP, type NetConnectOpts, connect as netConnect, type Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { type ConnectionOptions, type TLSSocket, connect as tlsConnect } from "node:tls";
import { TransportError } from "@nq/models";
import { type TLSConnectSettings, toTransportError } from "@nq/transport-h1";
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

// Node's TCP keep-alive probe delay, as undici's connector and @nq/transport-h1 use.
const TCP_KEEPALIVE_DELAY = 60_000;

/**
 * A connect failure as `@nq/transport-h1` maps it, except the server refusing every protocol we
 * offered by ALPN: that is no certificate problem and no retry will change it.
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
  return toTransportError(error, "connect", origin);
}

/**
 * Opens the connection. Rejects with `signal.reason` when aborted, else with a `TransportError`
 * in the connect phase, mapped as `@nq/transport-h1` maps its own connect failures.
 */
export function openConnection(options: OpenOptions): Promise<OpenedConnection> {
  return new Promise((resolve, reject) => {
    const { origin, tls, signal } = options;
    const raw = origin.hostname;
    const hostname = raw.startsWith("[") ? raw.slice(1, -1) : raw;
    const port = Number(origin.port) || (origin.protocol === "https:" ? 443 : 80);
    const common = {
      host: hostname,
      port,
      ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
      ...(options.family === undefined ? {} : { family: options.family }),
    };
    const startedAt = performance.now();
    let tcpConnectedAt = startedAt;
    let socket: Socket;
    if (tls === undefined) {
      // Socket options reach the stream constructor; the typings do not list highWaterMark.
      const connectOptions: NetConnectOpts & { highWaterMark: number } = {
        ...common,
        highWaterMark: 64 * 1024,
      };
      socket = netConnect(connectOptions);
    } else {
      const connectOptions: ConnectionOptions & { highWaterMark: number } = {
        ...common,
        // TLS records are at most 16 KiB; a larger buffer only delays back-pressure.
        highWaterMark: 16 * 1024,
        secureContext: tls.secureContext,
        rejectUnauthorized: tls.rejectUnauthorized,
        // SNI and the certificate check use the URL host; an IP literal gets no SNI (RFC 6066 §3).
        ...(isIP(hostname) === 0 ? { servername: hostname } : {}),
        ...(options.session === undefined ? {} : { session: options.session }),
        ALPNProtocols: [...options.offer],
      };
      socket = tlsConnect(connectOptions);
      socket.on("session", options.onSession);
    }
    let pending = true;
    const finish = (error: unknown, protocol?: RoutedProtocol): void => {
      if (!pending) return;
      pending = false;
      signal?.removeEventListener("abort", onAbort);
      if (error !== null) {
        socket.destroy();
        reject(error === signal?.reason ? error : connectError(error, origin.origin));
        return;
      }
      resolve({
        socket,
        protocol: protocol ?? "http/1.1",
        establishedLatency: tcpConnectedAt - startedAt,
        tlsHandshakeLatency: tls === undefined ? undefined : performance.now() - tcpConnectedAt,
      });
    };
    const onAbort = (): void => finish(signal?.reason);
    if (signal?.aborted) {
      finish(signal.reason);
      return;
    }
    signal?.addEventListener("abort", onAbort);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, TCP_KEEPALIVE_DELAY);
    socket.once("connect", () => {
      tcpConnectedAt = performance.now();
      if (tls === undefined) finish(null);
    });
    if (tls !== undefined) {
      socket.once("secureConnect", () => {
        // No ALPN answer means HTTP/1.1 (RFC 7301 §3.2: the server may ignore the extension).
        finish(null, (socket as TLSSocket).alpnProtocol === "h2" ? "h2" : "http/1.1");
      });
    }
    // Stays attached: the transport adds its own once it owns the socket, and a late error in
    // between (while the socket waits in the stash) must not be an unhandled 'error' event.
    socket.on("error", finish);
  });
}
