/**
 * The `connect` option of the Node transports: a caller opens the sockets instead of the
 * transport. `@nq/transport-router` uses it to hand over the TLS socket on which the server
 * picked a protocol by ALPN, so one handshake serves both the protocol choice and the connection.
 * Each transport names these types for its protocol (`HTTP1ConnectTarget`, `HTTP2Connector`…).
 */
import type { Duplex } from "node:stream";
import type { Protocol, TLSClientCert, TLSVerify } from "@nq/models";

/** What a connector is asked for: one connection to an origin, for protocol `P`. */
export interface ConnectTarget<P extends Protocol = Protocol> {
  /** `https://host:port`, or `http://host:port` for cleartext. */
  readonly origin: URL;
  /** The host to connect to, without IPv6 brackets. */
  readonly hostname: string;
  /** The TCP port (the scheme's default when the URL has none). */
  readonly port: number;
  /** The TLS server name (SNI and certificate check): the host, `undefined` for an IP literal. */
  readonly servername: string | undefined;
  /** The protocol the socket will carry; for https the connector must have negotiated it by ALPN (HTTP/1.1 also: no ALPN). */
  readonly protocol: P;
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

/** A connection a connector hands to a transport, which owns it from then on. */
export interface ConnectedSocket<S extends Duplex = Duplex> {
  /** Connected, and for https past its TLS handshake with the protocol asked for. */
  readonly socket: S;
  /** Milliseconds TCP took to connect, reported in `connInfo` of the first request. */
  readonly establishedLatency?: number | undefined;
  /** Milliseconds the TLS handshake took, reported in `connInfo` of the first request. */
  readonly tlsHandshakeLatency?: number | undefined;
}

/**
 * Opens a connection for a transport. Reject with a `TransportError` (passed through as it is)
 * or any Node error (mapped like the transport's own connect failures).
 */
export type Connector<P extends Protocol = Protocol, S extends Duplex = Duplex> = (
  target: ConnectTarget<P>,
) => Promise<ConnectedSocket<S>>;
