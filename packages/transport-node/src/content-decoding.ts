/**
 * Content-Encoding removal, streamed through node:zlib and bounded.
 *
 * Each coding is one layer pulling from the layer below it (the innermost pulls from the
 * network). A layer feeds its zlib stream one input chunk at a time and reads the stream in
 * paused mode, so zlib stops inflating once its small readable buffer is full: memory stays at
 * a few chunks however large the decoded body, and a decompression bomb is caught while it is
 * still small.
 *
 * Shared by the HTTP/1.1 and HTTP/2 transports, so a body decodes, and a bomb fails, the same
 * way whichever protocol carried it.
 */
import type { Transform } from "node:stream";
import {
  constants,
  createBrotliDecompress,
  createGunzip,
  createInflate,
  createInflateRaw,
  type ZlibOptions,
} from "node:zlib";
import { TransportError } from "@nq/models";

/** A content coding the transports can remove. zstd is missing: Node 20's zlib has no zstd. */
export type ContentCoding = "gzip" | "deflate" | "br";

/**
 * Decoded output may grow to this size whatever the ratio: a legitimate small, highly
 * compressible body (a page of zeros, a sparse JSON) must not fail.
 */
export const DECOMPRESSION_FLOOR = 16 * 1024 * 1024;

/** The default of `maxDecompressionRatio`. */
export const DEFAULT_MAX_DECOMPRESSION_RATIO = 100;

const CHUNK_SIZE = 64 * 1024;

const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });

/**
 * Parses Content-Encoding into the codings to undo, in the order they were applied. Returns
 * `undefined` when there is nothing to undo: no header, only `identity`, or a coding we do not
 * know — then the body is passed through undecoded, as Requests does, since undoing the outer
 * layers alone would hand out neither the original nor the received bytes.
 */
export function parseContentEncoding(value: string | null): ContentCoding[] | undefined {
  if (value === null) return undefined;
  const codings: ContentCoding[] = [];
  for (const part of value.split(",")) {
    const token = part.trim().toLowerCase();
    if (token === "" || token === "identity") continue;
    if (token === "gzip" || token === "x-gzip") codings.push("gzip");
    else if (token === "deflate") codings.push("deflate");
    else if (token === "br") codings.push("br");
    else return undefined;
  }
  return codings.length === 0 ? undefined : codings;
}

// A zlib-wrapped deflate stream starts with CMF/FLG: compression method 8, a window of at most
// 32 KiB, and the pair a multiple of 31. Anything else is taken as raw deflate, which some
// servers send under "deflate" (urllib3 falls back the same way).
function isZlibHeader(first: number, second: number): boolean {
  return (first & 0x0f) === 8 && first >> 4 <= 7 && ((first << 8) | second) % 31 === 0;
}

function createDecoder(coding: ContentCoding, head: Uint8Array): Transform {
  // Lenient end: a body cut short after complete blocks yields what it has, as browsers and
  // urllib3 do, instead of failing on the missing trailer.
  const options: ZlibOptions = { finishFlush: constants.Z_SYNC_FLUSH, chunkSize: CHUNK_SIZE };
  switch (coding) {
    case "gzip":
      return createGunzip(options);
    case "deflate":
      return head.length >= 2 && isZlibHeader(head[0]!, head[1]!)
        ? createInflate(options)
        : createInflateRaw(options);
    case "br":
      return createBrotliDecompress({ finishFlush: constants.BROTLI_OPERATION_FLUSH, chunkSize: CHUNK_SIZE });
  }
}

interface Budget {
  /** Bytes read from the network by the innermost layer. */
  compressed: number;
}

/** Reading limits for {@link decodeBody}. */
export interface DecodeLimits {
  /** Decoded bytes may exceed the compressed bytes by this factor once past {@link DECOMPRESSION_FLOOR}. */
  readonly maxRatio: number;
}

/**
 * Undoes `codings` (as listed in Content-Encoding: applied first to last, undone last to first)
 * over `raw`. A body that decodes past both 16 MiB and `maxRatio` times the compressed bytes
 * received so far fails with a `decoding` error, as does corrupt compressed data.
 */
export function decodeBody(
  raw: AsyncIterator<Uint8Array>,
  codings: readonly ContentCoding[],
  limits: DecodeLimits,
): AsyncIterableIterator<Uint8Array> {
  const budget: Budget = { compressed: 0 };
  let source: AsyncIterator<Uint8Array> = raw;
  for (let i = codings.length - 1; i >= 0; i--) {
    source = new DecoderLayer(source, codings[i]!, budget, i === codings.length - 1, limits.maxRatio);
  }
  return source as AsyncIterableIterator<Uint8Array>;
}

class DecoderLayer implements AsyncIterableIterator<Uint8Array> {
  readonly #source: AsyncIterator<Uint8Array>;
  readonly #coding: ContentCoding;
  readonly #budget: Budget;
  readonly #countsInput: boolean;
  readonly #maxRatio: number;
  #stream: Transform | undefined;
  // Deflate needs two bytes to tell zlib-wrapped from raw; a one-byte first chunk waits here.
  #head: Uint8Array | undefined;
  #writing = false;
  #inputDone = false;
  #ended = false;
  #failed = false;
  #error: unknown;
  #cancelled = false;
  #produced = 0;
  #wake: (() => void) | undefined;
  #signalled = false;

  constructor(
    source: AsyncIterator<Uint8Array>,
    coding: ContentCoding,
    budget: Budget,
    countsInput: boolean,
    maxRatio: number,
  ) {
    this.#source = source;
    this.#coding = coding;
    this.#budget = budget;
    this.#countsInput = countsInput;
    this.#maxRatio = maxRatio;
  }

  readonly #notify = (): void => {
    const wake = this.#wake;
    if (wake === undefined) {
      this.#signalled = true;
      return;
    }
    this.#wake = undefined;
    wake();
  };

  readonly #onWritten = (): void => {
    this.#writing = false;
    this.#notify();
  };

  readonly #onEnd = (): void => {
    this.#ended = true;
    this.#notify();
  };

  readonly #onError = (error: Error): void => {
    this.#fail(
      new TransportError(`Failed to decode response content (${this.#coding}): ${error.message}`, {
        kind: "decoding",
        phase: "body",
        retryable: false,
        code: (error as { code?: string }).code,
        cause: error,
      }),
    );
    this.#notify();
  };

  #start(head: Uint8Array): Transform {
    const stream = createDecoder(this.#coding, head);
    stream.on("readable", this.#notify);
    stream.on("end", this.#onEnd);
    stream.on("error", this.#onError);
    this.#stream = stream;
    return stream;
  }

  #fail(error: unknown): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#error = error;
    this.#stream?.destroy();
    // Stop the network side too: the socket cannot be reused with a body left unread.
    void this.#source.return?.().catch(() => {});
  }

  #checkBound(): void {
    if (this.#produced <= DECOMPRESSION_FLOOR) return;
    const compressed = this.#budget.compressed;
    if (this.#produced <= this.#maxRatio * compressed) return;
    this.#fail(
      new TransportError(
        `Decompressed body exceeds the limit: ${this.#produced} bytes from ${compressed} compressed bytes ` +
          `(more than ${DECOMPRESSION_FLOOR} bytes and ${this.#maxRatio}x the compressed size)`,
        { kind: "decoding", phase: "body", retryable: false },
      ),
    );
  }

  async #feed(): Promise<void> {
    let result: IteratorResult<Uint8Array>;
    try {
      result = await this.#source.next();
    } catch (error) {
      // A network error or an abort reason reaches the consumer unchanged.
      this.#failed = true;
      this.#error = error;
      this.#stream?.destroy();
      return;
    }
    if (result.done) {
      this.#inputDone = true;
      if (this.#stream === undefined && this.#head !== undefined) this.#start(this.#head).end(this.#head);
      else this.#stream?.end();
      return;
    }
    let chunk = result.value;
    if (this.#countsInput) this.#budget.compressed += chunk.length;
    let stream = this.#stream;
    if (stream === undefined) {
      if (this.#head !== undefined) {
        const joined = new Uint8Array(this.#head.length + chunk.length);
        joined.set(this.#head);
        joined.set(chunk, this.#head.length);
        chunk = joined;
        this.#head = undefined;
      }
      if (this.#coding === "deflate" && chunk.length < 2) {
        this.#head = chunk;
        return;
      }
      stream = this.#start(chunk);
    }
    this.#writing = true;
    stream.write(chunk, this.#onWritten);
  }

  async next(): Promise<IteratorResult<Uint8Array>> {
    for (;;) {
      if (this.#cancelled) return DONE;
      if (this.#failed) throw this.#error;
      const stream = this.#stream;
      if (stream !== undefined) {
        const chunk = stream.read() as Uint8Array | null;
        if (chunk !== null) {
          this.#produced += chunk.length;
          this.#checkBound();
          if (this.#failed) throw this.#error;
          return { value: chunk, done: false };
        }
        if (this.#ended) return DONE;
      } else if (this.#inputDone) {
        return DONE;
      }
      if (!this.#writing && !this.#inputDone) {
        await this.#feed();
        continue;
      }
      if (this.#signalled) {
        this.#signalled = false;
        continue;
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  /** Stops decoding and cancels the body underneath. */
  async return(): Promise<IteratorResult<Uint8Array>> {
    if (this.#cancelled) return DONE;
    this.#cancelled = true;
    this.#stream?.destroy();
    this.#notify();
    if (!this.#failed && !this.#ended) await this.#source.return?.();
    return DONE;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
