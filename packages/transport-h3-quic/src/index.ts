/**
 * HTTP/3 over QUIC v1 for nq, in TypeScript on `node:dgram` and `node:crypto`.
 *
 * Nothing here is user-facing yet: the QUIC layers are exported as one namespace for the next
 * steps and for anyone who wants to test against them, under the `@alpha` tag, with the mapping
 * of QUIC failures to nq's `TransportError`.
 *
 * @packageDocumentation
 */

/**
 * The QUIC v1 building blocks: packet protection, headers, frames, transport parameters, the
 * TLS 1.3 client handshake, loss recovery and congestion control, and streams (no connection yet).
 *
 * @alpha
 */
export * as quic from "./quic/index.js";
export { transportErrorFromQuic } from "./transport-error.js";
