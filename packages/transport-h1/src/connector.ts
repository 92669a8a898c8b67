/**
 * The `connect` option: a caller opens the sockets instead of the pool. `@nq/transport-router`
 * uses it to hand over the TLS socket on which the server picked `http/1.1` by ALPN, so one
 * handshake serves both the protocol choice and the connection.
 */
import type { Socket } from "node:net";
import type { TLSClientCert, TLSVerify } from "@nq/models";

/** What a connector is asked for: one connection to an origin, for HTTP/1.1. */
export interface HTTP1ConnectTarget {
  /** `http://host:port` or `https://host:port`. */
  readonly origin: URL;
  /** The host to connect to, without IPv6 brackets. */
  readonly hostname: string;
  /** The TCP port (the scheme's default when the URL has none). */
  readonly port: number;
  /** The TLS server name (SNI and certificate check): the host, `undefined` for an IP literal. */
  readonly servername: string | undefined;
  /** The protocol the socket will carry; for https the connector must have negotiated it (or no ALPN). */
  readonly protocol: "http/1.1";
  /** The certificate verification the requests of this pool asked for. */
  readonly verify: TLSVerify;
  /** The client certificate the requests of this pool present. */
  readonly cert: TLSClientCert | null | undefined;
  /** The local address the transport was told to connect from. */
  readonly localAddress: string | undefined;
  /** The address family the transport was told to use. */
  readonly family: 4 | 6 | undefined;
  /** Aborted when no request waits for this connection any more: give up and release the attempt. */
  readonly signal: AbortSignal;
}

/** A connection a connector hands to the transport. */
export interface HTTP1ConnectedSocket {
  /** A connected `net.Socket`, or for https a `tls.TLSSocket` past its handshake; the pool owns it from now on. */
  readonly socket: Socket;
  /** Milliseconds TCP took to connect, reported in `connInfo` of the first request. */
  readonly establishedLatency?: number | undefined;
  /** Milliseconds the TLS handshake took, reported in `connInfo` of the first request. */
  readonly tlsHandshakeLatency?: number | undefined;
}

/**
 * Opens a connection for the HTTP/1.1 transport. Reject with a `TransportError` (passed through
 * as it is) or any Node error (mapped like the transport's own connect failures).
 */
export type HTTP1Connector = (target: HTTP1ConnectTarget) => Promise<HTTP1ConnectedSocket>;
