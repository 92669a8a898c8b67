import { InvalidJSONError } from "./errors.js";
import type { HeadersInit } from "./headers.js";

/** A form field value; numbers and booleans are sent as their decimal or `true`/`false` text. */
export type FormValue = string | number | boolean | bigint | Uint8Array;

/** A form as a plain object (an array value repeats the key; `null` drops it) or as pairs. */
export type FormFields =
  | { readonly [key: string]: FormValue | readonly FormValue[] | null | undefined }
  | ReadonlyArray<readonly [string, FormValue | null | undefined]>;

/**
 * The `data` option: text or bytes sent as they are, a form (URL-encoded), a `Blob`, or a
 * stream (`ReadableStream`, async or sync iterable of chunks, a generator) sent chunked.
 */
export type RequestData =
  | string
  | Uint8Array
  | ArrayBuffer
  | ArrayBufferView
  | Blob
  | URLSearchParams
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array | string>
  | Iterable<Uint8Array | string>
  | FormFields;

/** The content of one uploaded file. */
export type FileContent = string | Uint8Array | ArrayBuffer | Blob;

/**
 * One file of the `files` option, as Requests takes it: the content alone, or
 * `[filename, content, contentType?, headers?]`.
 */
export type FileSpec =
  | FileContent
  | readonly [filename: string | null, content: FileContent, contentType?: string | null, headers?: HeadersInit];

/** The `files` option: field name → file, or pairs to repeat a field. */
export type FilesInput =
  | { readonly [field: string]: FileSpec | null | undefined }
  | ReadonlyArray<readonly [string, FileSpec | null | undefined]>;

/** A body that can be iterated again from its start, so a 307/308 redirect or a retry can resend it. */
export class ReplayableBody implements AsyncIterable<Uint8Array> {
  readonly #open: () => AsyncIterable<Uint8Array>;
  /** The body length in bytes, or `null` when unknown. */
  readonly length: number | null;

  constructor(open: () => AsyncIterable<Uint8Array>, length: number | null) {
    this.#open = open;
    this.length = length;
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return this.#open()[Symbol.asyncIterator]();
  }
}

/**
 * A prepared request body: bytes, a {@link ReplayableBody}, or a one-shot stream of chunks
 * (which cannot be resent).
 */
export type RequestBody = Uint8Array | ReplayableBody | AsyncIterable<Uint8Array>;

/** A body encoded from the request options, with the headers it implies. */
export interface EncodedBody {
  readonly body: RequestBody | null;
  /** The Content-Type the encoding implies (form, multipart, JSON), or `null`. */
  readonly contentType: string | null;
  /** The length in bytes when known, else `null` (sent chunked). */
  readonly length: number | null;
}

/** The inputs of {@link encodeBody}. */
export interface BodyInit {
  readonly data?: RequestData | null | undefined;
  readonly files?: FilesInput | null | undefined;
  readonly json?: unknown;
  /** The Content-Type the caller set, if any: a multipart type with a boundary is honoured. */
  readonly contentType?: string | null | undefined;
}

const encoder = new TextEncoder();

/** True when the body can be sent again from its start. */
export function isReplayable(body: RequestBody | null): boolean {
  return body === null || body instanceof Uint8Array || body instanceof ReplayableBody;
}

/** Encodes `data`, `files` and `json` as Requests' `prepare_body` does. */
export function encodeBody(init: BodyInit): EncodedBody {
  const { data, json } = init;
  if ((data === null || data === undefined || data === "") && json !== undefined && json !== null) {
    const text = JSON.stringify(json);
    if (text === undefined) throw new InvalidJSONError("Object is not JSON serializable");
    const bytes = encoder.encode(text);
    return { body: bytes, contentType: "application/json", length: bytes.length };
  }
  if (typeof data === "string") {
    const bytes = encoder.encode(data);
    return { body: bytes.length ? bytes : null, contentType: null, length: bytes.length };
  }
  if (data instanceof Uint8Array) return { body: data.length ? data : null, contentType: null, length: data.length };
  return { body: null, contentType: null, length: null };
}
