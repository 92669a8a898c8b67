/**
 * What one client did for one {@link CallSpec}: the Python oracle prints this shape and
 * `observeNq` builds it from an nq `Response`. Nothing is masked here; `normalise()` does
 * that for both sides alike.
 */
export interface Observation {
  readonly id: string;
  readonly response: ResponseObservation | null;
  /** The exception the call threw, if it threw. */
  readonly error: ErrorObservation | null;
  /** For a spec with a session: its jar afterwards and what its earlier steps saw. */
  readonly session?: SessionObservation | null;
}

/** The state of a spec's session after its call. */
export interface SessionObservation {
  /** `session.cookies` as name → value once the call is done. */
  readonly cookies: Readonly<Record<string, string>>;
  /** One observation per call among the session's `before` steps, in order. */
  readonly before: readonly Observation[];
}

/** An exception, by class name. */
export interface ErrorObservation {
  /** The class name: `ReadTimeout`, `TooManyRedirects`, `HTTPError`… */
  readonly type: string;
  readonly message: string;
  /** The status of the response the exception carries, if any. */
  readonly responseStatus: number | null;
}

/** The members of a response, as plain data. */
export interface ResponseObservation {
  readonly statusCode: number;
  readonly reason: string;
  readonly ok: boolean;
  readonly url: string;
  readonly isRedirect: boolean;
  readonly isPermanentRedirect: boolean;
  /** `[statusCode, url]` of each redirect response, oldest first. */
  readonly history: ReadonlyArray<readonly [number, string]>;
  /** With redirects not followed: the request a redirect would send next. */
  readonly next: { readonly method: string; readonly url: string } | null;
  /** Every response header as `[lower-case name, value]`, repeated fields joined by `, `. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly encoding: string | null;
  readonly httpVersion: number;
  readonly links: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** The request that produced the final response. */
  readonly request: { readonly method: string; readonly url: string };
  readonly body: BodyObservation;
  /** What `raiseForStatus()` threw, when the spec asked for it. */
  readonly raised: ErrorObservation | null;
  /** `response.cookies` as name → value: what this response set. */
  readonly cookies?: Readonly<Record<string, string>>;
  /** `cookies` of each response in `history`, oldest first. */
  readonly historyCookies?: ReadonlyArray<Readonly<Record<string, string>>>;
}

/** The body, as far as the spec's read mode saw it. */
export interface BodyObservation {
  /** Byte length and SHA-256 of the decoded body; `null` when read as lines. */
  readonly length: number | null;
  readonly sha256: string | null;
  /** `text`, for a textual Content-Type. */
  readonly text: string | null;
  /** `json()` or the class of what it threw, for a JSON Content-Type. */
  readonly json: { readonly value: unknown } | { readonly error: string } | null;
  /** The lines `iterLines()` yielded, in read mode `lines`. */
  readonly lines: readonly string[] | null;
  /** The length of each chunk `iterContent()` yielded, in read mode `chunks`. */
  readonly chunkLengths: readonly number[] | null;
}
