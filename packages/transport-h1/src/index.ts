/**
 * `@nq/transport-h1`: the HTTP/1.1 transport of nq, on undici.
 *
 * @packageDocumentation
 */
export type { HTTP1ConnectedSocket, HTTP1Connector, HTTP1ConnectTarget } from "./connector.js";
export { HTTP1Transport, type HTTP1TransportOptions } from "./transport.js";
