/**
 * A minimal HTTP/1.1 transport on node:http and node:https, written only to prove that the
 * conformance suite can be passed by a straightforward implementation (and to debug the suite
 * before the real transports exist). It is not shipped.
 */
import { readFileSync } from "node:fs";
import {
  type ClientRequest,
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingMessage,
} from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { createGunzip } from "node:zlib";
import {
  Headers,
  type PreparedRequest,
  type Protocol,
  type SendOptions,
  type Transport,
  TransportError,
  type TransportErrorKind,
  type TransportErrorPhase,
  type TransportResponse,
} from "@nq/models";

const TLS_CODES = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|HOSTNAME_MISMATCH|ERR_OSSL)/;

function pemOrPath(value: string | Uint8Array): string {
  if (typeof value !== "string") return new TextDecoder().decode(value);
  return value.includes("-----BEGIN") ? value : readFileSync(value, "utf8");
}

function classify(error: unknown, phase: TransportErrorPhase): TransportError {
  if (error instanceof TransportError) return error;
  const code = (error as { code?: string } | null)?.code;
  let kind: TransportErrorKind = "closed";
  if (code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EHOSTUNREACH") kind = "connect";
  else if (code && TLS_CODES.test(code)) kind = "tls";
  else if (code === "ECONNRESET" || code === "EPIPE") kind = "reset";
  else if (code?.startsWith("HPE_") || code === "Z_DATA_ERROR")
    kind = code.startsWith("Z_") ? "decoding" : "protocol";
  return new TransportError((error as Error)?.message ?? String(error), {
    kind,
    phase,
    retryable: phase === "connect",
    code,
    cause: error,
  });
}

interface Exchange {
  readonly request: ClientRequest;
  fail(error: Error): void;
}

export class NodeHttpTransport implements Transport {
  readonly protocols: readonly Protocol[] = ["http/1.1"];
  readonly #http = new HttpAgent({ keepAlive: true });
  readonly #https = new HttpsAgent({ keepAlive: true });
  readonly #inFlight = new Set<Exchange>();
  readonly #idle = new Set<() => void>();
  #closed = false;

  canHandle(url: URL): boolean {
    return url.protocol === "http:" || url.protocol === "https:";
  }

  send(prepared: PreparedRequest, options: SendOptions): Promise<TransportResponse> {
    if (this.#closed) {
      return Promise.reject(
        new TransportError("transport closed", { kind: "closed", phase: "connect", retryable: true }),
      );
    }
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const url = new URL(prepared.url);
    const secure = url.protocol === "https:";
    const tls: Record<string, unknown> = {};
    if (secure) {
      if (options.verify === false) tls.rejectUnauthorized = false;
      else if (options.verify !== true) tls.ca = pemOrPath(options.verify);
      const cert = options.cert;
      if (typeof cert === "string") Object.assign(tls, { cert: pemOrPath(cert), key: pemOrPath(cert) });
      else if (cert)
        Object.assign(tls, { cert: pemOrPath(cert[0]), key: pemOrPath(cert[1]), passphrase: cert[2] });
    }
    let phase: TransportErrorPhase = "connect";
    let settledHead = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = (ms: number | null, error: () => TransportError): void => {
      clearTimeout(timer);
      if (ms !== null) timer = setTimeout(() => req.destroy(error()), ms);
    };
    const req = (secure ? httpsRequest : httpRequest)({
      method: prepared.method,
      hostname: url.hostname.replace(/^\[|\]$/g, ""),
      port: url.port,
      path: `${url.pathname}${url.search}`,
      // An array keeps the caller's field-name case, but node:http then adds no Host of its own.
      headers: prepared.headers.has("host")
        ? prepared.headers.flat()
        : ["Host", url.host, ...prepared.headers.flat()],
      agent: secure ? this.#https : this.#http,
      ...tls,
    });
    const timeoutError = (at: TransportErrorPhase) => () =>
      new TransportError(`${at} timed out`, { kind: "timeout", phase: at, retryable: at === "connect" });

    return new Promise<TransportResponse>((resolve, reject) => {
      let response: IncomingMessage | undefined;
      let bodyError: ((error: unknown) => void) | undefined;
      const exchange: Exchange = {
        request: req,
        fail: (error) => {
          req.destroy(error);
        },
      };
      this.#inFlight.add(exchange);
      const finish = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.#inFlight.delete(exchange);
        if (this.#inFlight.size === 0) for (const wake of this.#idle) wake();
      };
      const onAbort = (): void => {
        req.destroy(signal!.reason as Error);
      };
      signal?.addEventListener("abort", onAbort, { once: true });

      const fail = (error: unknown): void => {
        const mapped = signal?.aborted && error === signal.reason ? error : classify(error, phase);
        if (!settledHead) {
          settledHead = true;
          finish();
          reject(mapped);
        } else bodyError?.(mapped);
      };
      req.on("error", fail);
      req.on("information", (info) =>
        options.onInformational?.(info.statusCode, Headers.fromRaw(info.rawHeaders)),
      );
      req.on("socket", (socket: Socket) => {
        const connected = (): void => {
          phase = "send";
          arm(null, timeoutError("connect"));
        };
        if (socket.connecting || (secure && !(socket as TLSSocket).encrypted)) {
          arm(options.timeout.connect, timeoutError("connect"));
          socket.once(secure ? "secureConnect" : "connect", connected);
        } else if (
          secure &&
          (socket as TLSSocket).authorized === undefined &&
          socket.readyState === "opening"
        ) {
          socket.once("secureConnect", connected);
        } else connected();
      });
      req.on("finish", () => {
        if (phase === "send") phase = "head";
        if (!response) arm(options.timeout.read, timeoutError("head"));
      });
      req.on("response", (res) => {
        response = res;
        settledHead = true;
        phase = "body";
        const readTimeout = options.timeout.read;
        arm(null, timeoutError("body"));
        res.on("end", () => finish());
        res.on("close", () => finish());
        let trailersDone: (value: Headers | undefined) => void = () => {};
        const trailers = new Promise<Headers | undefined>((r) => (trailersDone = r));
        res.once("end", () =>
          trailersDone(res.rawTrailers.length ? Headers.fromRaw(res.rawTrailers) : undefined),
        );
        res.once("close", () => trailersDone(undefined));
        let taken = false;
        const stream = (decode: boolean): AsyncIterable<Uint8Array> => ({
          [Symbol.asyncIterator]() {
            if (taken) throw new TypeError("body already taken");
            taken = true;
            const gzip = decode && /gzip/i.test(res.headers["content-encoding"] ?? "");
            const source = gzip ? res.pipe(createGunzip()) : res;
            const iterator = source[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
            let failure: unknown;
            bodyError = (error) => {
              failure = error;
              source.destroy(error as Error);
            };
            // Node reports a body cut short as an "aborted" error on the response.
            res.on("error", (error) => bodyError?.(failure ?? classify(error, "body")));
            res.on("aborted", () =>
              bodyError?.(
                failure ?? classify(Object.assign(new Error("aborted"), { code: "ECONNRESET" }), "body"),
              ),
            );
            return {
              async next() {
                try {
                  // The read timeout runs only while the caller waits for bytes.
                  arm(readTimeout, timeoutError("body"));
                  const result = await iterator.next().finally(() => arm(null, timeoutError("body")));
                  if (result.done && res.complete === false)
                    throw failure ?? classify(new Error("truncated"), "body");
                  return result;
                } catch (error) {
                  throw failure ?? (signal?.aborted ? signal.reason : classify(error, "body"));
                }
              },
              async return() {
                res.destroy();
                return { done: true, value: undefined };
              },
            };
          },
        });
        resolve({
          statusCode: res.statusCode ?? 0,
          reason: res.statusMessage ?? "",
          httpVersion: res.httpVersionMinor === 0 ? 10 : 11,
          headers: Headers.fromRaw(res.rawHeaders),
          body: stream(true),
          rawBody: stream(false),
          trailers,
          cancel: () => res.destroy(),
        });
      });

      void (async () => {
        const body = prepared.body;
        const declared = prepared.headers.get("content-length");
        const total = body instanceof Uint8Array ? body.length : declared === null ? null : Number(declared);
        let sent = 0;
        try {
          if (body instanceof Uint8Array) {
            for (let at = 0; at < body.length; at += 16_384) {
              const slice = body.subarray(at, at + 16_384);
              if (!req.write(slice)) await new Promise((r) => req.once("drain", r));
              sent += slice.length;
              options.onUploadProgress?.(sent, total);
            }
          } else if (body) {
            for await (const chunk of body) {
              if (!req.write(chunk)) await new Promise((r) => req.once("drain", r));
              sent += chunk.length;
              options.onUploadProgress?.(sent, total);
            }
          }
          req.end();
        } catch (error) {
          req.destroy(error as Error);
        }
      })();
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#inFlight.size > 0) await new Promise<void>((resolve) => this.#idle.add(resolve));
    this.#http.destroy();
    this.#https.destroy();
  }

  async destroy(reason?: Error): Promise<void> {
    this.#closed = true;
    for (const exchange of this.#inFlight) exchange.fail(reason ?? new Error("destroyed"));
    this.#http.destroy();
    this.#https.destroy();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
