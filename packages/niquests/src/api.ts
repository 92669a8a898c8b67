import type { Response } from "@nq/models";
import type { RequestOptions } from "@nq/session";
import { Session } from "./session.js";

// niquests' `request()` defaults to 120 s whatever the method; the verbs use the session's per-method defaults.
const REQUEST_DEFAULTS: RequestOptions = { timeout: 120_000 };
const HEAD_DEFAULTS: RequestOptions = { allowRedirects: false };

async function send(
  method: string,
  url: string,
  options: RequestOptions,
  defaults?: RequestOptions,
): Promise<Response> {
  // As niquests' module functions: a short-lived session keeps no connection alive with PINGs.
  const session = new Session({ keepaliveDelay: null, keepaliveIdleWindow: null });
  try {
    const merged = defaults ? { ...defaults, ...definedOnly(options) } : options;
    return await session.request(method, url, merged);
  } finally {
    // Graceful: a streamed body still being read keeps its connection until it ends.
    session.close().catch(() => undefined);
  }
}

function definedOnly(options: RequestOptions): RequestOptions {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as RequestOptions;
}

/** Sends one request on a short-lived session, closed once the response (or its stream) is done. */
export function request(method: string, url: string, options: RequestOptions = {}): Promise<Response> {
  return send(method, url, options, REQUEST_DEFAULTS);
}

/** GET on a short-lived session (30 s default timeout). */
export function get(url: string, options: RequestOptions = {}): Promise<Response> {
  return send("GET", url, options);
}

/** OPTIONS on a short-lived session (30 s default timeout). */
export function options(url: string, options: RequestOptions = {}): Promise<Response> {
  return send("OPTIONS", url, options);
}

/** HEAD on a short-lived session; redirects are not followed unless `allowRedirects: true`. */
export function head(url: string, options: RequestOptions = {}): Promise<Response> {
  return send("HEAD", url, options, HEAD_DEFAULTS);
}

/** POST on a short-lived session (120 s default timeout). */
export function post(url: string, options: RequestOptions = {}): Promise<Response> {
  return send("POST", url, options);
}

/** PUT on a short-lived session (120 s default timeout). */
export function put(url: string, options: RequestOptions = {}): Promise<Response> {
  return send("PUT", url, options);
}

/** PATCH on a short-lived session (120 s default timeout). */
export function patch(url: string, options: RequestOptions = {}): Promise<Response> {
  return send("PATCH", url, options);
}

/** DELETE on a short-lived session (120 s default timeout); also exported as `delete`. */
export function del(url: string, options: RequestOptions = {}): Promise<Response> {
  return send("DELETE", url, options);
}
