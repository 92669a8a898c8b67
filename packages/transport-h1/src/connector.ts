/**
 * The `connect` option: a caller opens the sockets instead of the pool. `@nq/transport-router`
 * uses it to hand over the TLS socket on which the server picked `http/1.1` by ALPN, so one
 * handshake serves both the protocol choice and the connection. The shapes are
 * `@nq/transport-node`'s, shared with `@nq/transport-h2`.
 */
import type { Socket } from "node:net";
import type { ConnectedSocket, Connector, ConnectTarget } from "@nq/transport-node";

/** What a connector is asked for: one connection to an origin, for HTTP/1.1. */
export type HTTP1ConnectTarget = ConnectTarget<"http/1.1">;

/** A connection a connector hands to the transport: a `net.Socket`, or for https a `tls.TLSSocket` past its handshake. */
export type HTTP1ConnectedSocket = ConnectedSocket<Socket>;

/**
 * Opens a connection for the HTTP/1.1 transport. Reject with a `TransportError` (passed through
 * as it is) or any Node error (mapped like the transport's own connect failures).
 */
export type HTTP1Connector = Connector<"http/1.1", Socket>;
