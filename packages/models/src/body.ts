/**
 * Request bodies as Requests' `prepare_body` builds them from `data`, `files` and `json`.
 *
 * What a body may be decides what a redirect or a retry can do with it: bytes and a
 * {@link ReplayableBody} can be sent again from the start, a one-shot stream cannot.
 *
 * @packageDocumentation
 */

import { InvalidJSONError } from "./errors.js";
import type { HeadersInit } from "./headers.js";
import { boundaryFromContentType, encodeMultipart, type MultipartEncoding } from "./multipart.js";
import { encodeParams } from "./url.js";

/** A form field value; numbers and booleans are sent as their decimal or `true`/`false` text. */
export type FormValue = string | number | boolean | bigint | Uint8Array;

/** One form value as callers give it: `null` and `undefined` are dropped. */
type FormEntry = FormValue | null | undefined;

/**
 * A form as a plain object (an array value repeats the key; `null` drops it), as pairs or as a
 * `Map`. Pairs and maps keep their order, and their names may be bytes (decoded as UTF-8).
 */
export type FormFields =
  | { readonly [key: string]: FormEntry | readonly FormEntry[] }
  | ReadonlyArray<readonly [string | Uint8Array, FormEntry | readonly FormEntry[]]>
  | ReadonlyMap<string | Uint8Array, FormEntry | readonly FormEntry[]>;

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

/**
 * The content of one uploaded file: text (sent as UTF-8), bytes, a `Blob` (a `File` lends its
 * name and type), or a stream of chunks (then the body length is unknown and it is sent chunked).
 */
export type FileContent =
  | string
  | Uint8Array
  | ArrayBuffer
  | ArrayBufferView
  | Blob
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array | string>;

/**
 * One file of the `files` option, as Requests takes it: the content alone, or
 * `[filename, content, contentType?, headers?]` (a `null` filename sends none).
 */
export type FileSpec =
  | FileContent
  | readonly [
      filename: string | null,
      content: FileContent,
      contentType?: string | null,
      headers?: HeadersInit,
    ];

/** The `files` option: field name → file, or pairs (or a `Map`) to repeat a field. */
export type FilesInput =
  | { readonly [field: string]: FileSpec | null | undefined }
  | ReadonlyArray<readonly [string | Uint8Array, FileSpec | null | undefined]>
  | ReadonlyMap<string | Uint8Array, FileSpec | null | undefined>;

/** A body that can be iterated again from its start, so a 307/308 redirect or a retry can resend it. */
export class ReplayableBody implements AsyncIterable<Uint8Array> {
  readonly #open: () => AsyncIterable<Uint8Array>;
  /** The body length in bytes, or `null` when unknown. */
  readonly length: number | null;

  /** Wraps a function that opens the body afresh each time it is called. */
  constructor(open: () => AsyncIterable<Uint8Array>, length: number | null) {
    this.#open = open;
    this.length = length;
  }

  /** Starts a new pass over the body from its first byte. */
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
const FORM_TYPE = "application/x-www-form-urlencoded";

/** True when the body can be sent again from its start. */
export function isReplayable(body: RequestBody | null): boolean {
  return body === null || body instanceof Uint8Array || body instanceof ReplayableBody;
}

// ---- what `data` is ----

type StreamSource = ReadableStream<unknown> | AsyncIterable<unknown> | Iterable<unknown>;

type DataKind =
  | { readonly kind: "text"; readonly value: string }
  | { readonly kind: "bytes"; readonly value: Uint8Array }
  | { readonly kind: "blob"; readonly value: Blob }
  | { readonly kind: "form"; readonly value: FormFields | URLSearchParams }
  | { readonly kind: "stream"; readonly value: StreamSource };

function isBlob(value: unknown): value is Blob {
  return typeof Blob !== "undefined" && value instanceof Blob;
}

function isReadableStream(value: unknown): value is ReadableStream<unknown> {
  return typeof ReadableStream !== "undefined" && value instanceof ReadableStream;
}

/** A `Uint8Array` over the bytes of any binary value, sharing its memory; `null` for anything else. */
function bytesOf(value: unknown): Uint8Array | null {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (typeof SharedArrayBuffer !== "undefined" && value instanceof SharedArrayBuffer)
    return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  return null;
}

function classify(data: NonNullable<RequestData>): DataKind {
  if (typeof data === "string") return { kind: "text", value: data };
  const bytes = bytesOf(data);
  if (bytes) return { kind: "bytes", value: bytes };
  if (typeof data !== "object") {
    throw new TypeError(
      `Unsupported request data: ${typeof data} (expected text, bytes, a form, a Blob or a stream)`,
    );
  }
  if (isBlob(data)) return { kind: "blob", value: data };
  if (data instanceof URLSearchParams || data instanceof Map || Array.isArray(data)) {
    return { kind: "form", value: data as FormFields | URLSearchParams };
  }
  if (
    isReadableStream(data) ||
    typeof (data as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === "function" ||
    typeof (data as Partial<Iterable<unknown>>)[Symbol.iterator] === "function"
  ) {
    return { kind: "stream", value: data as StreamSource };
  }
  return { kind: "form", value: data as FormFields };
}

/** Python's truth test on `data`: empty text, bytes and forms are "no data", files and streams never are. */
function isEmpty(data: DataKind): boolean {
  switch (data.kind) {
    case "text":
    case "bytes":
      return data.value.length === 0;
    case "form": {
      const form = data.value;
      if (form instanceof URLSearchParams) return form.keys().next().done === true;
      if (form instanceof Map) return form.size === 0;
      if (Array.isArray(form)) return form.length === 0;
      return Object.keys(form).length === 0;
    }
    default:
      return false;
  }
}

// ---- JSON ----

// Python's `repr` of the floats `json.dumps(allow_nan=False)` refuses.
function pyFloat(n: number): string {
  return Number.isNaN(n) ? "nan" : n > 0 ? "inf" : "-inf";
}

/** JSON as Requests sends it: UTF-8, NaN and ±Infinity refused like Python's `allow_nan=False`. */
function encodeJson(value: unknown): Uint8Array {
  let text: string | undefined;
  try {
    text = JSON.stringify(value, (_key, v: unknown) => {
      // JSON.stringify would write these as `null`, silently changing the document.
      const n = typeof v === "number" ? v : v instanceof Number ? v.valueOf() : null;
      if (n !== null && !Number.isFinite(n)) {
        throw new InvalidJSONError(`Out of range float values are not JSON compliant: ${pyFloat(n)}`);
      }
      return v;
    });
  } catch (cause) {
    if (cause instanceof InvalidJSONError) throw cause;
    throw new InvalidJSONError(`Object is not JSON serializable: ${(cause as Error).message}`, { cause });
  }
  if (text === undefined)
    throw new InvalidJSONError(`Object of type ${typeof value} is not JSON serializable`);
  return encoder.encode(text);
}

// ---- streams ----

function chunkOf(chunk: unknown): Uint8Array {
  if (typeof chunk === "string") return encoder.encode(chunk);
  const bytes = bytesOf(chunk);
  if (bytes) return bytes;
  throw new TypeError(
    `A body stream yielded ${chunk === null ? "null" : typeof chunk}; expected bytes or a string`,
  );
}

async function* readStream(stream: ReadableStream<unknown>): AsyncGenerator<Uint8Array> {
  // The reader, not `for await`, because Safari's ReadableStream is not async-iterable.
  const reader = stream.getReader();
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        finished = true;
        return;
      }
      const chunk = chunkOf(value);
      if (chunk.length > 0) yield chunk;
    }
  } finally {
    // Stopped early (an aborted upload): let the source release what it holds.
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

/**
 * The chunks of a stream source as bytes. Empty chunks are skipped: on a chunked upload an
 * empty chunk would read as the end of the body.
 */
async function* chunksOf(source: StreamSource | Blob): AsyncGenerator<Uint8Array> {
  if (isBlob(source)) {
    yield* readStream(source.stream());
  } else if (isReadableStream(source)) {
    yield* readStream(source);
  } else if (Symbol.asyncIterator in source) {
    for await (const chunk of source) {
      const bytes = chunkOf(chunk);
      if (bytes.length > 0) yield bytes;
    }
  } else {
    for (const chunk of source) {
      const bytes = chunkOf(chunk);
      if (bytes.length > 0) yield bytes;
    }
  }
}

async function* multipartChunks(encoding: MultipartEncoding): AsyncGenerator<Uint8Array> {
  for (const segment of encoding.segments) {
    if (segment instanceof Uint8Array) {
      if (segment.length > 0) yield segment;
    } else {
      yield* chunksOf(segment);
    }
  }
}

function multipartBody(encoding: MultipartEncoding, contentType: string): EncodedBody {
  const { segments, length } = encoding;
  // Parts already in memory become one buffer, as Requests builds them: written whole, an early
  // answer from the server (a 307 before the upload ends) cannot break the write half-way.
  if (length !== null && segments.every((segment) => segment instanceof Uint8Array)) {
    const bytes = new Uint8Array(length);
    let offset = 0;
    for (const segment of segments as readonly Uint8Array[]) {
      bytes.set(segment, offset);
      offset += segment.length;
    }
    return { body: bytes, contentType, length };
  }
  // Known length means every part is bytes or a Blob, so the body can be opened again.
  const body =
    length === null ? multipartChunks(encoding) : new ReplayableBody(() => multipartChunks(encoding), length);
  return { body, contentType, length };
}

function hasFiles(files: FilesInput | null | undefined): files is FilesInput {
  if (!files) return false;
  if (files instanceof Map) return files.size > 0;
  if (Array.isArray(files)) return files.length > 0;
  return Object.keys(files).length > 0;
}

function isMultipartType(contentType: string | null | undefined): contentType is string {
  return !!contentType && contentType.split(";")[0]!.trim().toLowerCase() === "multipart/form-data";
}

/**
 * Encodes `data`, `files` and `json` as Requests' `prepare_body` does:
 *
 * - `json` only when `data` is empty (as Python tests it): UTF-8 `application/json`;
 * - text as UTF-8 and bytes as they are, with no Content-Type;
 * - a form (object, pairs, `Map`, `URLSearchParams`) URL-encoded, or as multipart when the
 *   caller's Content-Type is `multipart/form-data` (its boundary reused when it names one);
 * - `files` as `multipart/form-data`, form fields from `data` first;
 * - a `Blob` streamed but replayable, with its size and type;
 * - a stream or generator as a one-shot body of unknown length.
 *
 * @throws InvalidJSONError when `json` holds NaN or ±Infinity or cannot be serialised.
 * @throws TypeError when `files` come with text, bytes or a stream as `data`, or on unsupported data.
 */
export function encodeBody(init: BodyInit): EncodedBody {
  const { files, json, contentType } = init;
  const data = init.data === null || init.data === undefined ? null : classify(init.data);
  const withFiles = hasFiles(files);

  const jsonBody =
    (data === null || isEmpty(data)) && json !== undefined && json !== null ? encodeJson(json) : null;

  if (data?.kind === "stream" || data?.kind === "blob") {
    if (withFiles) throw new TypeError("Streamed bodies and files are mutually exclusive.");
    if (data.kind === "stream") return { body: chunksOf(data.value), contentType: null, length: null };
    const blob = data.value;
    return {
      body: new ReplayableBody(() => chunksOf(blob), blob.size),
      contentType: blob.type || null,
      length: blob.size,
    };
  }

  if (withFiles) {
    if (data?.kind === "text" || data?.kind === "bytes") throw new TypeError("Data must not be a string.");
    const encoding = encodeMultipart(data?.kind === "form" ? data.value : null, files);
    return multipartBody(encoding, encoding.contentType);
  }

  if (data === null || isEmpty(data)) {
    if (jsonBody) return { body: jsonBody, contentType: "application/json", length: jsonBody.length };
    return { body: null, contentType: null, length: 0 };
  }

  switch (data.kind) {
    case "text": {
      const bytes = encoder.encode(data.value);
      return { body: bytes, contentType: null, length: bytes.length };
    }
    case "bytes":
      return { body: data.value, contentType: null, length: data.value.length };
    case "form": {
      if (isMultipartType(contentType)) {
        // niquests: a multipart Content-Type set by the caller turns a plain form into parts.
        const given = boundaryFromContentType(contentType);
        const encoding = encodeMultipart(data.value, null, given ?? undefined);
        return multipartBody(encoding, given ? contentType : encoding.contentType);
      }
      const text = encodeParams(data.value);
      // Requests still labels a form whose fields were all `null`; it just has no bytes.
      if (!text) return { body: null, contentType: FORM_TYPE, length: 0 };
      const bytes = encoder.encode(text);
      return { body: bytes, contentType: FORM_TYPE, length: bytes.length };
    }
  }
}
