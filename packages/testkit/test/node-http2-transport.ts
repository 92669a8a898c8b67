/**
 * A minimal HTTP/2 transport on node:http2, written only to prove the h2 variants of the
 * conformance cases can be passed. One session per origin and TLS settings; not shipped.
 */
import { readFileSync } from "node:fs";
import {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  connect,
  constants,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
} from "node:http2";
import { createGunzip } from "node:zlib";
import {
  Headers,
  type PreparedRequest,
  type Protocol,
  reasonPhrase,
  type SendOptions,
  type Transport,
  TransportError,
  type TransportErrorKind,
  type TransportErrorPhase,
  type TransportResponse,
} from "@nq/models";

const TLS_CODES = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|HOSTNAME_MISMATCH|ERR_OSSL)/;
// Connection-specific fields HTTP/2 forbids (RFC 9113 §8.2.2); Host becomes :authority.
const FORBIDDEN = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "host",
]);

function pemOrPath(value: string | Uint8Array): string {
  if (typeof value !== "string") return new TextDecoder().decode(value);
  return value.includes("-----BEGIN") ? value : readFileSync(value, "utf8");
}

function classify(error: unknown, phase: TransportErrorPhase): TransportError {
  if (error instanceof TransportError) return error;
  const code = (error as { code?: string } | null)?.code;
  const message = (error as Error | null)?.message ?? String(error);
  let kind: TransportErrorKind = "closed";
  if (code === "ECONNREFUSED") kind = "connect";
  else if (code && TLS_CODES.test(code)) kind = "tls";
  else if (code === "ECONNRESET") kind = "reset";
  else if (code === "ERR_HTTP2_STREAM_ERROR") kind = /PROTOCOL_ERROR/.test(message) ? "protocol" : "reset";
  return new TransportError(message, { kind, phase, retryable: phase === "connect", code, cause: error });
}

function rawToHeaders(raw: readonly string[]): Headers {
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) if (!raw[i]!.startsWith(":")) out.push(raw[i]!, raw[i + 1]!);
  return Headers.fromRaw(out);
}

function objectToHeaders(headers: IncomingHttpHeaders): Headers {
  const out: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith(":") || value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) out.push(name, String(v));
  }
  return Headers.fromRaw(out);
}

export class NodeHttp2Transport implements Transport {
  readonly protocols: readonly Protocol[] = ["h2"];
  readonly #sessions = new Map<string, Promise<ClientHttp2Session>>();
  readonly #live = new Set<ClientHttp2Session>();
  #closed = false;

  canHandle(url: URL): boolean {
    return url.protocol === "http:" || url.protocol === "https:";
  }

  #session(url: URL, options: SendOptions): Promise<ClientHttp2Session> {
    const tls: Record<string, unknown> = {};
    if (url.protocol === "https:") {
      if (options.verify === false) tls.rejectUnauthorized = false;
      else if (options.verify !== true) tls.ca = pemOrPath(options.verify);
      const cert = options.cert;
      if (typeof cert === "string") Object.assign(tls, { cert: pemOrPath(cert), key: pemOrPath(cert) });
      else if (cert) Object.assign(tls, { cert: pemOrPath(cert[0]), key: pemOrPath(cert[1]) });
    }
    // Sessions are keyed by their TLS settings so a verify: false session never serves a verifying request.
    const key = JSON.stringify([url.origin, tls]);
    const existing = this.#sessions.get(key);
    if (existing) return existing;
    const opening = new Promise<ClientHttp2Session>((resolve, reject) => {
      const session = connect(url.origin, { ...tls, ALPNProtocols: ["h2"] });
      this.#live.add(session);
      const timer =
        options.timeout.connect === null
          ? undefined
          : setTimeout(() => {
              session.destroy();
              reject(
                new TransportError("connect timed out", {
                  kind: "timeout",
                  phase: "connect",
                  retryable: true,
                }),
              );
            }, options.timeout.connect);
      session.once("connect", () => {
        clearTimeout(timer);
        resolve(session);
      });
      session.once("error", (error) => {
        clearTimeout(timer);
        reject(classify(error, "connect"));
      });
      session.on("error", () => {});
      session.once("close", () => {
        clearTimeout(timer);
        this.#live.delete(session);
        if (this.#sessions.get(key) === opening) this.#sessions.delete(key);
        reject(new TransportError("session closed", { kind: "closed", phase: "connect", retryable: true }));
      });
      session.once("goaway", () => {
        if (this.#sessions.get(key) === opening) this.#sessions.delete(key);
      });
    });
    this.#sessions.set(key, opening);
    opening.catch(() => this.#sessions.delete(key));
    return opening;
  }

  async send(prepared: PreparedRequest, options: SendOptions): Promise<TransportResponse> {
    if (this.#closed)
      throw new TransportError("transport closed", { kind: "closed", phase: "connect", retryable: true });
    const signal = options.signal;
    signal?.throwIfAborted();
    const url = new URL(prepared.url);
    const sessionPromise = this.#session(url, options);
    const session = await new Promise<ClientHttp2Session>((resolve, reject) => {
      const onAbort = (): void => reject(signal!.reason);
      signal?.addEventListener("abort", onAbort, { once: true });
      sessionPromise.then(resolve, reject).finally(() => signal?.removeEventListener("abort", onAbort));
    });
    const headers: OutgoingHttpHeaders = {
      ":method": prepared.method,
      ":path": `${url.pathname}${url.search}`,
    };
    for (const [name, value] of prepared.headers.raw()) {
      const lower = name.toLowerCase();
      if (FORBIDDEN.has(lower)) continue;
      const previous = headers[lower];
      headers[lower] =
        previous === undefined
          ? value
          : [...(Array.isArray(previous) ? previous : [String(previous)]), value];
    }
    const body = prepared.body;
    let stream: ClientHttp2Stream;
    try {
      stream = session.request(headers, { endStream: body === null });
    } catch (error) {
      throw classify(error, "send");
    }
    let phase: TransportErrorPhase = body === null ? "head" : "send";
    let timer: NodeJS.Timeout | undefined;
    const arm = (ms: number | null, at: TransportErrorPhase): void => {
      clearTimeout(timer);
      if (ms !== null) {
        timer = setTimeout(
          () =>
            stream.destroy(
              new TransportError(`${at} timed out`, { kind: "timeout", phase: at, retryable: false }),
            ),
          ms,
        );
      }
    };
    if (phase === "head") arm(options.timeout.read, "head");
    const onAbort = (): void => {
      stream.close(constants.NGHTTP2_CANCEL);
      stream.destroy(signal!.reason as Error);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    stream.once("close", () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    });

    void (async () => {
      if (body === null) return;
      const total = body instanceof Uint8Array ? body.length : null;
      let sent = 0;
      try {
        const chunks = body instanceof Uint8Array ? [body] : body;
        for await (const chunk of chunks) {
          if (!stream.write(chunk)) await new Promise((r) => stream.once("drain", r));
          sent += chunk.length;
          options.onUploadProgress?.(sent, total);
        }
        stream.end();
        phase = "head";
        arm(options.timeout.read, "head");
      } catch (error) {
        stream.destroy(error as Error);
      }
    })();

    return new Promise<TransportResponse>((resolve, reject) => {
      let headed = false;
      let failure: unknown;
      const fail = (error: unknown): unknown =>
        (failure ??= signal?.aborted && error === signal.reason ? error : classify(error, phase));
      stream.on("error", (error) => {
        const mapped = fail(error);
        if (!headed) reject(mapped);
      });
      stream.once("close", () => {
        if (!headed)
          reject(fail(new TransportError("stream closed", { kind: "closed", phase, retryable: false })));
      });
      stream.on("headers", (info) => {
        const status = Number(info[":status"]);
        if (status >= 100 && status < 200) options.onInformational?.(status, objectToHeaders(info));
      });
      let trailersDone: (value: Headers | undefined) => void = () => {};
      const trailers = new Promise<Headers | undefined>((r) => (trailersDone = r));
      stream.once("trailers", (fields) => trailersDone(objectToHeaders(fields)));
      stream.once("close", () => trailersDone(undefined));
      stream.once("response", (...args: unknown[]) => {
        const fields = args[0] as IncomingHttpHeaders;
        // node:http2 passes the raw header list as an undocumented third argument; it keeps
        // repeated fields apart where the object joins them.
        const raw = args[2] as string[] | undefined;
        headed = true;
        phase = "body";
        arm(null, "body");
        const status = Number(fields[":status"]);
        let taken = false;
        const readTimeout = options.timeout.read;
        const stream2 = (decode: boolean): AsyncIterable<Uint8Array> => ({
          [Symbol.asyncIterator]() {
            if (taken) throw new TypeError("body already taken");
            taken = true;
            const gzip = decode && /gzip/i.test(String(fields["content-encoding"] ?? ""));
            const source = gzip ? stream.pipe(createGunzip()) : stream;
            if (gzip) stream.on("error", (error) => source.destroy(error));
            const iterator = source[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
            return {
              async next() {
                try {
                  arm(readTimeout, "body");
                  return await iterator.next().finally(() => arm(null, "body"));
                } catch (error) {
                  throw fail(error);
                }
              },
              async return() {
                stream.close(constants.NGHTTP2_CANCEL);
                return { done: true, value: undefined };
              },
            };
          },
        });
        resolve({
          statusCode: status,
          reason: reasonPhrase(status),
          httpVersion: 20,
          headers: raw ? rawToHeaders(raw) : objectToHeaders(fields),
          body: stream2(true),
          rawBody: stream2(false),
          trailers,
          cancel: () => stream.close(constants.NGHTTP2_CANCEL),
        });
      });
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(
      [...this.#live].map(
        (session) =>
          new Promise<void>((resolve) => {
            if (session.destroyed) return resolve();
            session.once("close", () => resolve());
            session.close();
          }),
      ),
    );
  }

  async destroy(reason?: Error): Promise<void> {
    this.#closed = true;
    for (const session of this.#live) session.destroy(reason);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
