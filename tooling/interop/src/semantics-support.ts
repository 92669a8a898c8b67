/**
 * Shared by the `semantics-*` interop files: URLs on the httpbin of this run and readers of
 * what an observation or a response says.
 */
import * as nq from "niquests";
import { expect, inject } from "vitest";
import type { Normalised } from "./normalise.js";
import type { Observation } from "./observation.js";
import type { Draft } from "./oracle.js";

/** The httpbin of this run, on 127.0.0.1. */
export const base = inject("httpbinUrl");
/** The same server under another host name: a redirect there goes to another host. */
export const otherHost = base.replace("127.0.0.1", "localhost");

/** `/redirect-to` on `from` (default this host), answering `status` with `Location: url`. */
export function redirectTo(url: string, status = 302, from = base): string {
  return `${from}/redirect-to?${new URLSearchParams({ url, status_code: String(status) })}`;
}

/** `/response-headers` answering with each `[name, value]` as a response header. */
export function responseHeaders(fields: ReadonlyArray<readonly [string, string]>, host = base): string {
  return `${host}/response-headers?${new URLSearchParams(fields.map(([n, v]) => [n, v]))}`;
}

/** `/response-headers` setting each cookie with its own `Set-Cookie` field. */
export function setCookies(cookies: readonly string[], host = base): string {
  return responseHeaders(
    cookies.map((c) => ["Set-Cookie", c]),
    host,
  );
}

/** What httpbin echoed (`/get`, `/headers`, `/cookies`…) in an observation. */
export interface Echo {
  readonly headers?: Readonly<Record<string, string>>;
  readonly cookies?: Readonly<Record<string, string>>;
  readonly args?: Readonly<Record<string, string | string[]>>;
  readonly url?: string;
  readonly data?: string;
  readonly form?: Readonly<Record<string, string | string[]>>;
  readonly authenticated?: boolean;
  readonly user?: string;
  readonly token?: string;
}

/** The parsed JSON body of an observation; fails the test when there is none. */
export function echoOf(observation: Observation): Echo {
  const json = observation.response?.body.json;
  if (!json || !("value" in json)) {
    throw new Error(`No JSON body in ${observation.id}: ${JSON.stringify(observation.error ?? observation)}`);
  }
  return json.value as Echo;
}

/** The parsed JSON of a response's body. */
export function jsonOf(response: nq.Response): Echo {
  return response.json<Echo>();
}

/** Edits the echo in an expected (Requests) observation, to state where nq differs on purpose. */
export function editEcho(expected: Draft<Normalised>, edit: (echo: Record<string, unknown>) => void): void {
  const json = expected.response?.body.json;
  if (!json || !("value" in json) || typeof json.value !== "object" || json.value === null) {
    throw new Error("The expected observation has no echo to edit");
  }
  edit(json.value as Record<string, unknown>);
}

/** Runs `send` and returns what it rejected with; fails the test when it resolves. */
export async function rejection(send: () => Promise<unknown>): Promise<unknown> {
  try {
    await send();
  } catch (error) {
    return error;
  }
  expect.fail("expected the call to reject");
}

/** A Session that reads nothing from this machine's environment, so every case is reproducible. */
export function isolatedSession(options: nq.SessionOptions = {}): nq.Session {
  return new nq.Session({ trustEnv: false, ...options });
}
