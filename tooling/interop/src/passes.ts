/**
 * The passes of the interop suite: the same specs run once per server nq talks to. The spec
 * files build their calls from a pass's URLs and register their cases under
 * `for (const pass of PASSES) describe(pass.name, …)`, so no spec is written twice; a case that
 * cannot run on a pass is not registered there (with its reason beside the condition).
 */
import * as nq from "niquests";
import { inject } from "vitest";
import { expectProtocol } from "./oracle.js";

/** What a pass is: a server, how to reach it, and what nq must report about every response. */
export interface Pass {
  /** Shown in the test names: `http/1.1 gunicorn`, `h2 caddy`. */
  readonly name: string;
  /** Base URL on 127.0.0.1, without a trailing slash. */
  readonly base: string;
  /** The same server under `localhost`: a redirect there goes to another host. */
  readonly otherHost: string;
  readonly scheme: "http" | "https";
  readonly port: string;
  /**
   * The CA file both clients are told to trust, per request (`verify` in nq and in Requests):
   * this machine's environment names the system bundle in REQUESTS_CA_BUNDLE and friends,
   * which does not hold the run's CA. `undefined` over plain http.
   */
  readonly verify: string | undefined;
  /** What nq must report on every response of the pass (`httpVersion`, `connInfo.protocol`). */
  readonly httpVersion: 11 | 20;
  readonly protocol: "http/1.1" | "h2";
  /**
   * True when nq and Requests speak different protocols to the server (nq HTTP/2, Requests
   * HTTP/1.1): the protocol artefacts of `normalise()` are then masked on both sides.
   */
  readonly crossProtocol: boolean;
  /** True when a reverse proxy (caddy) stands between the clients and httpbin. */
  readonly proxied: boolean;
}

function pass(
  name: string,
  base: string,
  fields: Omit<Pass, "name" | "base" | "otherHost" | "scheme" | "port">,
): Pass {
  const url = new URL(base);
  return {
    name,
    base,
    // Both servers answer to 127.0.0.1 and localhost; the certificate names both.
    otherHost: base.replace("127.0.0.1", "localhost"),
    scheme: url.protocol === "https:" ? "https" : "http",
    port: url.port,
    ...fields,
  };
}

/** httpbin under gunicorn over plain HTTP/1.1: both clients speak HTTP/1.1. */
export const GUNICORN: Pass = pass("http/1.1 gunicorn", inject("httpbinUrl"), {
  verify: undefined,
  httpVersion: 11,
  protocol: "http/1.1",
  crossProtocol: false,
  proxied: false,
});

/** The same httpbin behind caddy over HTTPS: nq negotiates h2 by ALPN, Requests speaks HTTP/1.1. */
export const CADDY: Pass = pass("h2 caddy", inject("caddyUrl"), {
  verify: inject("caFile"),
  httpVersion: 20,
  protocol: "h2",
  crossProtocol: true,
  proxied: true,
});

/** httpbin under hypercorn (python-h2) over HTTPS: the second HTTP/2 stack; Requests speaks HTTP/1.1 (h11). */
export const HYPERCORN: Pass = pass("h2 hypercorn", inject("hypercornUrl"), {
  verify: inject("caFile"),
  httpVersion: 20,
  protocol: "h2",
  crossProtocol: true,
  proxied: false,
});

/** The passes every spec file runs: the whole suite over HTTP/1.1, and again over h2 through caddy. */
export const PASSES: readonly Pass[] = [GUNICORN, CADDY];

/** True for a plain-http pass: cases about plain http are registered there only. */
export const overHttp = (p: Pass): boolean => p.scheme === "http";

/** `base` with the scheme written in upper case (`HTTP://…`, `HTTPS://…`). */
export function upperScheme(p: Pass, host = "127.0.0.1"): string {
  return `${p.scheme.toUpperCase()}://${host}:${p.port}`;
}

type Verb = (url: string, options?: nq.RequestOptions) => Promise<nq.Response>;

/** nq's module functions and Session for one pass: the pass's CA trusted, its protocol asserted. */
export interface PassClient {
  request(method: string, url: string, options?: nq.RequestOptions): Promise<nq.Response>;
  get: Verb;
  post: Verb;
  put: Verb;
  patch: Verb;
  delete: Verb;
  head: Verb;
  options: Verb;
  /**
   * A Session that reads nothing from this machine's environment (`trustEnv: false` unless
   * given), trusts the pass's CA, and checks the protocol of every response it returns.
   */
  session(options?: nq.SessionOptions): nq.Session;
}

/** A Session that checks every final response against the pass (redirect hops included). */
class CheckedSession extends nq.Session {
  readonly #pass: Pass;

  constructor(p: Pass, options: nq.SessionOptions) {
    super(options);
    this.#pass = p;
  }

  override async request(method: string, url: string, options?: nq.RequestOptions): Promise<nq.Response> {
    const response = await super.request(method, url, options);
    expectProtocol(this.#pass, response);
    return response;
  }
}

export { expectProtocol };

/** nq for one pass: every call trusts the pass's CA (unless the call sets `verify`) and is checked. */
export function client(p: Pass): PassClient {
  const withVerify = (options: nq.RequestOptions = {}): nq.RequestOptions =>
    p.verify === undefined ? options : { verify: p.verify, ...options };
  const checked = async (pending: Promise<nq.Response>): Promise<nq.Response> => {
    const response = await pending;
    expectProtocol(p, response);
    return response;
  };
  return {
    request: (method, url, options) => checked(nq.request(method, url, withVerify(options))),
    get: (url, options) => checked(nq.get(url, withVerify(options))),
    post: (url, options) => checked(nq.post(url, withVerify(options))),
    put: (url, options) => checked(nq.put(url, withVerify(options))),
    patch: (url, options) => checked(nq.patch(url, withVerify(options))),
    delete: (url, options) => checked(nq.delete(url, withVerify(options))),
    head: (url, options) => checked(nq.head(url, withVerify(options))),
    options: (url, options) => checked(nq.options(url, withVerify(options))),
    session: (options = {}) =>
      new CheckedSession(p, {
        trustEnv: false,
        ...(p.verify === undefined ? {} : { verify: p.verify }),
        ...options,
      }),
  };
}
