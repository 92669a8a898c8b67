/**
 * The response body as the network delivers it (undici's `onData`, an HTTP/2 stream's `data`
 * events), handed to one consumer through a small bounded queue.
 *
 * Past the high-water mark `push` returns false and the owner pauses its source: undici stops
 * reading the socket; a paused node:http2 stream stops acknowledging its DATA (no
 * WINDOW_UPDATE), so flow control stops the server instead of our memory growing. The source is
 * resumed once the consumer has taken the queue below the low mark.
 *
 * The hot path is a small body that arrives in the same read as the head (undici calls
 * `onHeaders`, `onData` and `onComplete` back to back): by the time the consumer asks, every
 * chunk is queued and each `next()` is one already-resolved promise — no stream, no promise
 * chain, no timer.
 */

/** What the body tells the exchange that owns it. */
export interface BodyOwner {
  /** The consumer saw the end, an error, or cancelled: stop watching the abort signal. */
  bodySettled(): void;
  /** The consumer stopped early (`return()` on the iterator, a `break` out of `for await`). */
  cancelBody(): void;
}

// Past this many queued bytes the owner is told to pause its source (undici's socket, the HTTP/2
// stream); it resumes once the consumer has taken the queue below the low mark, so a fast
// consumer never sees the source stall.
const HIGH_WATER_MARK = 64 * 1024;
const LOW_WATER_MARK = 16 * 1024;

const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });

interface Waiter {
  resolve(result: IteratorResult<Uint8Array>): void;
  reject(error: unknown): void;
}

/** A bounded queue between the network's chunks and one async-iterating consumer. */
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

  /** `resume` restarts the source `push` asked to pause. */
  constructor(owner: BodyOwner, resume: () => void) {
    this.#owner = owner;
    this.#resume = resume;
  }

  /** True once the consumer can expect nothing more: ended, failed or cancelled. */
  get closed(): boolean {
    return this.#ended || this.#failed || this.#discarding;
  }

  /** Queues a chunk; false asks the owner to pause its source until the consumer catches up. */
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
   * Stops delivering: queued data is dropped, later chunks are discarded as they arrive (so an
   * HTTP/1.1 remainder can drain and the socket be reused; an HTTP/2 stream is reset by its
   * owner instead), and the consumer sees the end.
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
    // May run undici's parser (or deliver an HTTP/2 stream's buffered data) synchronously, which
    // can push, end or fail this body right here.
    this.#resume();
  }

  /** The next chunk: at once when one is queued, else when the network delivers it. */
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

  /** The consumer stops early: the owner cancels the rest of the body. */
  return(): Promise<IteratorResult<Uint8Array>> {
    if (!this.#settled) this.#owner.cancelBody();
    return Promise.resolve(DONE);
  }

  /** The queue is its own iterator: it can be iterated once. */
  [Symbol.asyncIterator](): this {
    return this;
  }
}
