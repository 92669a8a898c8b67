import type { Socket } from "node:net";
import type { TLSClientCert, TLSVerify, Transport } from "@nq/models";

/** The two protocols the router chooses between by ALPN. */
export type RoutedProtocol = "http/1.1" | "h2";

/**
 * What a transport asks the router's connector for: one connection to an origin, for one
 * protocol. `HTTP1ConnectTarget` of `@nq/transport-h1` and `HTTP2ConnectTarget` of
 * `@nq/transport-h2` both fit it.
 */
export interface RouterConnectTarget {
  /** `https://host:port`, or `http://host:port` for cleartext. */
  readonly origin: URL;
  /** The protocol the transport will speak on the connection. */
  readonly protocol: RoutedProtocol;
  /** The certificate verification the transport's requests asked for. */
  readonly verify: TLSVerify;
  /** The client certificate the transport's requests present. */
  readonly cert?: TLSClientCert | null | undefined;
  /** The local address to connect from. */
  readonly localAddress?: string | undefined;
  /** The address family to connect over. */
  readonly family?: 4 | 6 | undefined;
  /** Aborted when the transport no longer wants the connection. */
  readonly signal?: AbortSignal | undefined;
}

/** A connection the router hands to a transport: for https, TLS-established with the protocol asked for. */
export interface RouterConnectedSocket {
  /** A connected `net.Socket`, or a `tls.TLSSocket` past its handshake. */
  readonly socket: Socket;
  /** Milliseconds TCP took to connect. */
  readonly establishedLatency: number | undefined;
  /** Milliseconds the TLS handshake took, for https. */
  readonly tlsHandshakeLatency: number | undefined;
}

/**
 * The connector the router gives each transport it makes: it hands over the socket the router
 * negotiated for that transport, or opens a new one, again offering every enabled protocol.
 */
export type RouterConnector = (target: RouterConnectTarget) => Promise<RouterConnectedSocket>;

/**
 * Makes one of the router's transports around the router's connector, for example
 * `(connect) => new HTTP2Transport({ ...options, connect })`.
 */
export type RoutedTransportFactory = (connect: RouterConnector) => Transport;
