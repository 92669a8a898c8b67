/**
 * The clients under test, from `@nq/transport-h3-quic`: `quic.connectQuic`, and the minimal
 * HTTP/3 client `h3.MinimalH3Client` on top of its sessions, with the names the interop tests
 * use for their types and a GET that checks a file without holding it.
 */
import { createHash } from "node:crypto";
import { h3, quic } from "@nq/transport-h3-quic";

export { h3, quic };

/** Options of `quic.connectQuic`. */
export type ConnectQuicOptions = quic.ConnectQuicOptions;

/** A connected QUIC session. */
export type QuicSessionUnderTest = quic.QuicSession;

/** The minimal HTTP/3 client of the package. */
export type MinimalH3Client = h3.MinimalH3Client;

/** Connects and completes the handshake: `quic.connectQuic` itself. */
export const connectQuic: (options: ConnectQuicOptions) => Promise<QuicSessionUnderTest> = quic.connectQuic;

/** What a GET of a test file delivered: its status, and its body's length, SHA-256 and first KiB. */
export interface FetchedFile {
  readonly status: number;
  readonly bodyLength: number;
  /** SHA-256 of the body, lower-case hex. */
  readonly sha256: string;
  /** The first KiB of the body, for failure messages. */
  readonly bodyHead: Uint8Array;
  /** Milliseconds from sending the request to the final HEADERS, and to the body's end. */
  readonly headersMs: number;
  readonly totalMs: number;
}

/**
 * GETs `path` with the package's HTTP/3 client and reads the streamed body to its end, hashing it
 * as it comes, so a 10 MiB body is never held whole.
 */
export async function fetchFile(client: MinimalH3Client, path: string): Promise<FetchedFile> {
  const started = performance.now();
  const response = await client.get(path);
  const headersMs = performance.now() - started;
  const hash = createHash("sha256");
  const head: Uint8Array[] = [];
  let headLength = 0;
  let bodyLength = 0;
  for await (const chunk of response.body) {
    hash.update(chunk);
    bodyLength += chunk.length;
    if (headLength < 1024) {
      const part = chunk.slice(0, 1024 - headLength);
      head.push(part);
      headLength += part.length;
    }
  }
  return {
    status: response.status,
    bodyLength,
    sha256: hash.digest("hex"),
    bodyHead: Uint8Array.from(Buffer.concat(head)),
    headersMs,
    totalMs: performance.now() - started,
  };
}
