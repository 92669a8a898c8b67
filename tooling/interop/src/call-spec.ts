/**
 * One HTTP call, described as data so that the same description runs through nq and
 * through Python Requests (`oracle/requests_oracle.py`). Names and units are nq's
 * (camelCase, milliseconds); the oracle maps them to Requests' keyword arguments.
 */
export interface CallSpec {
  /** Unique within a batch: results are matched to specs by it. */
  readonly id: string;
  readonly method?: string;
  readonly url: string;
  readonly params?: SpecParams;
  readonly data?: SpecData;
  readonly json?: unknown;
  /** A `null` value removes a session header (Requests: `None`). */
  readonly headers?: Readonly<Record<string, string | null>>;
  readonly files?: SpecFiles;
  readonly auth?: SpecAuth;
  /** Cookies for this request only (the `cookies` option). */
  readonly cookies?: Readonly<Record<string, string>>;
  readonly allowRedirects?: boolean;
  /** Milliseconds. */
  readonly timeout?: number;
  /** Send with `stream: true` and then read the whole body (`await read()` in nq). */
  readonly stream?: boolean;
  /**
   * How the body is read: all of it (default), with `iterLines()`, or with
   * `iterContent(chunkSize)`; the last two imply `stream: true`.
   */
  readonly read?: "content" | "lines" | "chunks";
  readonly chunkSize?: number;
  /** Call `raiseForStatus()` on the response and record what it throws. */
  readonly raiseForStatus?: boolean;
  /** Call `json()` whatever the Content-Type (and on an empty body) and record what it throws. */
  readonly decodeJson?: boolean;
  /** Send through an explicit Session with these settings instead of the module function. */
  readonly session?: SessionSpec;
  /**
   * A CA file to trust for this call, given per request on both sides (`verify` in nq and in
   * Requests), so that no CA bundle named by the environment takes part.
   */
  readonly verify?: string;
}

/** Credentials: a `[user, password]` pair means Basic, `{ digest }` an `HTTPDigestAuth`. */
export type SpecAuth =
  | readonly [user: string, password: string]
  | { readonly digest: readonly [user: string, password: string] };

/** A cookie put into a session's jar by hand (`jar.set(name, value, { domain, path })`). */
export interface SpecCookie {
  readonly name: string;
  readonly value: string;
  readonly domain?: string;
  readonly path?: string;
}

/**
 * Retries as urllib3's `Retry` takes them, mounted on the session (an `HTTPAdapter` in
 * Requests, the `retries` option in nq). `backoffFactor` is in milliseconds.
 */
export interface SpecRetries {
  readonly total: number;
  readonly statusForcelist?: readonly number[];
  readonly backoffFactor?: number;
  /** `null`: every method. */
  readonly allowedMethods?: readonly string[] | null;
  readonly raiseOnStatus?: boolean;
}

/** A call made on the spec's session before its own call; observed and compared too. */
export type StepCall = Omit<CallSpec, "id" | "session">;

/** One thing done to the session before the spec's call: a call, or an edit of its cookie jar. */
export type SessionStep =
  | { readonly call: StepCall }
  | { readonly setCookie: SpecCookie }
  | { readonly deleteCookie: string };

/** The settings of an explicit Session (Requests: attributes set after `requests.Session()`). */
export interface SessionSpec {
  readonly maxRedirects?: number;
  /** Set on the session's default headers; `null` removes one (Requests sets it to `None`). */
  readonly headers?: Readonly<Record<string, string | null>>;
  readonly params?: Readonly<Record<string, string | readonly string[]>>;
  readonly cookies?: readonly SpecCookie[];
  readonly auth?: SpecAuth;
  /**
   * A `.netrc` file to honour: `trustEnv` on and `NETRC` naming this path (Requests reads the
   * process environment, with every proxy variable removed; nq an explicit `environment`).
   */
  readonly netrc?: string;
  /** `trustEnv: false` with `netrc` given: the file must then be ignored. */
  readonly trustEnv?: boolean;
  readonly retries?: SpecRetries;
  /** Done in order on the same session before the spec's call. */
  readonly before?: readonly SessionStep[];
}

/** Bytes in a spec: JSON cannot carry them, so they travel as base64. */
export interface SpecBytes {
  readonly base64: string;
}

/** Query params: an object (an array repeats the key), pairs, or a ready query string. */
export type SpecParams =
  | Readonly<Record<string, string | readonly string[] | null>>
  | ReadonlyArray<readonly [string, string]>
  | string;

/** A body: text, bytes, or a form as an object or as pairs. */
export type SpecData =
  | string
  | SpecBytes
  | Readonly<Record<string, string | readonly string[]>>
  | ReadonlyArray<readonly [string, string]>;

/** The content of one uploaded file. */
export type SpecFileContent = string | SpecBytes;

/** A file as Requests takes it: the content alone, or `[filename, content, contentType?, headers?]`. */
export type SpecFile =
  | SpecFileContent
  | readonly [filename: string | null, content: SpecFileContent]
  | readonly [filename: string | null, content: SpecFileContent, contentType: string | null]
  | readonly [
      filename: string | null,
      content: SpecFileContent,
      contentType: string | null,
      headers: Readonly<Record<string, string>>,
    ];

/** The `files` option: field name → file, or pairs to repeat a field. */
export type SpecFiles = Readonly<Record<string, SpecFile>> | ReadonlyArray<readonly [string, SpecFile]>;

/** Bytes as a spec carries them. */
export function specBytes(bytes: Uint8Array | string): SpecBytes {
  return { base64: Buffer.from(bytes).toString("base64") };
}

/** True for the `{ base64 }` form of bytes. */
export function isSpecBytes(value: unknown): value is SpecBytes {
  return typeof value === "object" && value !== null && !Array.isArray(value) && "base64" in value;
}
