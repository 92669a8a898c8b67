/**
 * HTTP/3 over QUIC v1 for nq, in TypeScript on `node:dgram` and `node:crypto`.
 *
 * Nothing here is user-facing yet: the QUIC layers are exported as one namespace for the next
 * steps and for anyone who wants to test against them, under the `@alpha` tag, with the bridges
 * to the other transports: `verify` as QUIC trust, and QUIC failures as nq's `TransportError`.
 *
 * @packageDocumentation
 */

/**
 * A minimal HTTP/3 client on a `quic` session: GET and HEAD with a streamed response body,
 * static-table QPACK only, no request bodies and no server push. It is not an nq `Transport`
 * yet, so a Session cannot use it; that is the next step.
 *
 * @alpha
 */
export * as h3 from "./h3/index.js";
/**
 * The QUIC v1 building blocks: packet protection, headers, frames, transport parameters, the
 * TLS 1.3 client handshake, loss recovery and congestion control, streams, and a client
 * connection on one UDP socket (`connectQuic`).
 *
 * @alpha
 */
export * as quic from "./quic/index.js";
export { quicTrust } from "./quic-trust.js";
export { transportErrorFromQuic } from "./transport-error.js";
