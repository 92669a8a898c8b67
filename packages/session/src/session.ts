import {
  basicAuthHeader,
  type NetrcFile,
  netrcCredentials,
  netrcPaths,
  parseNetrc,
  toAuthenticator,
} from "@nq/auth";
import { RequestsCookieJar } from "@nq/cookies";
import {
  type Authenticator,
  type AuthInput,
  type CookieJarView,
  type CookiesInput,
  Headers,
  type Hooks,
  InvalidSchema,
  isReplayable,
  joinBaseUrl,
  PreparedRequest,
  type Protocol,
  type QueryParams,
  Request,
  type RequestInit,
  Response,
  redecodeLatin1,
  resolveLocation,
  type SendOptions,
  type TimeoutSettings,
  type TLSClientCert,
  type TLSVerify,
  TooManyRedirects,
  type Transport,
  type TransportResponse,
  UnrewindableBodyError,
} from "@nq/models";
import { RetryConfiguration, type RetryInput, TimeoutConfiguration, type TimeoutInput } from "@nq/retry";
import { type Environment, environmentCaBundle, runtimeEnvironment } from "./environment.js";
import { dispatchHook, mergeHeaders, mergeHooks, mergeParams } from "./merge.js";
import type {
  EnvironmentSettings,
  HeadersOption,
  RequestOptions,
  SendRequestOptions,
  SessionOptions,
  TransportSettings,
} from "./options.js";
import { environmentProxies, type ProxiesInput, selectProxy, shouldBypassProxies } from "./proxies.js";
import { redirectMethod, shouldStripAuth } from "./redirects.js";
import { withRetries } from "./retrying.js";
import { VERSION } from "./version.js";

/** The User-Agent nq sends unless told otherwise. */
export const DEFAULT_USER_AGENT = `nq/${VERSION}`;

/** The headers a new session sends: niquests' defaults. */
export function defaultHeaders(): Headers {
  return new Headers([
    ["User-Agent", DEFAULT_USER_AGENT],
    ["Accept-Encoding", "gzip, deflate, br"],
    ["Accept", "*/*"],
    ["Connection", "keep-alive"],
  ]);
}

// niquests' defaults when neither the call nor the session gives a timeout.
const READ_TIMEOUT = new TimeoutConfiguration({ connect: 30_000, read: 30_000 });
const WRITE_TIMEOUT = new TimeoutConfiguration({ connect: 120_000, read: 120_000 });
const READ_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
const NO_COOKIES: CookieJarView = new RequestsCookieJar();
const NO_PROXIES: Readonly<Record<string, string>> = Object.freeze({});

// The schemes whose `<scheme>_proxy` variables the environment may set.
const PROXY_SCHEMES = ["http", "https", "ws", "wss", "all"];

/** Cookies given with one request, kept to the host they were sent to. */
interface RequestCookies {
  readonly jar: RequestsCookieJar;
  readonly host: string;
}

/** What the session remembers about a prepared request between its hops. */
interface RequestState {
  readonly cookies: RequestCookies | undefined;
  /** The caller set the Cookie header themselves: it is not rebuilt from the jars. */
  readonly manualCookie: boolean;
}

/** What `trustEnv` takes from the environment, read once per session (as `.netrc` is). */
interface EnvironmentSnapshot {
  readonly caBundle: string | undefined;
  /** `<scheme>_proxy` variables by scheme. */
  readonly proxies: Readonly<Record<string, string>>;
  readonly hasProxies: boolean;
}

/** The settings of one call, shared by its hops, auth steps and retries. */
interface CallContext {
  readonly timeout: TimeoutSettings;
  readonly verify: TLSVerify;
  readonly cert: TLSClientCert | null | undefined;
  readonly signal: AbortSignal | undefined;
  readonly retries: RetryConfiguration;
  readonly proxies: Readonly<Record<string, string>>;
  /** False: each attempt reads its body, so a body cut short is retried like a failed head. */
  readonly stream: boolean;
}

function hasScheme(url: string): boolean {
  return /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(url);
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "";
  }
}

function mergeCookieHeaders(session: string | null, request: string | null): string | null {
  if (!request) return session;
  if (!session) return request;
  const values = new Map<string, string>();
  for (const header of [session, request]) {
    for (const part of header.split("; ")) {
      const eq = part.indexOf("=");
      values.set(eq < 0 ? part : part.slice(0, eq), part);
    }
  }
  return [...values.values()].join("; ");
}

// A malformed .netrc is ignored, as Requests ignores it, rather than failing every request.
function parseNetrcOrNull(text: string): NetrcFile | null {
  try {
    return parseNetrc(text);
  } catch {
    return null;
  }
}

/** Requests' `get_auth_from_url`: `http://user:pass@host/` means Basic credentials, percent-decoded. */
function applyUrlCredentials(request: PreparedRequest): void {
  // Only a URL with an "@" can carry credentials: the others skip the parse.
  if (!request.url.includes("@") || request.headers.has("authorization")) return;
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    return;
  }
  if (!url.username && !url.password) return;
  const decode = (part: string) => {
    try {
      return decodeURIComponent(part);
    } catch {
      return part;
    }
  };
  request.headers.set("Authorization", basicAuthHeader(decode(url.username), decode(url.password)));
}

/** `scheme://authority` of a URL, by string search: a cache key, not a parse. */
function originPrefix(url: string): string | undefined {
  const start = url.indexOf("://");
  if (start < 0) return undefined;
  const end = url.indexOf("/", start + 3);
  return end < 0 ? url : url.slice(0, end);
}

// `no_proxy` alone names no proxy.
function hasProxyEntry(proxies: Readonly<Record<string, string>>): boolean {
  for (const key in proxies) if (key !== "no_proxy") return true;
  return false;
}

function mergeProxies(target: Record<string, string>, source: ProxiesInput | null | undefined): void {
  if (!source) return;
  for (const [key, value] of Object.entries(source)) {
    if (value === null) delete target[key];
    else if (value !== undefined) target[key] = value;
  }
}

/**
 * A Requests session: default headers, cookies, auth, params and hooks merged into every
 * request, redirects followed, connections pooled by its transports.
 */
export class Session implements AsyncDisposable {
  /** Sent with every request; a request's own headers are merged over these. */
  headers: Headers;
  /** Cookies sent to matching hosts and updated from every response. */
  cookies: RequestsCookieJar;
  /** Authentication for every request that brings none. */
  auth: AuthInput | null | undefined;
  /** Hooks for every request; a request's hooks for an event replace these. */
  hooks: Hooks;
  /** Query parameters for every request. */
  params: QueryParams | null | undefined;
  /** Certificate verification for every request (default true). */
  verify: TLSVerify;
  /** Client certificate for every request. */
  cert: TLSClientCert | null | undefined;
  /** Prefix for URLs without a scheme. */
  baseUrl: string | null | undefined;
  /** Most redirects followed before `TooManyRedirects`. */
  maxRedirects: number;
  /** Default timeout when a request gives none. */
  timeout: TimeoutInput | null | undefined;
  /** Default for the `stream` option. */
  stream: boolean;
  /** Store cookies that servers set. */
  allowIncomingCookies: boolean;
  /** Read proxies, CA bundles and `.netrc` from the environment. */
  trustEnv: boolean;
  /** Proxies for every request. */
  proxies: ProxiesInput;
  /** Retries for every request (default 0: none). */
  retries: RetryInput;

  readonly #protocols: readonly Protocol[];
  readonly #transports: readonly Transport[];
  readonly #environment: Environment;
  #mounts: [prefix: string, transport: Transport][] = [];
  readonly #state = new WeakMap<PreparedRequest, RequestState>();
  // A count, not a Set of promises: a Set that churns once per request leaves V8 a chain of
  // obsolete hash tables, each holding the last few responses, that the young-generation
  // collector cannot free, which tripled the time spent collecting garbage.
  #inFlight = 0;
  readonly #gathered: (() => void)[] = [];
  // Read once per session, on first use: null when no file exists.
  #netrc: NetrcFile | null | undefined;
  // process.env reads cost a C++ call each; the environment is read once, on first use.
  #snapshot: EnvironmentSnapshot | undefined;
  // The retry configuration last built from `retries`, reused while the setting is the same.
  #retryInput: RetryInput | null | undefined;
  #retryConfiguration: RetryConfiguration | undefined;
  #lastOrigin: string | undefined;
  #lastTransport: Transport | undefined;

  constructor(options: SessionOptions = {}) {
    this.headers = options.headers == null ? defaultHeaders() : mergeHeaders(new Headers(), options.headers);
    this.cookies = RequestsCookieJar.isJar(options.cookies)
      ? options.cookies
      : new RequestsCookieJar(options.cookies ?? undefined);
    this.auth = options.auth;
    this.hooks = options.hooks ?? {};
    this.params = options.params;
    this.verify = options.verify ?? true;
    this.cert = options.cert;
    this.baseUrl = options.baseUrl;
    this.maxRedirects = options.maxRedirects ?? 30;
    // Validated now, so a bad setting fails at construction rather than at the first request.
    TimeoutConfiguration.from(options.timeout);
    this.timeout = options.timeout;
    this.retries = options.retries ?? 0;
    RetryConfiguration.from(this.retries);
    this.stream = options.stream ?? false;
    this.allowIncomingCookies = options.allowIncomingCookies ?? true;
    this.trustEnv = options.trustEnv ?? true;
    this.proxies = options.proxies ?? {};
    this.#environment = options.environment ?? runtimeEnvironment;

    if (options.disableIpv4 && options.disableIpv6) throw new TypeError("Cannot disable both IPv4 and IPv6");
    const protocols: Protocol[] = [];
    if (!options.disableHttp1) protocols.push("http/1.1");
    if (!options.disableHttp2) protocols.push("h2");
    if (!options.disableHttp3) protocols.push("h3");
    if (protocols.length === 0) throw new TypeError("Cannot disable HTTP/1.1, HTTP/2 and HTTP/3 all at once");
    this.#protocols = protocols;
    const settings: TransportSettings = {
      protocols,
      poolConnections: options.poolConnections ?? 10,
      poolMaxsize: options.poolMaxsize ?? 10,
      family: options.disableIpv4 ? 6 : options.disableIpv6 ? 4 : undefined,
      sourceAddress: options.sourceAddress,
      keepaliveDelay: options.keepaliveDelay,
      keepaliveIdleWindow: options.keepaliveIdleWindow,
    };
    const transports = options.transports;
    this.#transports = typeof transports === "function" ? transports(settings) : (transports ?? []);
  }

  /** Sends a request with this session's settings merged in; resolves with the final response. */
  request(method: string, url: string, options: RequestOptions = {}): Promise<Response> {
    let pending: Promise<Response>;
    try {
      pending = this.#request(method, url, options);
    } catch (error) {
      // A request that cannot even be prepared (no scheme, bad URL) still rejects, never throws.
      pending = Promise.reject(error);
    }
    this.#inFlight++;
    pending.then(this.#settled, this.#settled);
    return pending;
  }

  readonly #settled = (): void => {
    if (--this.#inFlight > 0) return;
    for (const resolve of this.#gathered.splice(0)) resolve();
  };

  // Not async: `send` already is, and one more async layer per request is one more promise and
  // microtask hop on the path every request takes.
  #request(method: string, url: string, options: RequestOptions): Promise<Response> {
    const init: RequestInit = {
      method: method.toUpperCase(),
      url,
      headers: options.headers,
      params: options.params,
      data: options.data,
      json: options.json,
      files: options.files,
      auth: options.auth,
      cookies: options.cookies,
      hooks: options.hooks,
    };
    const prepared = this.prepareRequest(new Request(init));
    return this.send(prepared, {
      timeout: options.timeout,
      allowRedirects: options.allowRedirects,
      verify: options.verify,
      cert: options.cert,
      stream: options.stream,
      signal: options.signal,
      proxies: options.proxies,
      retries: options.retries,
    });
  }

  /** GET; follows redirects. */
  get(url: string, options?: RequestOptions): Promise<Response> {
    return this.request("GET", url, options);
  }

  /** OPTIONS. */
  options(url: string, options?: RequestOptions): Promise<Response> {
    return this.request("OPTIONS", url, options);
  }

  /** HEAD; does not follow redirects unless `allowRedirects: true`. */
  head(url: string, options: RequestOptions = {}): Promise<Response> {
    return this.request("HEAD", url, { allowRedirects: false, ...options });
  }

  /** POST. */
  post(url: string, options?: RequestOptions): Promise<Response> {
    return this.request("POST", url, options);
  }

  /** PUT. */
  put(url: string, options?: RequestOptions): Promise<Response> {
    return this.request("PUT", url, options);
  }

  /** PATCH. */
  patch(url: string, options?: RequestOptions): Promise<Response> {
    return this.request("PATCH", url, options);
  }

  /** DELETE. */
  delete(url: string, options?: RequestOptions): Promise<Response> {
    return this.request("DELETE", url, options);
  }

  /**
   * Merges this session's headers, params, cookies, auth and hooks into a request and prepares
   * it (Requests' `prepare_request`); with `trustEnv`, `.netrc` supplies Basic credentials when
   * neither the request nor the session has auth.
   */
  prepareRequest(request: Request): PreparedRequest {
    const url =
      this.baseUrl && !hasScheme(request.url) ? joinBaseUrl(this.baseUrl, request.url) : request.url;
    const prepared = new PreparedRequest().prepare({
      method: request.method,
      url,
      headers: mergeHeaders(this.headers, request.headers as HeadersOption | null | undefined),
      params: mergeParams(this.params, request.params),
      data: request.data,
      json: request.json,
      files: request.files,
      hooks: mergeHooks(this.hooks, request.hooks),
    });
    const cookies = this.#toRequestCookies(request.cookies, prepared.url);
    const manualCookie = prepared.headers.has("cookie");
    // Most requests have neither: they are not remembered (a WeakMap entry costs the collector).
    if (cookies || manualCookie) this.#state.set(prepared, { cookies, manualCookie });
    prepared.prepareCookies(this.#cookieHeader(prepared.url, cookies));
    prepared.auth = toAuthenticator(request.auth ?? this.auth);
    // Requests' order when no auth is given: .netrc, then credentials in the URL.
    if (!prepared.auth && !this.#applyNetrc(prepared)) applyUrlCredentials(prepared);
    return prepared;
  }

  #toRequestCookies(cookies: CookiesInput | null | undefined, url: string): RequestCookies | undefined {
    if (cookies == null) return undefined;
    const host = hostOf(url);
    const jar = new RequestsCookieJar();
    const source = RequestsCookieJar.isJar(cookies)
      ? cookies
      : new RequestsCookieJar(cookies as Record<string, string>);
    // Scoped to this request's host: unlike Requests, a redirect elsewhere does not receive them.
    for (const c of source) jar.set(c.name, c.value, { path: c.path, secure: c.secure });
    return jar.size ? { jar, host } : undefined;
  }

  #cookieHeader(url: string, requestCookies: RequestCookies | undefined): string | null {
    const fromSession = this.cookies.cookieHeader(url);
    if (!requestCookies || hostOf(url) !== requestCookies.host) return fromSession;
    return mergeCookieHeaders(fromSession, requestCookies.jar.cookieHeader(url));
  }

  /** Rebuilds the Cookie header from the jars, unless the caller set it by hand. */
  #refreshCookies(request: PreparedRequest, state: RequestState | undefined): void {
    if (state?.manualCookie) return;
    request.headers.delete("cookie");
    request.prepareCookies(this.#cookieHeader(request.url, state?.cookies));
  }

  /**
   * Requests' netrc rule: only with `trustEnv`, no auth anywhere and no Authorization header.
   * Returns whether it set credentials.
   */
  #applyNetrc(request: PreparedRequest): boolean {
    if (!this.trustEnv || request.headers.has("authorization")) return false;
    if (this.#netrc === undefined) {
      const env = this.#environment;
      const text = netrcPaths((name) => env.get(name), env.home)
        .map((path) => env.readFile(path))
        .find((content) => content !== undefined);
      this.#netrc = text === undefined ? null : parseNetrcOrNull(text);
    }
    if (this.#netrc === null) return false;
    let host: string;
    try {
      host = new URL(request.url).hostname;
    } catch {
      return false;
    }
    const credentials = netrcCredentials(this.#netrc, host);
    if (!credentials) return false;
    request.headers.set("Authorization", basicAuthHeader(credentials[0], credentials[1]));
    return true;
  }

  #environmentSnapshot(): EnvironmentSnapshot {
    if (this.#snapshot === undefined) {
      const proxies = environmentProxies(PROXY_SCHEMES, this.#environment);
      this.#snapshot = {
        caBundle: environmentCaBundle(this.#environment),
        proxies,
        hasProxies: Object.keys(proxies).length > 0,
      };
    }
    return this.#snapshot;
  }

  #proxiesFor(url: string, explicit: Readonly<Record<string, string>>): Record<string, string> {
    const proxies = { ...explicit };
    const env = this.trustEnv ? this.#environmentSnapshot() : undefined;
    if (env?.hasProxies && !shouldBypassProxies(url, explicit.no_proxy, this.#environment)) {
      for (const [scheme, proxy] of Object.entries(env.proxies)) proxies[scheme] ??= proxy;
    }
    return proxies;
  }

  /** The proxy one URL goes through; most sessions have none, and pay nothing to find out. */
  #proxyFor(url: string, explicit: Readonly<Record<string, string>>): string | undefined {
    const noEnvironmentProxies = !this.trustEnv || !this.#environmentSnapshot().hasProxies;
    if (noEnvironmentProxies && !hasProxyEntry(explicit)) return undefined;
    return selectProxy(url, this.#proxiesFor(url, explicit));
  }

  /**
   * The settings a URL is sent with, as Requests' `merge_environment_settings`: proxies (the
   * request's over the session's, then the environment's unless `no_proxy` covers the URL),
   * `verify` (with `trustEnv`, `true` becomes the bundle that `REQUESTS_CA_BUNDLE`,
   * `CURL_CA_BUNDLE` or `SSL_CERT_FILE` names), `cert` and `stream`.
   */
  mergeEnvironmentSettings(
    url: string,
    options: Pick<SendRequestOptions, "proxies" | "stream" | "verify" | "cert"> = {},
  ): EnvironmentSettings {
    const proxies = this.#proxiesFor(url, this.#explicitProxies(options.proxies));
    return {
      proxies,
      proxy: selectProxy(url, proxies),
      verify: this.#verify(options.verify),
      cert: options.cert ?? this.cert,
      stream: options.stream ?? this.stream,
    };
  }

  /** The session's proxies with the request's merged over them (`null` removing an entry). */
  #explicitProxies(request: ProxiesInput | null | undefined): Readonly<Record<string, string>> {
    if (!request && !hasProxyEntry(this.proxies as Record<string, string>)) return NO_PROXIES;
    const proxies: Record<string, string> = {};
    mergeProxies(proxies, this.proxies);
    mergeProxies(proxies, request);
    return proxies;
  }

  #verify(request: TLSVerify | null | undefined): TLSVerify {
    const verify = request ?? this.verify;
    if (verify === true && this.trustEnv) return this.#environmentSnapshot().caBundle ?? true;
    return verify;
  }

  #retries(request: RetryInput | null | undefined): RetryConfiguration {
    const input = request ?? this.retries;
    if (this.#retryConfiguration === undefined || input !== this.#retryInput) {
      // Configurations are immutable, so one built from the same input serves every call.
      this.#retryConfiguration = RetryConfiguration.from(input);
      this.#retryInput = input;
    }
    return this.#retryConfiguration;
  }

  /** Sends a prepared request: hooks, auth, retries, redirects, and the body read unless streaming. */
  async send(request: PreparedRequest, options: SendRequestOptions = {}): Promise<Response> {
    if (!(request instanceof PreparedRequest)) throw new TypeError("You can only send PreparedRequests.");
    const call: CallContext = {
      timeout:
        TimeoutConfiguration.from(options.timeout) ??
        TimeoutConfiguration.from(this.timeout) ??
        (READ_METHODS.has(request.method) ? READ_TIMEOUT : WRITE_TIMEOUT),
      verify: this.#verify(options.verify),
      cert: options.cert ?? this.cert,
      signal: options.signal,
      retries: this.#retries(options.retries),
      proxies: this.#explicitProxies(options.proxies),
      stream: options.stream ?? this.stream,
    };
    const { preRequest, preSend } = request.hooks;
    if (preRequest) request = await dispatchHook(preRequest, request);
    if (preSend) request = await dispatchHook(preSend, request);
    const auth = request.auth;
    let response = await this.#hop(request, call, auth);
    if (options.allowRedirects ?? true) response = await this.#followRedirects(response, call, auth);
    else if (response.isRedirect) response.next = this.#redirectRequest(response);
    return response;
  }

  /**
   * One hop of a call, through the auth flow when there is one: the flow may send more than one
   * request (a Digest challenge and its answer); each earlier response joins the last one's history.
   */
  #hop(request: PreparedRequest, call: CallContext, auth: Authenticator | undefined): Promise<Response> {
    return auth ? this.#authenticatedHop(request, call, auth) : this.#attempt(request, call);
  }

  async #authenticatedHop(
    request: PreparedRequest,
    call: CallContext,
    auth: Authenticator,
  ): Promise<Response> {
    const state = this.#state.get(request);
    const flow = auth.authFlow(request);
    let step = await flow.next();
    if (step.done) return this.#attempt(request, call);
    let response = await this.#attempt(step.value, call);
    for (;;) {
      step = await flow.next(response);
      if (step.done) return response;
      // Release the challenge's connection before the next attempt.
      await response.read().catch(() => undefined);
      const next = step.value;
      if (state) this.#state.set(next, state);
      // Cookies the challenge set go with the answer.
      this.#refreshCookies(next, state);
      const previous = response;
      response = await this.#attempt(next, call);
      response.history = [...previous.history, previous];
    }
  }

  /**
   * One request under the call's retry budget, then its `response` hooks. Unless streaming, the
   * body is read inside the attempt, as urllib3 preloads it, so a body cut short is retried too.
   */
  async #attempt(request: PreparedRequest, call: CallContext): Promise<Response> {
    const replayable = isReplayable(request.body);
    const response = await withRetries(request, call.retries, replayable, call.signal, async () => {
      const response = await this.#exchange(request, call);
      if (!call.stream) await response.read();
      return response;
    });
    const hooks = request.hooks.response;
    return hooks ? dispatchHook(hooks, response) : response;
  }

  /** One exchange with a transport; transport errors propagate as they are, for the retry logic. */
  async #exchange(request: PreparedRequest, call: CallContext): Promise<Response> {
    const transport = this.#transportFor(request.url);
    const proxy = this.#proxyFor(request.url, call.proxies);
    // Proxy credentials are for a proxy only: without one they would reach the origin server.
    if (proxy === undefined) request.headers.delete("proxy-authorization");
    // Only requests with an earlyResponse or onUpload hook have anything to wait for here.
    let early: Promise<unknown>[] | undefined;
    const { earlyResponse, onUpload } = request.hooks;
    const options: SendOptions = {
      timeout: call.timeout,
      verify: call.verify,
      cert: call.cert,
      signal: call.signal,
      proxy,
      onInformational: earlyResponse
        ? (statusCode, headers) => {
            const informational = new Response({ request, statusCode, headers, body: null });
            (early ??= []).push(Promise.resolve(dispatchHook(earlyResponse, informational)));
          }
        : undefined,
      onUploadProgress: onUpload
        ? (sent, total) => {
            request.uploadProgress = {
              total: sent,
              contentLength: total,
              percentage: total ? Math.min(100, (sent / total) * 100) : null,
              isCompleted: total !== null && sent >= total,
            };
            const done = Promise.resolve(dispatchHook(onUpload, request));
            // Progress can outlive the head (the server answered early): a late failure must not go unhandled.
            done.catch(() => undefined);
            (early ??= []).push(done);
          }
        : undefined,
    };
    const started = performance.now();
    const sent: TransportResponse = await transport.send(request, options);
    const elapsed = performance.now() - started;
    if (early !== undefined) await Promise.all(early);
    request.connInfo = sent.connInfo;
    return Response.fromTransport(sent, request, {
      elapsed,
      url: request.url,
      cookies: this.#storeCookies(request.url, sent.headers),
    });
  }

  #storeCookies(url: string, headers: Headers): CookieJarView {
    const setCookie = headers.getSetCookie();
    if (setCookie.length === 0) return NO_COOKIES;
    const jar = new RequestsCookieJar();
    jar.extractCookies(url, setCookie);
    if (this.allowIncomingCookies) this.cookies.extractCookies(url, setCookie);
    return jar;
  }

  #transportFor(url: string): Transport {
    if (this.#mounts.length) {
      const lower = url.toLowerCase();
      for (const [prefix, transport] of this.#mounts) if (lower.startsWith(prefix)) return transport;
    }
    // Requests to the origin of the last one go where it went, without parsing the URL again.
    const origin = originPrefix(url);
    if (origin !== undefined && origin === this.#lastOrigin && this.#lastTransport)
      return this.#lastTransport;
    const transport = this.#selectTransport(url);
    this.#lastOrigin = origin;
    this.#lastTransport = transport;
    return transport;
  }

  #selectTransport(url: string): Transport {
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      // Left undefined: no transport serves an unparseable URL.
    }
    if (parsed) {
      for (const transport of this.#transports) {
        if (!transport.protocols.some((p) => this.#protocols.includes(p))) continue;
        const serves = transport.canHandle
          ? transport.canHandle(parsed)
          : parsed.protocol === "http:" || parsed.protocol === "https:";
        if (serves) return transport;
      }
    }
    throw new InvalidSchema(`No connection adapters were found for ${JSON.stringify(url)}`);
  }

  /**
   * The request a redirect response leads to, as Requests' `resolve_redirects` builds it:
   * method rewritten, body dropped unless 307/308, cookies recomputed, credentials stripped
   * when leaving the origin (and, with `trustEnv`, `.netrc` consulted for the new host).
   */
  #redirectRequest(response: Response): PreparedRequest {
    const previous = response.request;
    const next = previous.copy();
    const location = redecodeLatin1(response.headers.get("location") ?? "");
    next.url = resolveLocation(response.url, location);
    next.method = redirectMethod(previous.method, response.statusCode);
    if (response.statusCode !== 307 && response.statusCode !== 308) {
      next.headers.delete("content-length");
      next.headers.delete("content-type");
      next.headers.delete("transfer-encoding");
      next.body = null;
    }
    const state = this.#state.get(previous);
    if (state) this.#state.set(next, state);
    // Requests drops the Cookie header on every hop, a hand-set one included, and rebuilds it.
    next.headers.delete("cookie");
    next.prepareCookies(this.#cookieHeader(next.url, state?.cookies));
    if (shouldStripAuth(previous.url, next.url)) {
      next.headers.delete("authorization");
      this.#applyNetrc(next);
    }
    next.auth = undefined;
    return next;
  }

  async #followRedirects(
    first: Response,
    call: CallContext,
    auth: Authenticator | undefined,
  ): Promise<Response> {
    let response = first;
    if (!response.isRedirect) return response;
    const origin = first.request.url;
    // Once a hop leaves the origin the credentials are gone for the rest of the chain, even if it comes back.
    let authenticator = auth;
    const hops: Response[] = [];
    while (response.isRedirect) {
      hops.push(response);
      // Requests' quirk, kept for fidelity: each hop's history is the chain after the first response, itself included.
      response.history = hops.slice(1);
      // Read the redirect body so its connection goes back to the pool.
      await response.read().catch(() => undefined);
      if (response.history.length >= this.maxRedirects) {
        throw new TooManyRedirects(`Exceeded ${this.maxRedirects} redirects.`, { response });
      }
      const next = this.#redirectRequest(response);
      if (next.body !== null && !isReplayable(next.body)) {
        throw new UnrewindableBodyError("Unable to rewind request body for redirect.", {
          request: next,
          response,
        });
      }
      // The authenticator answers challenges on hops that keep its credentials, never elsewhere.
      if (shouldStripAuth(origin, next.url)) authenticator = undefined;
      response = await this.#hop(next, call, authenticator);
    }
    response.history = hops;
    return response;
  }

  /** Routes every URL starting with `prefix` (case-insensitive, longest prefix first) to `transport`. */
  mount(prefix: string, transport: Transport): void {
    this.#lastOrigin = this.#lastTransport = undefined;
    this.#mounts = this.#mounts.filter(([p]) => p !== prefix.toLowerCase());
    this.#mounts.push([prefix.toLowerCase(), transport]);
    this.#mounts.sort((a, b) => b[0].length - a[0].length);
  }

  /** Waits for every request in flight on this session to settle. */
  async gather(): Promise<void> {
    if (this.#inFlight === 0) return;
    await new Promise<void>((resolve) => this.#gathered.push(resolve));
  }

  /** Closes every transport gracefully: in-flight exchanges finish, idle connections close. */
  async close(): Promise<void> {
    const transports = new Set([...this.#transports, ...this.#mounts.map(([, t]) => t)]);
    await Promise.all([...transports].map((t) => t.close()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** The same class under niquests' async name, so ported code only renames. */
export const AsyncSession = Session;
/** The same class under niquests' async name. */
export type AsyncSession = Session;
