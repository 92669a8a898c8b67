import type { Headers } from "./headers.js";
import type { PreparedRequest } from "./request.js";

/** An application protocol a transport speaks, by its ALPN name. */
export type Protocol = "http/1.1" | "h2" | "h3";

/** `response.httpVersion`: 11 for HTTP/1.1, 20 for HTTP/2, 30 for HTTP/3. */
export type HttpVersion = 10 | 11 | 20 | 30;

/** Per-phase time limits in milliseconds; `null` means no limit. */
export interface TimeoutSettings {
  /** Time allowed to open the connection, TLS handshake included. */
  readonly connect: number | null;
  /** Longest wait for the next byte of the response, head or body. */
  readonly read: number | null;
  /** Time allowed for the whole exchange, from sending to the last body byte. */
  readonly total: number | null;
}

/**
 * How to verify the server's certificate: `true` uses the default trust store, `false` skips
 * verification, a string is a path to a PEM bundle or PEM text, bytes are PEM text.
 */
export type TLSVerify = boolean | string | Uint8Array;

/**
 * A client certificate for mutual TLS: one PEM file (or text) holding certificate and key, or
 * `[certificate, key]` or `[certificate, key, password]`, each a path or PEM text.
 */
export type TLSClientCert =
  | string
  | readonly [certificate: string, key: string]
  | readonly [certificate: string, key: string, password: string];

/** What the session tells a transport about one exchange beyond the request itself. */
export interface SendOptions {
  readonly timeout: TimeoutSettings;
  readonly verify: TLSVerify;
  readonly cert?: TLSClientCert | null | undefined;
  /** Aborts the exchange; the transport rejects or ends the body with `signal.reason`. */
  readonly signal?: AbortSignal | undefined;
  /** Called for each 1xx informational response (103 Early Hints…) before the final response. */
  readonly onInformational?: ((statusCode: number, headers: Headers) => void) | undefined;
  /** Called as request body bytes are handed to the connection. */
  readonly onUploadProgress?: ((sent: number, total: number | null) => void) | undefined;
  /**
   * The proxy the session chose for this request (from `proxies` or the environment), as a URL.
   * Transports that do not proxy yet connect directly and ignore it.
   */
  readonly proxy?: string | undefined;
}

/** A certificate as the peer presented it. */
export interface PeerCertificate {
  readonly subject: Readonly<Record<string, string>>;
  readonly issuer: Readonly<Record<string, string>>;
  readonly subjectAltName: string | undefined;
  readonly serialNumber: string;
  /** Validity start, as the certificate states it. */
  readonly validFrom: string;
  /** Validity end, as the certificate states it. */
  readonly validTo: string;
  /** SHA-256 fingerprint, colon-separated hex. */
  readonly fingerprint256: string;
  /** The DER encoding. */
  readonly der: Uint8Array;
}

/** Which connection served a request and how it was secured. */
export interface ConnectionInfo {
  readonly protocol: Protocol;
  readonly httpVersion: HttpVersion;
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  readonly localAddress: string | undefined;
  readonly localPort: number | undefined;
  /** True when the connection is TLS (or QUIC). */
  readonly encrypted: boolean;
  /** `TLSv1.3`, `TLSv1.2`…, when encrypted. */
  readonly tlsVersion: string | undefined;
  /** The negotiated cipher suite's standard name, when encrypted. */
  readonly cipher: string | undefined;
  readonly certificate: PeerCertificate | undefined;
  readonly issuerCertificate: PeerCertificate | undefined;
  /** True when this request reused a connection opened for an earlier one. */
  readonly reused: boolean;
  /** Milliseconds the TCP (or QUIC) connection took to establish, when this request opened it. */
  readonly establishedLatency: number | undefined;
  /** Milliseconds the TLS handshake took, when this request opened the connection. */
  readonly tlsHandshakeLatency: number | undefined;
}

/** The response head a transport resolves with, and the body still to be read. */
export interface TransportResponse {
  readonly statusCode: number;
  readonly reason: string;
  readonly httpVersion: HttpVersion;
  readonly headers: Headers;
  /** The body with its Content-Encoding removed, streamed as it arrives. Iterate it once. */
  readonly body: AsyncIterable<Uint8Array>;
  /** The body as received, still content-encoded. Iterate either this or `body`, not both. */
  readonly rawBody?: AsyncIterable<Uint8Array> | undefined;
  /** Trailer fields once the body has been read to its end; `undefined` when there are none or the body was cancelled or failed. Never rejects. */
  readonly trailers: Promise<Headers | undefined>;
  readonly connInfo?: ConnectionInfo | undefined;
  /** Releases the body without reading it; the connection is closed or reused as the protocol allows. */
  cancel(reason?: unknown): void;
}

/**
 * The one seam between the session and the network: one request in, one response head plus
 * a body stream out. A transport owns its connections; everything above one exchange
 * (redirects, cookies, auth, retries, hooks) belongs to the session.
 */
export interface Transport extends AsyncDisposable {
  /** The protocols this transport speaks, by ALPN name. */
  readonly protocols: readonly Protocol[];
  /** True if this transport can serve the URL now; transports without it serve `http:` and `https:`. */
  canHandle?(url: URL): boolean;
  /**
   * Sends one request and resolves when the response head has arrived. Rejects only with a
   * `TransportError` (or `signal.reason` when aborted).
   */
  send(request: PreparedRequest, options: SendOptions): Promise<TransportResponse>;
  /** Graceful: refuse new work, let in-flight exchanges finish, then release connections. */
  close(): Promise<void>;
  /** Abrupt: fail in-flight exchanges (with `reason` when it is a `TransportError`, else a `closed` one caused by it) and release every socket now. */
  destroy(reason?: Error): Promise<void>;
}
