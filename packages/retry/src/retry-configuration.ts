// urllib3's `Retry` (urllib3 2.x, `src/urllib3/util/retry.py`), as niquests 3.20's HTTPAdapter
// uses it, with durations in milliseconds and the error classification done from a transport
// error's `kind`, `phase` and `retryable` instead of exception classes.
import { parseHttpDate } from "./http-date.js";

/** What a retry decision needs to know of a failure; a `TransportError` from `@nq/models` fits. */
export interface RetryFailure {
  /** `TransportErrorKind`: connect, tls, timeout, aborted, reset, protocol, closed, header, decoding, proxy. */
  readonly kind: string;
  /** `TransportErrorPhase`: connect, send, head or body. */
  readonly phase: string;
  /** True when the server cannot have processed any of the request. */
  readonly retryable: boolean;
}

/** One attempt that spent budget, as urllib3's `RequestHistory` records it. */
export interface RetryHistoryEntry {
  /** The method of the attempt. */
  readonly method: string | null;
  /** The URL of the attempt, when the caller gave it. */
  readonly url: string | null;
  /** The failure, kept as it was passed (a `TransportError` stays one, so it can be a `cause`). */
  readonly error: RetryFailure | null;
  /** The status of the response that was retried or redirected, when there was one. */
  readonly status: number | null;
  /** True when the attempt was a redirect; redirects do not count as consecutive errors for backoff. */
  readonly redirect: boolean;
  /** Where the redirect pointed, when the caller gave it. */
  readonly redirectLocation: string | null;
}

/** What happened to an attempt, for {@link RetryConfiguration.increment}. */
export interface RetryEvent {
  /** The request's method; decides, with `allowedMethods`, whether an error after sending is retried. */
  readonly method: string;
  /** The request's URL, for the history. */
  readonly url?: string | undefined;
  /** The failure, when the attempt got no response. */
  readonly error?: RetryFailure | undefined;
  /** The status of a response retried because of it (forcelist, or Retry-After on 413/429/503). */
  readonly statusCode?: number | undefined;
  /** True for a redirect; spends `redirect`. */
  readonly redirect?: boolean | undefined;
  /** The redirect's target, recorded in the history. */
  readonly redirectLocation?: string | undefined;
}

/** The header lookup {@link RetryConfiguration.retryAfter} needs; nq's and WHATWG `Headers` fit. */
export interface HeaderLookup {
  /** The field's value, or `null` when absent; looked up as `"retry-after"`. */
  get(name: string): string | null;
}

/**
 * Fields of a {@link RetryConfiguration}, camelCase of urllib3's `Retry` arguments. Counts are
 * non-negative integers, `null` for no limit; durations are milliseconds.
 */
export interface RetryConfigurationInit {
  /** Total retries of any kind; takes precedence over the others. Default 10 (urllib3's). `false` disables retrying: errors are raised as they are. */
  readonly total?: number | false | null | undefined;
  /** Retries on errors before the request was sent. `false`: raise such errors as they are. */
  readonly connect?: number | false | null | undefined;
  /** Retries on errors after the request was sent. `false`: raise such errors as they are. */
  readonly read?: number | false | null | undefined;
  /** Redirects to follow; `false` means 0 and implies `raiseOnRedirect: false`. */
  readonly redirect?: number | false | null | undefined;
  /** Retries on a status in `statusForcelist` (or 413/429/503 with Retry-After). */
  readonly status?: number | null | undefined;
  /** Retries on errors that are neither connect nor read errors. */
  readonly other?: number | null | undefined;
  /** Methods retried after the request was sent (upper-cased); `null` for every method. */
  readonly allowedMethods?: Iterable<string> | null | undefined;
  /** Statuses that force a retry. */
  readonly statusForcelist?: Iterable<number> | null | undefined;
  /** Milliseconds; the n-th consecutive retry waits `backoffFactor * 2 ** (n - 1)`, the first none. */
  readonly backoffFactor?: number | undefined;
  /** Cap on the backoff, in milliseconds (default 120 000). */
  readonly backoffMax?: number | undefined;
  /** Up to this many milliseconds of random jitter added to a non-zero backoff (default 0). */
  readonly backoffJitter?: number | undefined;
  /** Raise when the redirect budget runs out, rather than return the 3xx response. */
  readonly raiseOnRedirect?: boolean | undefined;
  /** Raise `RetryError` when the status budget runs out, rather than return the last response. */
  readonly raiseOnStatus?: boolean | undefined;
  /** Wait as a `Retry-After` header says, and retry 413/429/503 responses that carry one. */
  readonly respectRetryAfterHeader?: boolean | undefined;
  /** Headers dropped from a request redirected to another host. */
  readonly removeHeadersOnRedirect?: Iterable<string> | undefined;
  /** Cap on a `Retry-After` wait, in milliseconds (default 21 600 000: six hours). */
  readonly retryAfterMax?: number | undefined;
  /** Attempts already made. */
  readonly history?: readonly RetryHistoryEntry[] | undefined;
  /** Source of the backoff jitter, `[0, 1)`; `Math.random` unless a test injects its own. */
  readonly random?: (() => number) | undefined;
}

/** The `retries` option: a count, `false` (or `true`, as niquests: see {@link RetryConfiguration.from}), a configuration or its fields. */
export type RetryInput = number | boolean | RetryConfiguration | RetryConfigurationInit;

type Counter = "connect" | "read" | "other";

// Marks an init built by this module from a configuration that is already valid: spent counters
// are negative, which user input may not be.
const TRUSTED = Symbol("trusted");
type TrustedInit = RetryConfigurationInit & { readonly [TRUSTED]: { readonly terminal: boolean } };

/** Errors retrying cannot fix: a certificate will not become valid, and an abort is the caller's wish. */
const NEVER_RETRIED = new Set(["tls", "aborted"]);
/** Network failures: the request may be resent, budget and method allowing. */
const NETWORK_KINDS = new Set(["connect", "timeout", "reset", "closed", "protocol"]);

/**
 * Which budget a failure spends. Phase `connect` means the request never left, which urllib3's
 * `connect` budget stands for ("errors raised before the request is sent to the remote server");
 * a network failure after that spends `read` (urllib3's ReadTimeoutError and ProtocolError); what
 * remains (a malformed head, an undecodable body, a proxy failing mid-exchange) spends `other`.
 */
function counterFor(error: RetryFailure): Counter {
  if (NEVER_RETRIED.has(error.kind)) return "other";
  if (error.phase === "connect") return "connect";
  return NETWORK_KINDS.has(error.kind) ? "read" : "other";
}

function checkCount(name: string, value: unknown, allowFalse: boolean): number | false | null {
  if (value === null || value === undefined) return null;
  if (value === false && allowFalse) return false;
  if (typeof value !== "number") {
    throw new TypeError(
      `Retry ${name} must be a non-negative integer${allowFalse ? ", false" : ""} or null, not ${typeof value}`,
    );
  }
  if (value === Number.POSITIVE_INFINITY) return null;
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(`Retry ${name} must be a non-negative integer, not ${value}`);
  }
  return value;
}

function checkDuration(name: string, value: unknown, fallback: number, allowInfinity: boolean): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number")
    throw new TypeError(`Retry ${name} must be milliseconds, not ${typeof value}`);
  if (Number.isNaN(value) || value < 0 || (!allowInfinity && !Number.isFinite(value))) {
    throw new RangeError(`Retry ${name} must be a non-negative number of milliseconds, not ${value}`);
  }
  return value;
}

function checkBoolean(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") throw new TypeError(`Retry ${name} must be a boolean, not ${typeof value}`);
  return value;
}

function spend(count: number | false | null): number | false | null {
  return typeof count === "number" ? count - 1 : count;
}

/**
 * How many times, on what, and how long to wait before sending a request again: urllib3's
 * `Retry`. Immutable: {@link RetryConfiguration.increment} returns a new configuration, so one
 * instance can serve every request of a session.
 */
export class RetryConfiguration {
  /** Methods retried after the request was sent, by default: the idempotent ones. */
  static readonly DEFAULT_ALLOWED_METHODS: ReadonlySet<string> = new Set([
    "HEAD",
    "GET",
    "PUT",
    "DELETE",
    "OPTIONS",
    "TRACE",
  ]);
  /** Statuses retried when they carry `Retry-After` and `respectRetryAfterHeader` is on. */
  static readonly RETRY_AFTER_STATUS_CODES: ReadonlySet<number> = new Set([413, 429, 503]);
  /** Headers dropped on a cross-host redirect, by default (lower-cased). */
  static readonly DEFAULT_REMOVE_HEADERS_ON_REDIRECT: ReadonlySet<string> = new Set([
    "cookie",
    "authorization",
    "proxy-authorization",
  ]);
  /** Default cap on the backoff: 120 s. */
  static readonly DEFAULT_BACKOFF_MAX = 120_000;
  /** Default cap on a `Retry-After` wait: six hours, as urllib3 and other clients use. */
  static readonly DEFAULT_RETRY_AFTER_MAX = 21_600_000;

  /** Retries left of any kind; `null`: no total limit; `false`: retrying disabled, errors raised as they are. */
  readonly total: number | false | null;
  /** Retries left on errors before the request was sent; `false`: raise them as they are. */
  readonly connect: number | false | null;
  /** Retries left on errors after the request was sent; `false`: raise them as they are. */
  readonly read: number | false | null;
  /** Redirects left. */
  readonly redirect: number | null;
  /** Retries left on forced statuses. */
  readonly status: number | null;
  /** Retries left on other errors. */
  readonly other: number | null;
  /** Methods retried after the request was sent (upper-case); `null`: every method. */
  readonly allowedMethods: ReadonlySet<string> | null;
  /** Statuses that force a retry. */
  readonly statusForcelist: ReadonlySet<number>;
  /** Milliseconds; see {@link RetryConfiguration.backoff}. */
  readonly backoffFactor: number;
  /** Cap on the backoff, in milliseconds. */
  readonly backoffMax: number;
  /** Random jitter added to a non-zero backoff, up to this many milliseconds. */
  readonly backoffJitter: number;
  /** Raise when the redirect budget runs out. */
  readonly raiseOnRedirect: boolean;
  /** Raise `RetryError` when the status budget runs out, rather than return the last response. */
  readonly raiseOnStatus: boolean;
  /** Honour `Retry-After`. */
  readonly respectRetryAfterHeader: boolean;
  /** Headers dropped on a cross-host redirect (lower-case). */
  readonly removeHeadersOnRedirect: ReadonlySet<string>;
  /** Cap on a `Retry-After` wait, in milliseconds. */
  readonly retryAfterMax: number;
  /** The attempts that spent budget, oldest first. */
  readonly history: readonly RetryHistoryEntry[];

  readonly #random: () => number;
  // Set when increment() recorded a failure that must not be retried (urllib3 re-raises there).
  readonly #terminal: boolean;

  constructor(init: RetryConfigurationInit = {}) {
    const trusted = (init as Partial<TrustedInit>)[TRUSTED];
    if (trusted) {
      this.total = init.total ?? null;
      this.connect = init.connect ?? null;
      this.read = init.read ?? null;
      this.redirect = (init.redirect as number | null | undefined) ?? null;
      this.status = init.status ?? null;
      this.other = init.other ?? null;
    } else {
      this.total = init.total === undefined ? 10 : checkCount("total", init.total, true);
      this.connect = checkCount("connect", init.connect, true);
      this.read = checkCount("read", init.read, true);
      const redirect = checkCount("redirect", init.redirect, true);
      this.redirect = redirect === false ? 0 : redirect;
      this.status = checkCount("status", init.status, false) as number | null;
      this.other = checkCount("other", init.other, false) as number | null;
    }
    let raiseOnRedirect = checkBoolean("raiseOnRedirect", init.raiseOnRedirect, true);
    // urllib3: "Set to False to disable and imply raise_on_redirect=False".
    if (init.redirect === false || init.total === false) {
      this.redirect = 0;
      raiseOnRedirect = false;
    }
    this.raiseOnRedirect = raiseOnRedirect;
    this.allowedMethods =
      init.allowedMethods === null
        ? null
        : new Set(
            [...(init.allowedMethods ?? RetryConfiguration.DEFAULT_ALLOWED_METHODS)].map((m) => {
              if (typeof m !== "string")
                throw new TypeError(`allowedMethods holds a ${typeof m}, not a method`);
              return m.toUpperCase();
            }),
          );
    this.statusForcelist = new Set(
      [...(init.statusForcelist ?? [])].map((code) => {
        if (!Number.isInteger(code))
          throw new TypeError(`statusForcelist holds ${String(code)}, not a status`);
        return code;
      }),
    );
    this.backoffFactor = checkDuration("backoffFactor", init.backoffFactor, 0, false);
    this.backoffMax = checkDuration(
      "backoffMax",
      init.backoffMax,
      RetryConfiguration.DEFAULT_BACKOFF_MAX,
      true,
    );
    this.backoffJitter = checkDuration("backoffJitter", init.backoffJitter, 0, false);
    this.raiseOnStatus = checkBoolean("raiseOnStatus", init.raiseOnStatus, true);
    this.respectRetryAfterHeader = checkBoolean(
      "respectRetryAfterHeader",
      init.respectRetryAfterHeader,
      true,
    );
    this.removeHeadersOnRedirect = new Set(
      [...(init.removeHeadersOnRedirect ?? RetryConfiguration.DEFAULT_REMOVE_HEADERS_ON_REDIRECT)].map((h) =>
        h.toLowerCase(),
      ),
    );
    this.retryAfterMax = checkDuration(
      "retryAfterMax",
      init.retryAfterMax,
      RetryConfiguration.DEFAULT_RETRY_AFTER_MAX,
      true,
    );
    this.history = Object.freeze((init.history ?? []).map((entry) => Object.freeze({ ...entry })));
    if (init.random !== undefined && typeof init.random !== "function") {
      throw new TypeError("random must be a function returning a number in [0, 1)");
    }
    this.#random = init.random ?? Math.random;
    this.#terminal = trusted?.terminal ?? false;
    // A subclass still has fields to define after this returns; freezing would make them throw.
    if (new.target === RetryConfiguration) Object.freeze(this);
  }

  /**
   * Reads the `retries` option as niquests' `HTTPAdapter` does:
   * - `undefined`/`null`: niquests' default, `DEFAULT_RETRIES = 0`;
   * - a count n ≥ 0: urllib3's `Retry.from_int(n)` (`total: n`, the other counts unlimited);
   *   0 also sets `read: false`, so a read error is raised as it is (niquests keeps this "for
   *   backward compatibility");
   * - `false` — and `true` too: niquests' adapter turns any bool into `False` — retrying
   *   disabled: `total: false`, hence `redirect: 0, raiseOnRedirect: false` (the session still
   *   follows redirects itself);
   * - a configuration: itself; its fields: a new configuration.
   */
  static from(value: RetryInput | null | undefined): RetryConfiguration {
    if (value === undefined || value === null) return RetryConfiguration.from(0);
    if (value instanceof RetryConfiguration) return value;
    // niquests 3.20, adapters.py: `if isinstance(max_retries, bool): self.max_retries = False`.
    if (typeof value === "boolean") return new RetryConfiguration({ total: false });
    if (typeof value === "number") {
      if (!Number.isInteger(value) || value < 0) {
        throw new RangeError(
          `configured retries count is invalid (${value}). you must specify a positive or zero integer value.`,
        );
      }
      return new RetryConfiguration({ total: value, ...(value === 0 ? { read: false } : {}) });
    }
    if (typeof value === "object") return new RetryConfiguration(value);
    throw new TypeError(`retries must be a number, a boolean or a RetryConfiguration, not ${typeof value}`);
  }

  /** A copy with some fields changed (urllib3's `Retry.new`); the history is kept unless given. */
  new(changes: RetryConfigurationInit = {}): RetryConfiguration {
    // Validates the changes on their own: this configuration's spent counts are negative, which
    // the constructor refuses from a caller.
    void new RetryConfiguration(changes);
    const given = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
    const init: TrustedInit = { ...this.#fields(), ...given, [TRUSTED]: { terminal: this.#terminal } };
    return this.#derive(init);
  }

  // urllib3 builds the next Retry with `type(self)`, so a subclass's overrides survive increments.
  #derive(init: TrustedInit): RetryConfiguration {
    const Class = this.constructor as new (init: RetryConfigurationInit) => RetryConfiguration;
    return new Class(init);
  }

  #fields(): RetryConfigurationInit {
    return {
      total: this.total,
      connect: this.connect,
      read: this.read,
      redirect: this.redirect,
      status: this.status,
      other: this.other,
      allowedMethods: this.allowedMethods,
      statusForcelist: this.statusForcelist,
      backoffFactor: this.backoffFactor,
      backoffMax: this.backoffMax,
      backoffJitter: this.backoffJitter,
      raiseOnRedirect: this.raiseOnRedirect,
      raiseOnStatus: this.raiseOnStatus,
      respectRetryAfterHeader: this.respectRetryAfterHeader,
      removeHeadersOnRedirect: this.removeHeadersOnRedirect,
      retryAfterMax: this.retryAfterMax,
      history: this.history,
      random: this.#random,
    };
  }

  #isMethodRetryable(method: string): boolean {
    return this.allowedMethods === null || this.allowedMethods.has(method.toUpperCase());
  }

  /**
   * urllib3's `is_retry`: whether a response with this status should be retried — the method is
   * allowed and the status is in the forcelist, or it is 413/429/503 with a `Retry-After` header
   * while `respectRetryAfterHeader` is on and `total` is not 0 or `false`. The forcelist path does
   * not look at the budget, as in urllib3: the caller increments, and when that exhausts the budget
   * it raises `RetryError` or, with `raiseOnStatus` off, returns the response.
   */
  isRetry(method: string, statusCode: number, hasRetryAfter = false): boolean {
    if (!this.#isMethodRetryable(method)) return false;
    if (this.statusForcelist.has(statusCode)) return true;
    // urllib3 tests `self.total` for truthiness, which also rejects total=None; null is "no
    // limit" here, so it leaves budget.
    const budget = this.total === null || (this.total !== false && this.total > 0);
    return (
      budget &&
      this.respectRetryAfterHeader &&
      hasRetryAfter &&
      RetryConfiguration.RETRY_AFTER_STATUS_CODES.has(statusCode)
    );
  }

  /**
   * Whether this failure may be retried at all, before any budget is spent: never a TLS failure
   * (a bad certificate stays bad) or an abort; a connect-phase failure unless `connect` is
   * `false`; after the request was sent, only for an allowed method or a failure the transport
   * marks `retryable` (the server cannot have processed it), and a read error not with
   * `read: false`. `total: false` retries nothing.
   */
  shouldRetryError(method: string, error: RetryFailure): boolean {
    if (this.total === false || NEVER_RETRIED.has(error.kind)) return false;
    const counter = counterFor(error);
    if (counter === "connect") return this.connect !== false;
    if (counter === "read" && this.read === false) return false;
    return error.retryable || this.#isMethodRetryable(method);
  }

  /**
   * urllib3's `increment`: a new configuration with `total` and one counter spent and the attempt
   * appended to the history. The counter is `connect`, `read` or `other` for an error (see the
   * README's table; decided from `kind` and `phase` only), `redirect` for a redirect, `status` for
   * a status. Check {@link RetryConfiguration.isExhausted} on the result. Where urllib3 would
   * re-raise instead (a failure {@link RetryConfiguration.shouldRetryError} rejects), the result
   * is exhausted.
   */
  increment(event: RetryEvent): RetryConfiguration {
    let { connect, read, redirect, status, other } = this;
    let terminal = this.#terminal;
    let recordedStatus: number | null = null;
    const isRedirect = event.redirect === true || event.redirectLocation !== undefined;
    if (event.error) {
      if (!this.shouldRetryError(event.method, event.error)) terminal = true;
      const counter = counterFor(event.error);
      if (counter === "connect") connect = spend(connect);
      else if (counter === "read") read = spend(read);
      else other = spend(other) as number | null;
    } else if (isRedirect) {
      redirect = spend(redirect) as number | null;
      recordedStatus = event.statusCode ?? null;
    } else if (event.statusCode !== undefined) {
      status = spend(status) as number | null;
      recordedStatus = event.statusCode;
    }
    const entry: RetryHistoryEntry = {
      method: event.method,
      url: event.url ?? null,
      error: event.error ?? null,
      status: recordedStatus,
      redirect: isRedirect,
      redirectLocation: event.redirectLocation ?? null,
    };
    const init: TrustedInit = {
      ...this.#fields(),
      // Python's `False - 1` is -1: a disabled total is exhausted by any increment.
      total: this.total === null ? null : (this.total === false ? 0 : this.total) - 1,
      connect,
      read,
      redirect,
      status,
      other,
      history: [...this.history, entry],
      [TRUSTED]: { terminal },
    };
    return this.#derive(init);
  }

  /** Whether the budget is spent: any count below zero (urllib3's `is_exhausted`), `total` included. */
  isExhausted(): boolean {
    if (this.#terminal) return true;
    for (const count of [this.total, this.connect, this.read, this.redirect, this.status, this.other]) {
      if (typeof count === "number" && count < 0) return true;
    }
    return false;
  }

  /**
   * The backoff before the next attempt, in milliseconds: urllib3 ≥ 2's `get_backoff_time`.
   * With n the failures since the last redirect, 0 while n ≤ 1 (most failures clear on an
   * immediate second try), else `backoffFactor * 2 ** (n - 1)` plus `random() * backoffJitter`,
   * capped at `backoffMax`.
   */
  backoff(): number {
    let consecutive = 0;
    for (let i = this.history.length - 1; i >= 0 && !this.history[i]!.redirect; i--) consecutive++;
    if (consecutive <= 1) return 0;
    let value = this.backoffFactor * 2 ** (consecutive - 1);
    if (this.backoffJitter !== 0) value += this.#random() * this.backoffJitter;
    return Math.max(0, Math.min(this.backoffMax, value));
  }

  /**
   * The wait a `Retry-After` header asks for, in milliseconds: delta-seconds or an HTTP-date in
   * any RFC 9110 format (a past date gives 0), capped at `retryAfterMax`. `null` when the header
   * is absent or malformed: urllib3 raises `InvalidHeader` there; nq falls back to the backoff
   * rather than fail a request over a hint. `now` is epoch milliseconds.
   */
  retryAfter(headers: HeaderLookup, now: number = Date.now()): number | null {
    const value = headers.get("retry-after");
    if (value === null) return null;
    let ms: number;
    if (/^\s*[0-9]+\s*$/.test(value)) {
      ms = Number(value.trim()) * 1000;
    } else {
      const date = parseHttpDate(value, now);
      if (date === null) return null;
      ms = date - now;
    }
    return Math.min(Math.max(ms, 0), this.retryAfterMax);
  }

  /**
   * How long to wait before the next attempt, in milliseconds (urllib3's `sleep`): the response's
   * `Retry-After` when respected and non-zero, else {@link RetryConfiguration.backoff}. Call it on
   * the configuration `increment` returned, so the backoff counts the attempt just made.
   */
  sleepFor(response?: { readonly headers: HeaderLookup } | null): number {
    if (this.respectRetryAfterHeader && response) {
      // urllib3 tests the parsed value for truthiness: "Retry-After: 0" falls back to the backoff.
      const retryAfter = this.retryAfter(response.headers);
      if (retryAfter) return retryAfter;
    }
    return this.backoff();
  }

  /** urllib3's repr, with every count. */
  toString(): string {
    return `RetryConfiguration(total=${this.total}, connect=${this.connect}, read=${this.read}, redirect=${this.redirect}, status=${this.status}, other=${this.other})`;
  }
}
