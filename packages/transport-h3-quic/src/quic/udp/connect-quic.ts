/**
 * `connectQuic`: resolves the server's address, connects one UDP socket to it, and runs a QUIC
 * handshake on it. Every way it can fail closes the socket before the promise rejects:
 *
 * ```
 * connectQuic rejects with
 * ├─ the DNS error (ENOTFOUND…)            before any socket exists
 * ├─ TlsAlertError                         CRYPTO_ERROR 0x100 + alert: the certificate, ALPN…
 * ├─ QuicError                             a protocol error here, or the server's error code
 * ├─ QuicConnectionError                   handshake_timeout, idle_timeout, version_negotiation, stateless_reset
 * └─ signal.reason                         aborted
 * ```
 *
 * @packageDocumentation
 */

import { createSocket, type Socket } from "node:dgram";
import { lookup } from "node:dns";
import { QuicClientConnection } from "../connection/client-connection.js";
import type { TransportParametersInit } from "../frames/transport-parameters.js";
import { certificateVerifier, type TrustStore } from "../tls/certificate-verifier.js";
import { QuicSession } from "./quic-session.js";

/**
 * Options of `connectQuic`.
 *
 * @alpha
 */
export interface ConnectQuicOptions {
  /** An IP literal (IPv6 with or without brackets) or a host name to resolve. */
  readonly host: string;
  /** The server's UDP port. */
  readonly port: number;
  /** The name for SNI and the certificate check; `host` unless given. */
  readonly serverName?: string | undefined;
  /** ALPN protocols in preference order, e.g. `["h3"]`. */
  readonly alpnProtocols: readonly string[];
  /** Trust anchors for the server's chain, or "any" to accept any chain (testing only). */
  readonly trust: TrustStore | "any";
  /** Milliseconds the handshake may take; 10 000 unless given. */
  readonly handshakeTimeout?: number | undefined;
  /** Our max_idle_timeout in milliseconds; 30 000 unless given, 0 for none from our side. */
  readonly idleTimeout?: number | undefined;
  /** PINGs the server after this many milliseconds of silence, keeping the connection open; none unless given. */
  readonly keepAliveInterval?: number | undefined;
  /** Our transport parameters, over the client defaults. */
  readonly transportParameters?: TransportParametersInit | undefined;
  /** The largest UDP payload we send; 1200 unless given. */
  readonly maxDatagramSize?: number | undefined;
  /** Aborts the connection attempt. */
  readonly signal?: AbortSignal | undefined;
}

function resolveAddress(host: string): Promise<{ address: string; family: 4 | 6 }> {
  const name = host.replace(/^\[(.*)\]$/, "$1");
  return new Promise((resolve, reject) => {
    lookup(name, (error, address, family) => {
      if (error !== null) reject(error);
      else resolve({ address, family: family === 6 ? 6 : 4 });
    });
  });
}

function connectSocket(socket: Socket, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    socket.once("error", onError);
    socket.connect(port, address, () => {
      socket.off("error", onError);
      resolve();
    });
  });
}

function closeSocket(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => setImmediate(() => setImmediate(resolve)));
    } catch {
      resolve();
    }
  });
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("The operation was aborted", "AbortError");
}

/**
 * Connects to a QUIC server over UDP and completes the handshake.
 *
 * @alpha
 */
export async function connectQuic(options: ConnectQuicOptions): Promise<QuicSession> {
  const { signal } = options;
  if (signal?.aborted) throw abortError(signal);
  const { address, family } = await resolveAddress(options.host);
  if (signal?.aborted) throw abortError(signal);
  const socket = createSocket(family === 6 ? "udp6" : "udp4");
  try {
    await connectSocket(socket, options.port, address);
  } catch (error) {
    await closeSocket(socket);
    throw error;
  }
  const clock = (): number => performance.now();
  let connection: QuicClientConnection;
  try {
    connection = new QuicClientConnection({
      serverName: options.serverName ?? options.host.replace(/^\[(.*)\]$/, "$1"),
      alpnProtocols: options.alpnProtocols,
      verifyCertificate: certificateVerifier(options.trust),
      transportParameters: {
        ...options.transportParameters,
        ...(options.idleTimeout === undefined ? {} : { maxIdleTimeout: options.idleTimeout }),
      },
      maxDatagramSize: options.maxDatagramSize,
      handshakeTimeout: options.handshakeTimeout,
      keepAliveInterval: options.keepAliveInterval,
      now: clock(),
    });
  } catch (error) {
    await closeSocket(socket);
    throw error;
  }
  return handshake(new QuicSession(socket, connection, clock), signal);
}

async function handshake(session: QuicSession, signal: AbortSignal | undefined): Promise<QuicSession> {
  const onAbort = (): void => session.abort("connection attempt aborted");
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    await session.handshake();
    return session;
  } catch (error) {
    await session.closed;
    throw signal?.aborted ? abortError(signal) : error;
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
}
