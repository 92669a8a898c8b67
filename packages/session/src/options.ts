import type { RequestsCookieJar } from "@nq/cookies";
import type {
  AuthInput,
  CookiesInput,
  FilesInput,
  HeadersInit,
  Hooks,
  Protocol,
  QueryParams,
  RequestData,
  TLSClientCert,
  TLSVerify,
  Transport,
} from "@nq/models";
import type { RetryInput, TimeoutInput } from "@nq/retry";
import type { Environment } from "./environment.js";
import type { ProxiesInput } from "./proxies.js";

/** Headers as a request or session takes them; a `null` value removes a session header. */
export type HeadersOption = HeadersInit | { readonly [name: string]: string | number | null | undefined };

/** The options of one request, niquests' keyword arguments in camelCase. */
export interface RequestOptions {
  readonly params?: QueryParams | null | undefined;
  readonly data?: RequestData | null | undefined;
  readonly json?: unknown;
  readonly headers?: HeadersOption | null | undefined;
  /** Cookies for this request only: sent to its host (not to another host after a redirect), never stored. */
  readonly cookies?: CookiesInput | null | undefined;
  readonly files?: FilesInput | null | undefined;
  readonly auth?: AuthInput | null | undefined;
  /** Milliseconds, `[connect, read]`, `[connect, read, total]` or a `TimeoutConfiguration`; falsy means the default. */
  readonly timeout?: TimeoutInput | null | undefined;
  /** Follow redirects (default true, false for HEAD). */
  readonly allowRedirects?: boolean | undefined;
  readonly verify?: TLSVerify | null | undefined;
  readonly cert?: TLSClientCert | null | undefined;
  /** Resolve as soon as the head arrives and leave the body to be read or iterated. */
  readonly stream?: boolean | undefined;
  readonly hooks?: Hooks | null | undefined;
  /** Aborts the request; it rejects with `signal.reason`. */
  readonly signal?: AbortSignal | undefined;
  /** Proxies for this request, merged over the session's (chosen and exposed; see the README). */
  readonly proxies?: ProxiesInput | null | undefined;
  /** Retries for this request instead of the session's: a count, a `RetryConfiguration`, or `false`. */
  readonly retries?: RetryInput | null | undefined;
}

/** The options of {@link Session.send}, for a request already prepared. */
export interface SendRequestOptions {
  readonly timeout?: TimeoutInput | null | undefined;
  readonly allowRedirects?: boolean | undefined;
  readonly verify?: TLSVerify | null | undefined;
  readonly cert?: TLSClientCert | null | undefined;
  readonly stream?: boolean | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly proxies?: ProxiesInput | null | undefined;
  readonly retries?: RetryInput | null | undefined;
}

/** What {@link Session.mergeEnvironmentSettings} settles for one URL. */
export interface EnvironmentSettings {
  /** Every proxy entry in force: the request's, the session's and (with `trustEnv`) the environment's. */
  readonly proxies: Readonly<Record<string, string>>;
  /** The proxy this URL goes through, or `undefined` for a direct connection. */
  readonly proxy: string | undefined;
  readonly verify: TLSVerify;
  readonly cert: TLSClientCert | null | undefined;
  readonly stream: boolean;
}

/** What a transport factory is told about the session it serves. */
export interface TransportSettings {
  /** Protocols left enabled by `disableHttp1/2/3`. */
  readonly protocols: readonly Protocol[];
  /** How many origins keep a connection pool. */
  readonly poolConnections: number;
  /** How many idle connections each origin keeps for reuse (HTTP/1.1 opens more under load, as urllib3). */
  readonly poolMaxsize: number;
  /** Address family to connect with: 4, 6, or either. */
  readonly family: 4 | 6 | undefined;
  /** Local address (and port) to bind outgoing connections to. */
  readonly sourceAddress: readonly [host: string, port: number] | undefined;
  /** How long (ms) an idle HTTP/2 or HTTP/3 connection is kept alive with PINGs; `null`: not at all. */
  readonly keepaliveDelay: number | null | undefined;
  /** Silence (ms) after which an HTTP/2 or HTTP/3 connection is PINGed; `null`: never. */
  readonly keepaliveIdleWindow: number | null | undefined;
}

/** Builds a session's transports from its settings (the `niquests` package passes the default one). */
export type TransportFactory = (settings: TransportSettings) => readonly Transport[];

/** The options of a {@link Session}: niquests' keyword arguments in camelCase, durations in ms. */
export interface SessionOptions {
  /** Default timeout when a request gives none (else 30 s for GET/HEAD/OPTIONS, 120 s for the rest). */
  readonly timeout?: TimeoutInput | null | undefined;
  /** Replaces the default headers (User-Agent, Accept-Encoding, Accept, Connection). */
  readonly headers?: HeadersOption | null | undefined;
  readonly auth?: AuthInput | null | undefined;
  readonly hooks?: Hooks | null | undefined;
  readonly params?: QueryParams | null | undefined;
  readonly cookies?: RequestsCookieJar | { readonly [name: string]: string } | null | undefined;
  readonly verify?: TLSVerify | undefined;
  readonly cert?: TLSClientCert | null | undefined;
  /** Prefix for URLs without a scheme. */
  readonly baseUrl?: string | null | undefined;
  /** Most redirects followed before `TooManyRedirects` (default 30). */
  readonly maxRedirects?: number | undefined;
  /** Read proxies, CA bundles and `.netrc` from the environment (default true). */
  readonly trustEnv?: boolean | undefined;
  /** Proxies for every request (see `RequestOptions.proxies`). */
  readonly proxies?: ProxiesInput | null | undefined;
  /** Retries for every request: a count, a `RetryConfiguration`, or `false` (default 0: none). */
  readonly retries?: RetryInput | null | undefined;
  /** Where `trustEnv` reads variables and files; by default variables only (no file access). */
  readonly environment?: Environment | undefined;
  /** Store cookies that servers set (default true). */
  readonly allowIncomingCookies?: boolean | undefined;
  readonly stream?: boolean | undefined;
  readonly disableHttp1?: boolean | undefined;
  readonly disableHttp2?: boolean | undefined;
  readonly disableHttp3?: boolean | undefined;
  readonly disableIpv4?: boolean | undefined;
  readonly disableIpv6?: boolean | undefined;
  /** How many origins keep a connection pool (default 10). */
  readonly poolConnections?: number | undefined;
  /**
   * How many idle connections each origin keeps for reuse (default 10); under more concurrent
   * HTTP/1.1 requests, extra connections open and close after use, as niquests' pools never block.
   */
  readonly poolMaxsize?: number | undefined;
  /** How long (ms) idle HTTP/2 connections are kept alive with PINGs (default 600 000; `null` disables). */
  readonly keepaliveDelay?: number | null | undefined;
  /** Silence (ms) after which an HTTP/2 connection is PINGed (default 60 000; `null` disables). */
  readonly keepaliveIdleWindow?: number | null | undefined;
  /** Local `[address, port]` to bind outgoing connections to (port 0: any). */
  readonly sourceAddress?: readonly [host: string, port: number] | undefined;
  /** Accepted for niquests compatibility: concurrent requests to an HTTP/2 or HTTP/3 origin always share a connection. */
  readonly multiplexed?: boolean | undefined;
  /** The transports to send with, or a factory building them from these options. */
  readonly transports?: readonly Transport[] | TransportFactory | undefined;
}
