/**
 * The QUIC client under test, `quic.connectQuic` of `@nq/transport-h3-quic`, with the names the
 * interop tests use for its types. Its sessions and streams fit the minimal HTTP/3 client's
 * `H3QuicSession` as they are.
 */
import { quic } from "@nq/transport-h3-quic";

export { quic };

/** Options of `quic.connectQuic`. */
export type ConnectQuicOptions = quic.ConnectQuicOptions;

/** A connected QUIC session. */
export type QuicSessionUnderTest = quic.QuicSession;

/** Connects and completes the handshake: `quic.connectQuic` itself. */
export const connectQuic: (options: ConnectQuicOptions) => Promise<QuicSessionUnderTest> = quic.connectQuic;
