/**
 * The response body as the HTTP/2 stream delivers it, handed to one consumer through a small
 * bounded queue.
 *
 * Past the high-water mark the stream is paused: node:http2 then stops acknowledging the
 * stream's DATA (no WINDOW_UPDATE), so HTTP/2 flow control stops the server instead of our memory
 * growing. A small body that is complete when the consumer asks is handed out as
 * already-resolved promises — no Node stream on the consumer side, no timer.
 *
 * The same design as `@nq/transport-h1`'s `src/response-body.ts` (duplicated, not imported: a
 * transport may depend on `@nq/models` only).
 */

/** What the body tells the exchange that owns it. */
export interface BodyOwner {
  /** The consumer saw the end, an error, or cancelled: stop watching the abort signal. */
  bodySettled(): void;
  /** The consumer stopped early (`return()` on the iterator, a `break` out of `for await`). */
  cancelBody(): void;
}

// Past this many queued bytes the stream is paused; it resumes once the consumer
// has taken the queue below the low mark, so a fast consumer never sees the stream stall.
const HIGH_WATER_MARK = 64 * 1024;
const LOW_WATER_MARK = 16 * 1024;

const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });

interface Waiter {
  resolve(result: IteratorResult<Uint8Array>): void;
  reject(error: unknown): void;
}

/** A bounded queue between the stream's `data` events and one async-iterating consumer. */
export class ResponseBody implements AsyncIterableIterator<Uint8Array> {
  /** Bytes received from the network so far (what a Content-Length counts). */
  received = 0;
  readonly #owner: BodyOwner;
  readonly #resume: () => void;
  #chunks: Uint8Array[] = [];
  #head = 0;
  #queued = 0;
  #paused = false;
  #ended = false;
  #failed = false;
  #error: unknown;
  #discarding = false;
  #settled = false;
  #waiter: Waiter | undefined;

  constructor(owner: BodyOwner, resume: () => void) {
    this.#owner = owner;
    this.#resume = resume;
  }

  /** True once the consumer can expect nothing more: ended, failed or cancelled. */
  get closed(): boolean {
    return this.#ended || this.#failed || this.#discarding;
  }

  /** Queues a chunk; false asks the caller to pause the stream until the consumer catches up. */
  push(chunk: Uint8Array): boolean {
    this.received += chunk.length;
    if (this.#discarding || this.#failed) return true;
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      // The consumer is already waiting, so the queue is empty: hand the chunk over directly.
      this.#waiter = undefined;
      waiter.resolve({ value: chunk, done: false });
      return true;
    }
    this.#chunks.push(chunk);
    this.#queued += chunk.length;
    if (this.#queued < HIGH_WATER_MARK) return true;
    this.#paused = true;
    return false;
  }

  /** The network side finished cleanly. */
  end(): void {
    this.#ended = true;
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      this.#waiter = undefined;
      this.#settle();
      waiter.resolve(DONE);
    }
  }

  /** Fails the consumer with `error` (at once: queued data is dropped). Ignored once settled. */
  fail(error: unknown): void {
    if (this.#settled || this.#discarding || this.#failed) return;
    this.#failed = true;
    this.#error = error;
    this.#drop();
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      this.#waiter = undefined;
      this.#settle();
      waiter.reject(error);
    }
  }

  /**
   * Stops delivering: queued data is dropped, later chunks are discarded as they arrive, and the
   * consumer sees the end. The stream itself is reset by the owner.
   */
  discard(): void {
    if (this.#discarding) return;
    this.#discarding = true;
    this.#drop();
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      this.#waiter = undefined;
      waiter.resolve(DONE);
    }
    this.#settle();
    this.#unpause();
  }

  #drop(): void {
    this.#chunks = [];
    this.#head = 0;
    this.#queued = 0;
  }

  #settle(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#owner.bodySettled();
  }

  #unpause(): void {
    if (!this.#paused) return;
    this.#paused = false;
    // May deliver buffered data synchronously, which can push, end or fail this body right here.
    this.#resume();
  }

  next(): Promise<IteratorResult<Uint8Array>> {
    if (this.#head < this.#chunks.length) {
      const chunk = this.#chunks[this.#head]!;
      this.#head++;
      this.#queued -= chunk.length;
      if (this.#head === this.#chunks.length) {
        this.#chunks.length = 0;
        this.#head = 0;
      }
      if (this.#paused && this.#queued <= LOW_WATER_MARK) this.#unpause();
      return Promise.resolve({ value: chunk, done: false });
    }
    if (this.#failed) {
      this.#settle();
      return Promise.reject(this.#error);
    }
    if (this.#ended || this.#discarding) {
      this.#settle();
      return Promise.resolve(DONE);
    }
    if (this.#paused) {
      this.#unpause();
      if (this.#head < this.#chunks.length || this.closed) return this.next();
    }
    if (this.#waiter !== undefined) {
      return Promise.reject(new TypeError("The response body is already being read by another next() call"));
    }
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<Uint8Array>> {
    if (!this.#settled) this.#owner.cancelBody();
    return Promise.resolve(DONE);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
