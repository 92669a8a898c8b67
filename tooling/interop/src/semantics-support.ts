/**
 * Shared by the `semantics-*` interop files: URLs on the server of a pass and readers of what
 * an observation or a response says.
 */
import type * as nq from "niquests";
import { expect } from "vitest";
import type { Normalised } from "./normalise.js";
import type { Observation } from "./observation.js";
import type { Draft } from "./oracle.js";
import type { Pass } from "./passes.js";

/** URL builders on the httpbin of one pass. */
export interface Urls {
  /** The pass's httpbin on 127.0.0.1. */
  readonly base: string;
  /** The same server under another host name: a redirect there goes to another host. */
  readonly otherHost: string;
  /** `/redirect-to` on `from` (default this host), answering `status` with `Location: url`. */
  redirectTo(url: string, status?: number, from?: string): string;
  /** `/response-headers` answering with each `[name, value]` as a response header. */
  responseHeaders(fields: ReadonlyArray<readonly [string, string]>, host?: string): string;
  /** `/response-headers` setting each cookie with its own `Set-Cookie` field. */
  setCookies(cookies: readonly string[], host?: string): string;
}

/** The URL builders of a pass. */
export function urls({ base, otherHost }: Pass): Urls {
  const responseHeaders = (fields: ReadonlyArray<readonly [string, string]>, host = base): string =>
    `${host}/response-headers?${new URLSearchParams(fields.map(([n, v]) => [n, v]))}`;
  return {
    base,
    otherHost,
    redirectTo: (url, status = 302, from = base) =>
      `${from}/redirect-to?${new URLSearchParams({ url, status_code: String(status) })}`,
    responseHeaders,
    setCookies: (cookies, host = base) =>
      responseHeaders(
        cookies.map((c) => ["Set-Cookie", c]),
        host,
      ),
  };
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
