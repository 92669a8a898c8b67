/**
 * `@nq/transport-h1`: the HTTP/1.1 transport of nq, on undici.
 *
 * @packageDocumentation
 */
export { HTTP1Transport, type HTTP1TransportOptions } from "./transport.js";
