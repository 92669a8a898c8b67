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
  readonly headers?: Readonly<Record<string, string>>;
  readonly files?: SpecFiles;
  readonly auth?: readonly [user: string, password: string];
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
  /** Send through an explicit Session with these settings instead of the module function. */
  readonly session?: { readonly maxRedirects?: number };
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
