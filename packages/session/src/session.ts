import { toAuthenticator } from "@nq/auth";
import { RequestsCookieJar } from "@nq/cookies";
import {
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
  requestExceptionFrom,
  resolveLocation,
  type SendOptions,
  type TLSClientCert,
  type TLSVerify,
  TooManyRedirects,
  type Transport,
  UnrewindableBodyError,
} from "@nq/models";
import { TimeoutConfiguration, type TimeoutInput } from "@nq/retry";
import { dispatchHook, mergeHeaders, mergeHooks, mergeParams } from "./merge.js";
import type {
  HeadersOption,
  RequestOptions,
  SendRequestOptions,
  SessionOptions,
  TransportSettings,
} from "./options.js";
import { redirectMethod, shouldStripAuth } from "./redirects.js";
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

/** Cookies given with one request, kept to the host they were sent to. */
interface RequestCookies {
  readonly jar: RequestsCookieJar;
  readonly host: string;
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

  readonly #protocols: readonly Protocol[];
  readonly #transports: readonly Transport[];
  #mounts: [prefix: string, transport: Transport][] = [];
  readonly #requestCookies = new WeakMap<PreparedRequest, RequestCookies>();
  readonly #inFlight = new Set<Promise<unknown>>();

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
    this.timeout = options.timeout;
    TimeoutConfiguration.from(options.timeout);
    this.stream = options.stream ?? false;
    this.allowIncomingCookies = options.allowIncomingCookies ?? true;

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
    };
    const transports = options.transports;
    this.#transports = typeof transports === "function" ? transports(settings) : (transports ?? []);
  }

  /** Sends a request with this session's settings merged in; resolves with the final response. */
  request(method: string, url: string, options: RequestOptions = {}): Promise<Response> {
    const pending = this.#request(method, url, options);
    this.#inFlight.add(pending);
    const forget = () => this.#inFlight.delete(pending);
    pending.then(forget, forget);
    return pending;
  }

  async #request(method: string, url: string, options: RequestOptions): Promise<Response> {
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
   * it (Requests' `prepare_request`).
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
    const requestCookies = this.#toRequestCookies(request.cookies, prepared.url);
    if (requestCookies) this.#requestCookies.set(prepared, requestCookies);
    prepared.prepareCookies(this.#cookieHeader(prepared.url, requestCookies));
    prepared.auth = toAuthenticator(request.auth ?? this.auth);
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

  /** Sends a prepared request: hooks, auth, redirects, and the body read unless streaming. */
  async send(request: PreparedRequest, options: SendRequestOptions = {}): Promise<Response> {
    if (!(request instanceof PreparedRequest)) throw new TypeError("You can only send PreparedRequests.");
    const stream = options.stream ?? this.stream;
    const base = this.#sendOptions(request.method, options);
    request = await dispatchHook(request.hooks.preRequest, request);
    let response = await this.#exchange(request, base);
    if (options.allowRedirects ?? true) response = await this.#followRedirects(response, base);
    else if (response.isRedirect) response.next = this.#redirectRequest(response);
    if (!stream) await response.read();
    return response;
  }

  #sendOptions(method: string, options: SendRequestOptions): SendOptions {
    const timeout =
      TimeoutConfiguration.from(options.timeout) ??
      TimeoutConfiguration.from(this.timeout) ??
      (READ_METHODS.has(method) ? READ_TIMEOUT : WRITE_TIMEOUT);
    return {
      timeout,
      verify: options.verify ?? this.verify,
      cert: options.cert ?? this.cert,
      signal: options.signal,
    };
  }

  /** The first hop: `preSend`, then the auth flow, which may send more than one request. */
  async #exchange(request: PreparedRequest, base: SendOptions): Promise<Response> {
    request = await dispatchHook(request.hooks.preSend, request);
    const auth = request.auth;
    if (!auth) return this.#sendOnce(request, base);
    const flow = auth.authFlow(request);
    let step = await flow.next();
    if (step.done) return this.#sendOnce(request, base);
    let response = await this.#sendOnce(step.value, base);
    for (;;) {
      step = await flow.next(response);
      if (step.done) return response;
      // Release the challenge's connection before the authenticated attempt.
      await response.read().catch(() => undefined);
      const previous = response;
      response = await this.#sendOnce(step.value, base);
      response.history = [...previous.history, previous];
    }
  }

  /** One request, one response: no redirect, no auth. */
  async #sendOnce(request: PreparedRequest, base: SendOptions): Promise<Response> {
    const transport = this.#transportFor(request.url);
    const early: Promise<unknown>[] = [];
    const earlyHooks = request.hooks.earlyResponse;
    const options: SendOptions = earlyHooks
      ? {
          ...base,
          onInformational: (statusCode, headers) => {
            const informational = new Response({ request, statusCode, headers, body: null });
            early.push(Promise.resolve(dispatchHook(earlyHooks, informational)));
          },
        }
      : base;
    const started = performance.now();
    let sent: Awaited<ReturnType<Transport["send"]>>;
    try {
      sent = await transport.send(request, options);
    } catch (error) {
      throw requestExceptionFrom(error, request);
    }
    const elapsed = performance.now() - started;
    if (early.length) await Promise.all(early);
    request.connInfo = sent.connInfo;
    const response = Response.fromTransport(sent, request, {
      elapsed,
      url: request.url,
      cookies: this.#storeCookies(request.url, sent.headers),
    });
    return dispatchHook(request.hooks.response, response);
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
   * when leaving the origin.
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
    next.headers.delete("cookie");
    const requestCookies = this.#requestCookies.get(previous);
    if (requestCookies) this.#requestCookies.set(next, requestCookies);
    next.prepareCookies(this.#cookieHeader(next.url, requestCookies));
    if (shouldStripAuth(previous.url, next.url)) {
      next.headers.delete("authorization");
    }
    // Auth runs once, on the first hop; later hops carry what survived the strip above.
    next.auth = undefined;
    return next;
  }

  async #followRedirects(first: Response, base: SendOptions): Promise<Response> {
    let response = first;
    if (!response.isRedirect) return response;
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
      response = await this.#sendOnce(next, base);
    }
    response.history = hops;
    return response;
  }

  /** Routes every URL starting with `prefix` (case-insensitive, longest prefix first) to `transport`. */
  mount(prefix: string, transport: Transport): void {
    this.#mounts = this.#mounts.filter(([p]) => p !== prefix.toLowerCase());
    this.#mounts.push([prefix.toLowerCase(), transport]);
    this.#mounts.sort((a, b) => b[0].length - a[0].length);
  }

  /** Waits for every request in flight on this session to settle. */
  async gather(): Promise<void> {
    while (this.#inFlight.size) await Promise.allSettled([...this.#inFlight]);
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
