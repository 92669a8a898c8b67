/**
 * `@nq/transport-h2`: the HTTP/2 transport of nq, on node:http2.
 *
 * @packageDocumentation
 */
export type { HTTP2ConnectedSocket, HTTP2Connector, HTTP2ConnectTarget } from "./connector.js";
export { HTTP2Transport, type HTTP2TransportOptions } from "./transport.js";
