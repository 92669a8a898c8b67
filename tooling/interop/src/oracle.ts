import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as nq from "niquests";
import { expect } from "vitest";
import {
  type CallSpec,
  isSpecBytes,
  type SessionSpec,
  type SpecAuth,
  type SpecData,
  type SpecFile,
  type SpecFileContent,
  type StepCall,
} from "./call-spec.js";
import { diff } from "./diff.js";
import { type Normalised, normalise } from "./normalise.js";
import type {
  BodyObservation,
  ErrorObservation,
  Observation,
  ResponseObservation,
  SessionObservation,
} from "./observation.js";
import type { Pass } from "./passes.js";
import { SYSTEM_PYTHON } from "./servers/httpbin.js";

const ORACLE_SCRIPT = fileURLToPath(new URL("../oracle/requests_oracle.py", import.meta.url));
const INSTALL_HINT = "run `bash tooling/interop/install-servers.sh` (apt-get) first";

/** Media types whose body is compared as text (the oracle has the same rule). */
export const TEXTUAL =
  /^\s*(text\/|application\/([\w.+-]*\+)?(json|xml|javascript|x-www-form-urlencoded)\b)/i;
const JSON_TYPE = /^\s*application\/([\w.+-]*\+)?json\b/i;

/** Runs specs through Python Requests, all in one interpreter, and returns its observations in order. */
export async function askRequests(specs: readonly CallSpec[]): Promise<Observation[]> {
  if (!existsSync(SYSTEM_PYTHON)) throw new Error(`The oracle needs ${SYSTEM_PYTHON}: ${INSTALL_HINT}`);
  const child = spawn(SYSTEM_PYTHON, [ORACLE_SCRIPT], { stdio: ["pipe", "pipe", "pipe"] });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
  const exit = new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", resolve);
  });
  child.stdin.end(JSON.stringify(specs));
  const code = await exit;
  const errors = Buffer.concat(stderr).toString("utf8");
  if (code !== 0) {
    const hint = /No module named 'requests'/.test(errors)
      ? `python3-requests is missing: ${INSTALL_HINT}\n`
      : "";
    throw new Error(`${hint}The Requests oracle exited with ${code}:\n${errors}`);
  }
  const results = JSON.parse(Buffer.concat(stdout).toString("utf8")) as Observation[];
  if (results.length !== specs.length)
    throw new Error(`The oracle answered ${results.length} of ${specs.length} specs`);
  return results;
}

/** The spec with `verify` set on its call and on every call its session makes first. */
function withVerify(spec: CallSpec, verify: string | undefined): CallSpec {
  if (verify === undefined) return spec;
  const before = spec.session?.before?.map((step) =>
    "call" in step ? { call: { verify, ...step.call } } : step,
  );
  const session = spec.session && (before ? { ...spec.session, before } : spec.session);
  return { verify, ...spec, ...(session ? { session } : {}) };
}

/**
 * Asserts that nq served the response, and every hop of its history, over the pass's
 * protocol (`httpVersion` and `connInfo.protocol`). A hop to another server (a redirect from
 * caddy to gunicorn's plain http) is that server's business and is not checked.
 */
export function expectProtocol(pass: Pass, response: nq.Response): void {
  const origins = new Set([new URL(pass.base).origin, new URL(pass.otherHost).origin]);
  for (const r of [...response.history, response]) {
    if (!origins.has(new URL(r.url).origin)) continue;
    expect(
      { url: r.url, httpVersion: r.httpVersion, protocol: r.connInfo?.protocol },
      `nq's protocol for ${r.url} in the ${pass.name} pass`,
    ).toEqual({ url: r.url, httpVersion: pass.httpVersion, protocol: pass.protocol });
  }
}

/**
 * A batch of specs whose oracle answers are fetched once, on first use, for the whole batch.
 * Given a pass, every spec (and every call of its session) trusts the pass's CA on both
 * sides, every nq response is checked to be of the pass's protocol, and the protocol
 * artefacts are normalised when the two clients speak different protocols.
 */
export class OracleBatch {
  readonly #specs: Map<string, CallSpec>;
  readonly #pass: Pass | undefined;
  #answers: Promise<Map<string, Observation>> | undefined;

  constructor(specs: readonly CallSpec[], pass?: Pass) {
    this.#pass = pass;
    this.#specs = new Map(specs.map((spec) => [spec.id, withVerify(spec, pass?.verify)]));
    if (this.#specs.size !== specs.length) throw new Error("Spec ids in one batch must be unique");
  }

  /** The spec with this id. */
  spec(id: string): CallSpec {
    const spec = this.#specs.get(id);
    if (!spec) throw new Error(`No spec ${id} in this batch`);
    return spec;
  }

  /** What Python Requests observed for the spec with this id. */
  async requests(id: string): Promise<Observation> {
    this.#answers ??= askRequests([...this.#specs.values()]).then(
      (results) => new Map(results.map((result) => [result.id, result])),
    );
    const answer = (await this.#answers).get(id);
    if (!answer) throw new Error(`The oracle returned nothing for ${id}`);
    return answer;
  }

  /** Runs the spec through nq alone (a case without the oracle), checking the pass's protocol. */
  async askNq(id: string): Promise<Observation> {
    const mine = await askNq(this.spec(id));
    if (this.#pass) for (const response of RESPONSES.get(mine) ?? []) expectProtocol(this.#pass, response);
    return mine;
  }

  /**
   * Runs the spec through nq and through Requests and asserts the normalised observations
   * are equal; `adjust` edits Requests' observation into nq's documented behaviour where
   * the two differ on purpose (say why at the call site). Returns nq's raw observation.
   */
  async expectSame(id: string, adjust?: (expected: Draft<Normalised>) => void): Promise<Observation> {
    const spec = this.spec(id);
    const [mine, theirs] = await Promise.all([askNq(spec), this.requests(id)]);
    dump(spec, mine, theirs, this.#pass);
    if (this.#pass) for (const response of RESPONSES.get(mine) ?? []) expectProtocol(this.#pass, response);
    const options = { crossProtocol: this.#pass?.crossProtocol ?? false };
    const expected = structuredClone(normalise(theirs, options)) as Draft<Normalised>;
    adjust?.(expected);
    const thrown = THROWN.get(mine);
    // The normalised error keeps only the class: show what nq threw in full, to find the bug.
    const detail = thrown
      ? `\nnq threw: ${thrown instanceof Error ? (thrown.stack ?? thrown.message) : String(thrown)}`
      : "";
    expect(
      diff(normalise(mine, options), expected),
      `nq differs from Python Requests for ${id}${this.#pass ? ` (${this.#pass.name})` : ""}${detail}`,
    ).toEqual([]);
    return mine;
  }
}

/**
 * With `NQ_INTEROP_DUMP=<dir>`, writes the spec and both raw observations of each case to
 * `<dir>/<pass> <id>.json` (non-word characters as `_`), to read what each client did when a
 * comparison fails.
 */
function dump(spec: CallSpec, mine: Observation, theirs: Observation, pass: Pass | undefined): void {
  const dir = process.env.NQ_INTEROP_DUMP;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  const name = `${pass ? `${pass.name} ` : ""}${spec.id}`.replace(/[^\w.-]+/g, "_").slice(0, 120);
  writeFileSync(
    join(dir, `${name}.json`),
    `${JSON.stringify({ spec, nq: mine, requests: theirs }, null, 2)}\n`,
  );
}

/** A deeply mutable copy of a type, for editing an expected observation. */
export type Draft<T> = T extends readonly (infer U)[]
  ? Draft<U>[]
  : T extends object
    ? { -readonly [K in keyof T]: Draft<T[K]> }
    : T;

/** What nq threw for an observation, kept for the failure message. */
const THROWN = new WeakMap<Observation, unknown>();
/** Every response nq returned (or carried in an error) for an observation, session steps included. */
const RESPONSES = new WeakMap<Observation, nq.Response[]>();

type NqOptions = NonNullable<Parameters<typeof nq.request>[2]>;

function content(value: SpecFileContent): string | Uint8Array {
  return isSpecBytes(value) ? new Uint8Array(Buffer.from(value.base64, "base64")) : value;
}

function file(spec: SpecFile): unknown {
  if (!Array.isArray(spec)) return content(spec as SpecFileContent);
  const [filename, body, ...rest] = spec as readonly [string | null, SpecFileContent, ...unknown[]];
  return [filename, content(body), ...rest];
}

function data(spec: SpecData): unknown {
  if (typeof spec === "string") return spec;
  if (isSpecBytes(spec)) return content(spec);
  return spec;
}

/** The nq `auth` a spec's credentials stand for: a fresh authenticator each time, as the oracle builds. */
export function nqAuth(auth: SpecAuth): nq.AuthInput {
  if ("digest" in auth) return new nq.HTTPDigestAuth(auth.digest[0], auth.digest[1]);
  return [auth[0], auth[1]];
}

/** The nq request options a spec stands for. */
export function nqOptions(spec: StepCall): NqOptions {
  const options: Record<string, unknown> = {};
  if (spec.params !== undefined) options.params = spec.params;
  if (spec.data !== undefined) options.data = data(spec.data);
  if (spec.json !== undefined) options.json = spec.json;
  if (spec.headers !== undefined) options.headers = spec.headers;
  if (spec.files !== undefined) {
    options.files = Array.isArray(spec.files)
      ? (spec.files as ReadonlyArray<readonly [string, SpecFile]>).map(([field, f]) => [field, file(f)])
      : Object.fromEntries(Object.entries(spec.files).map(([field, f]) => [field, file(f as SpecFile)]));
  }
  if (spec.auth !== undefined) options.auth = nqAuth(spec.auth);
  if (spec.cookies !== undefined) options.cookies = spec.cookies;
  if (spec.allowRedirects !== undefined) options.allowRedirects = spec.allowRedirects;
  if (spec.timeout !== undefined) options.timeout = spec.timeout;
  if (spec.stream || (spec.read ?? "content") !== "content") options.stream = true;
  if (spec.verify !== undefined) options.verify = spec.verify;
  return options as NqOptions;
}

function observeError(error: unknown): ErrorObservation {
  const response = (error as { response?: { statusCode?: number } | null }).response;
  return {
    type: error instanceof Error ? error.name : typeof error,
    message: error instanceof Error ? error.message : String(error),
    responseStatus: response?.statusCode ?? null,
  };
}

function digest(bytes: Uint8Array): { length: number; sha256: string } {
  return { length: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") };
}

async function observeBody(response: nq.Response, spec: StepCall): Promise<BodyObservation> {
  const body = { length: null, sha256: null, text: null, json: null, lines: null, chunkLengths: null };
  const read = spec.read ?? "content";
  if (read === "lines") {
    const lines: string[] = [];
    for await (const line of response.iterLines()) lines.push(line);
    return { ...body, lines };
  }
  if (read === "chunks") {
    const chunks: Uint8Array[] = [];
    for await (const chunk of response.iterContent(spec.chunkSize ?? null)) chunks.push(chunk);
    return { ...body, chunkLengths: chunks.map((c) => c.length), ...digest(Buffer.concat(chunks)) };
  }
  if (spec.stream) await response.read();
  const bytes = response.content;
  const contentType = response.headers.get("content-type") ?? "";
  let json: BodyObservation["json"] = null;
  if (spec.decodeJson || (bytes.length && JSON_TYPE.test(contentType))) {
    try {
      json = { value: response.json() };
    } catch (error) {
      json = { error: (error as Error).name };
    }
  }
  return {
    ...body,
    ...digest(bytes),
    text: bytes.length && TEXTUAL.test(contentType) ? response.text : null,
    json,
  };
}

/** Observes an nq response the way the oracle observes a Requests one. */
export async function observeResponse(response: nq.Response, spec: StepCall): Promise<ResponseObservation> {
  const body = await observeBody(response, spec);
  let raised: ErrorObservation | null = null;
  if (spec.raiseForStatus) {
    try {
      response.raiseForStatus();
    } catch (error) {
      raised = observeError(error);
    }
  }
  return {
    statusCode: response.statusCode,
    reason: response.reason,
    ok: response.ok,
    url: response.url,
    isRedirect: response.isRedirect,
    isPermanentRedirect: response.isPermanentRedirect,
    history: response.history.map((r): [number, string] => [r.statusCode, r.url]),
    next: response.next ? { method: response.next.method, url: response.next.url } : null,
    headers: [...response.headers].map(([name, value]): [string, string] => [name.toLowerCase(), value]),
    encoding: response.encoding,
    httpVersion: response.httpVersion,
    // Plain records, so that a class instance never compares unequal to the oracle's dicts.
    links: JSON.parse(JSON.stringify(response.links)) as ResponseObservation["links"],
    request: { method: response.request.method, url: response.request.url },
    body,
    raised,
    cookies: response.cookies.toDict(),
    historyCookies: response.history.map((r) => r.cookies.toDict()),
  };
}

/** An environment holding nothing but `NETRC`, so that no variable or file of this machine leaks in. */
function netrcEnvironment(path: string): nq.Environment {
  return {
    get: (name) => (name === "NETRC" ? path : undefined),
    readFile: (file) => nq.nodeEnvironment.readFile(file),
    home: undefined,
  };
}

/** The Session a spec's settings describe, before any of its steps. */
export function nqSession(settings: SessionSpec): nq.Session {
  const session = new nq.Session({
    maxRedirects: settings.maxRedirects,
    // The oracle turns trust_env off unless the spec is about .netrc: so does nq.
    trustEnv: settings.netrc !== undefined && settings.trustEnv !== false,
    ...(settings.netrc === undefined ? {} : { environment: netrcEnvironment(settings.netrc) }),
    ...(settings.retries === undefined ? {} : { retries: { ...settings.retries } }),
  });
  for (const [name, value] of Object.entries(settings.headers ?? {})) {
    // nq's Headers hold no null: deleting is how a session stops sending a header.
    if (value === null) session.headers.delete(name);
    else session.headers.set(name, value);
  }
  if (settings.params !== undefined) session.params = settings.params;
  for (const { name, value, domain, path } of settings.cookies ?? []) {
    session.cookies.set(name, value, { domain, path });
  }
  if (settings.auth !== undefined) session.auth = nqAuth(settings.auth);
  return session;
}

async function observeCall(
  id: string,
  send: () => Promise<nq.Response>,
  spec: StepCall,
): Promise<Observation> {
  try {
    const response = await send();
    const observation = { id, response: await observeResponse(response, spec), error: null, session: null };
    RESPONSES.set(observation, [response]);
    return observation;
  } catch (error) {
    const observation: Observation = { id, response: null, error: observeError(error), session: null };
    THROWN.set(observation, error);
    const carried = (error as { response?: unknown }).response;
    RESPONSES.set(observation, carried instanceof nq.Response ? [carried] : []);
    return observation;
  }
}

/**
 * Runs one spec through nq as a user would: the module function (a short-lived Session), or
 * an explicit Session when the spec has session settings, after that session's steps.
 */
export async function askNq(spec: CallSpec): Promise<Observation> {
  const method = spec.method ?? "GET";
  if (!spec.session) {
    return observeCall(spec.id, () => nq.request(method, spec.url, nqOptions(spec)), spec);
  }
  const session = nqSession(spec.session);
  try {
    const before: Observation[] = [];
    for (const [index, step] of (spec.session.before ?? []).entries()) {
      if ("call" in step) {
        const { call } = step;
        const id = `${spec.id} before[${index}]`;
        before.push(
          await observeCall(id, () => session.request(call.method ?? "GET", call.url, nqOptions(call)), call),
        );
      } else if ("setCookie" in step) {
        const { name, value, domain, path } = step.setCookie;
        session.cookies.set(name, value, { domain, path });
      } else {
        session.cookies.delete(step.deleteCookie);
      }
    }
    const observation = await observeCall(
      spec.id,
      () => session.request(method, spec.url, nqOptions(spec)),
      spec,
    );
    const state: SessionObservation = { cookies: session.cookies.toDict(), before };
    const result: Observation = { ...observation, session: state };
    const thrown = THROWN.get(observation);
    if (thrown !== undefined) THROWN.set(result, thrown);
    RESPONSES.set(
      result,
      [...before, observation].flatMap((o) => RESPONSES.get(o) ?? []),
    );
    return result;
  } finally {
    await session.close();
  }
}
