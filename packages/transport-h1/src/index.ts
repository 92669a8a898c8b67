/**
 * `@nq/transport-h1`: the HTTP/1.1 transport of nq, on undici.
 *
 * @packageDocumentation
 */
export type { HTTP1ConnectedSocket, HTTP1Connector, HTTP1ConnectTarget } from "./connector.js";
export { toTransportError } from "./error-mapping.js";
export { resolveTLS, type TLSConnectSettings, tlsKey } from "./tls-options.js";
export { HTTP1Transport, type HTTP1TransportOptions } from "./transport.js";
