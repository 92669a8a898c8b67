/**
 * `multipart/form-data` bodies as Requests' `_encode_files` and urllib3's
 * `encode_multipart_formdata` write them: form fields first, then files, each part with a
 * `Content-Disposition` quoted by the HTML5 rules, an optional `Content-Type` and extra headers.
 *
 * The encoding is a list of segments rather than one buffer, so a `Blob` part is streamed when
 * the body is sent instead of being read into memory here.
 *
 * @packageDocumentation
 */

import type { FilesInput, FormFields } from "./body.js";
import { Headers } from "./headers.js";

/**
 * One piece of a multipart body: bytes, a `Blob` read when sent, or a stream of chunks that
 * can be read once.
 */
export type MultipartSegment =
  | Uint8Array
  | Blob
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array | string>
  | Iterable<Uint8Array | string>;

/** A multipart body before it is turned into a request body. */
export interface MultipartEncoding {
  /** The boundary between parts (without the leading `--`). */
  readonly boundary: string;
  /** `multipart/form-data; boundary=…`. */
  readonly contentType: string;
  /** The body in order: delimiters and headers as bytes, contents as given. */
  readonly segments: readonly MultipartSegment[];
  /** The exact length in bytes, or `null` when a part is a stream of unknown length. */
  readonly length: number | null;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A random boundary of 32 hex digits, as urllib3's `choose_boundary`. */
function chooseBoundary(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let hex = "";
  for (const byte of bytes) hex += byte.toString(16).padStart(2, "0");
  return hex;
}

/**
 * The `boundary` parameter of a `multipart/form-data` Content-Type, unquoted; `null` when the
 * type is not multipart/form-data or names no single boundary.
 */
export function boundaryFromContentType(contentType: string): string | null {
  const [type = "", ...params] = splitParams(contentType);
  if (type.trim().toLowerCase() !== "multipart/form-data") return null;
  const boundaries: string[] = [];
  for (const param of params) {
    const eq = param.indexOf("=");
    if (eq === -1 || param.slice(0, eq).trim().toLowerCase() !== "boundary") continue;
    let value = param.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) {
      value = value.slice(1, -1).replace(/\\(.)/g, "$1");
    }
    boundaries.push(value);
  }
  // niquests takes a boundary only when there is exactly one.
  return boundaries.length === 1 && boundaries[0] ? boundaries[0] : null;
}

/** Splits a header value on `;` outside quoted strings. */
function splitParams(value: string): string[] {
  const out: string[] = [];
  let current = "";
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    if (quoted && ch === "\\" && i + 1 < value.length) {
      current += ch + value[++i];
      continue;
    }
    if (ch === '"') quoted = !quoted;
    if (ch === ";" && !quoted) {
      out.push(current);
      current = "";
    } else {
      current += ch;
    }
  }
  out.push(current);
  return out;
}

/** urllib3's `format_multipart_header_param`: the WHATWG rule, `"`, CR and LF percent-encoded. */
function headerParam(name: string, value: string): string {
  return `${name}="${value.replace(/[\n\r"]/g, (ch) => (ch === "\n" ? "%0A" : ch === "\r" ? "%0D" : "%22"))}"`;
}

function isBlob(value: unknown): value is Blob {
  return typeof Blob !== "undefined" && value instanceof Blob;
}

function isIterable(value: object): value is Iterable<unknown> {
  return typeof (value as Partial<Iterable<unknown>>)[Symbol.iterator] === "function";
}

function isStreamContent(value: object): value is MultipartSegment {
  return (
    (typeof ReadableStream !== "undefined" && value instanceof ReadableStream) ||
    typeof (value as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === "function" ||
    (!Array.isArray(value) && isIterable(value))
  );
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === "object") return value.constructor?.name ?? "object";
  return typeof value;
}

/** Entries of an object, pairs or `Map`, checking that pairs are pairs. */
function entriesOf(input: object, what: string): (readonly [unknown, unknown])[] {
  if (!isIterable(input)) return Object.entries(input);
  const entries: (readonly [unknown, unknown])[] = [];
  for (const entry of input) {
    if (!Array.isArray(entry) || entry.length !== 2) {
      throw new TypeError(
        `${what} must be an object or [name, value] pairs, got an entry that is ${describe(entry)}`,
      );
    }
    entries.push(entry as unknown as readonly [unknown, unknown]);
  }
  return entries;
}

function fieldName(name: unknown): string {
  return name instanceof Uint8Array ? decoder.decode(name) : String(name);
}

/** The byte content of a file or field, or a stream of unknown length. */
function contentOf(
  content: unknown,
  field: string,
): { segment: MultipartSegment; size: number | null } | null {
  if (content === null || content === undefined) return null;
  if (typeof content === "string") {
    const bytes = encoder.encode(content);
    return { segment: bytes, size: bytes.length };
  }
  if (content instanceof Uint8Array) return { segment: content, size: content.length };
  if (content instanceof ArrayBuffer) return { segment: new Uint8Array(content), size: content.byteLength };
  if (ArrayBuffer.isView(content)) {
    const view = new Uint8Array(content.buffer, content.byteOffset, content.byteLength);
    return { segment: view, size: view.length };
  }
  if (isBlob(content)) return { segment: content, size: content.size };
  if (typeof content === "object" && isStreamContent(content)) return { segment: content, size: null };
  throw new TypeError(
    `Unsupported content for file field ${JSON.stringify(field)}: ${describe(content)} ` +
      "(expected a string, bytes, a Blob or a stream of chunks)",
  );
}

/** Requests' `guess_filename`: the base name of a `name` property (a `File`), unless it is `<…>`. */
function guessFilename(content: unknown): string | null {
  if (typeof content !== "object" || content === null) return null;
  const name = (content as { name?: unknown }).name;
  if (typeof name !== "string" || !name || name.startsWith("<") || name.endsWith(">")) return null;
  return name.slice(name.lastIndexOf("/") + 1);
}

interface Part {
  readonly headers: string[];
  readonly content: MultipartSegment;
  readonly size: number | null;
}

function fieldParts(fields: FormFields | URLSearchParams): Part[] {
  const parts: Part[] = [];
  for (const [name, value] of entriesOf(fields, "Form data")) {
    // A value that is a list repeats the field, like the URL-encoded form.
    const values =
      typeof value === "object" && value !== null && !(value instanceof Uint8Array) && isIterable(value)
        ? value
        : [value];
    for (const v of values) {
      if (v === null || v === undefined) continue;
      const bytes = v instanceof Uint8Array ? v : encoder.encode(String(v));
      parts.push({
        headers: [`Content-Disposition: form-data; ${headerParam("name", fieldName(name))}`],
        content: bytes,
        size: bytes.length,
      });
    }
  }
  return parts;
}

function filePart(name: string, spec: unknown): Part | null {
  let filename: unknown;
  let content: unknown;
  let contentType: unknown;
  let extra: unknown;
  if (Array.isArray(spec)) {
    if (spec.length < 2 || spec.length > 4) {
      throw new TypeError(
        `Invalid file spec for field ${JSON.stringify(name)}: expected content or ` +
          `[filename, content, contentType?, headers?], got ${describe(spec)}`,
      );
    }
    [filename, content, contentType, extra] = spec;
    if (filename !== null && filename !== undefined && typeof filename !== "string") {
      throw new TypeError(`Invalid filename for file field ${JSON.stringify(name)}: ${describe(filename)}`);
    }
    if (
      contentType !== null &&
      contentType !== undefined &&
      (typeof contentType !== "string" || /[\r\n]/.test(contentType))
    ) {
      throw new TypeError(
        `Invalid content type for file field ${JSON.stringify(name)}: ${describe(contentType)}`,
      );
    }
  } else {
    content = spec;
    filename = guessFilename(spec) ?? name;
  }
  const body = contentOf(content, name);
  if (body === null) return null;

  const headers = new Headers((extra ?? null) as ConstructorParameters<typeof Headers>[0]);
  // An explicit type wins; then a Content-Type among the extra headers; then the Blob's own.
  const type = contentType || headers.get("content-type") || (isBlob(content) ? content.type : "");
  let disposition = `Content-Disposition: form-data; ${headerParam("name", name)}`;
  if (typeof filename === "string") disposition += `; ${headerParam("filename", filename)}`;
  const lines = [disposition];
  if (type) lines.push(`Content-Type: ${type}`);
  const location = headers.get("content-location");
  if (location) lines.push(`Content-Location: ${location}`);
  for (const [key, value] of headers.raw()) {
    const lower = key.toLowerCase();
    if (lower === "content-disposition" || lower === "content-type" || lower === "content-location") continue;
    if (value) lines.push(`${key}: ${value}`);
  }
  return { headers: lines, content: body.segment, size: body.size };
}

/**
 * Encodes form fields and files as `multipart/form-data`: fields first (an array value repeats
 * the field, `null` is skipped, bytes names and values allowed), then files, each given as its
 * content or `[filename, content, contentType?, headers?]`. Bare content is named after a
 * `File`'s name, else after the field. `null` files are skipped.
 *
 * @throws TypeError on a malformed file spec or content that is not text, bytes, a Blob or a stream.
 */
export function encodeMultipart(
  fields: FormFields | URLSearchParams | null | undefined,
  files: FilesInput | null | undefined,
  boundary: string = chooseBoundary(),
): MultipartEncoding {
  const parts = fields ? fieldParts(fields) : [];
  if (files) {
    for (const [name, spec] of entriesOf(files, "Files")) {
      const part = filePart(fieldName(name), spec);
      if (part) parts.push(part);
    }
  }

  const segments: MultipartSegment[] = [];
  let length: number | null = 0;
  // Delimiters and headers are joined into one chunk with the CRLF that closes the part before.
  let pending = "";
  const flush = () => {
    const bytes = encoder.encode(pending);
    segments.push(bytes);
    if (length !== null) length += bytes.length;
    pending = "";
  };
  for (const part of parts) {
    pending += `--${boundary}\r\n${part.headers.join("\r\n")}\r\n\r\n`;
    flush();
    segments.push(part.content);
    length = length === null || part.size === null ? null : length + part.size;
    pending = "\r\n";
  }
  pending += `--${boundary}--\r\n`;
  flush();
  return { boundary, contentType: `multipart/form-data; boundary=${boundary}`, segments, length };
}
