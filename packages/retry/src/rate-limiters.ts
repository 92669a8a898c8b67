import type { Hook, Hooks, PreparedRequest } from "@nq/models";

function checkRate(name: string, value: unknown): number {
  if (typeof value !== "number") throw new TypeError(`${name} must be a number, not ${typeof value}`);
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new RangeError(`${name} must be a positive finite number, not ${value}`);
  }
  return value;
}

// Timers take whole milliseconds (browsers truncate, Node too): round up, less a hair of float
// error, so a request never leaves before its slot.
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.ceil(ms - 1e-6)));
}

/** Options of {@link LeakyBucketLimiter}. */
export interface LeakyBucketLimiterOptions {
  /** Requests per second at most (default 10, niquests'). */
  readonly rate?: number | undefined;
}

/**
 * niquests' `LeakyBucketLimiter`: requests leave one at a time, at least `1000 / rate`
 * milliseconds apart, in the order they arrived. A hook: pass it as `Session({ hooks: limiter })`
 * or use its `preRequest` among other hooks. Proactive only; pair it with retries on 429.
 */
export class LeakyBucketLimiter implements Hooks {
  /** Requests per second. */
  readonly rate: number;
  /** Milliseconds between two requests. */
  readonly interval: number;
  #last: number | null = null;
  // Each caller waits for the previous one's turn, so concurrent requests leave in arrival order.
  #queue: Promise<void> = Promise.resolve();

  /** The hook: resolves when the request may go. Bound, so it can be passed around alone. */
  readonly preRequest: Hook<PreparedRequest> = () => this.acquire();

  constructor(options: LeakyBucketLimiterOptions = {}) {
    this.rate = checkRate("rate", options.rate ?? 10);
    this.interval = 1000 / this.rate;
  }

  /** Resolves when the next request may leave; what `preRequest` awaits. */
  acquire(): Promise<void> {
    const turn = this.#queue.then(() => this.#take());
    this.#queue = turn;
    return turn;
  }

  async #take(): Promise<void> {
    if (this.#last !== null) {
      const wait = this.#last + this.interval - performance.now();
      if (wait > 0) await sleep(wait);
    }
    this.#last = performance.now();
  }
}

/** Options of {@link TokenBucketLimiter}. */
export interface TokenBucketLimiterOptions {
  /** Tokens added per second (default 10, niquests'). */
  readonly rate?: number | undefined;
  /** Most tokens the bucket holds, so the largest burst (default: `rate`, one second's worth). */
  readonly capacity?: number | undefined;
}

/**
 * niquests' `TokenBucketLimiter`: the bucket starts full at `capacity` tokens and refills at
 * `rate` per second; each request takes a token, waiting for one when the bucket is empty. A
 * burst of `capacity` requests passes at once, then one per `1000 / rate` milliseconds. A hook,
 * like {@link LeakyBucketLimiter}.
 */
export class TokenBucketLimiter implements Hooks {
  /** Tokens added per second. */
  readonly rate: number;
  /** Most tokens the bucket holds. */
  readonly capacity: number;
  #tokens: number;
  #updated: number;
  #queue: Promise<void> = Promise.resolve();

  /** The hook: resolves when the request has its token. Bound, so it can be passed around alone. */
  readonly preRequest: Hook<PreparedRequest> = () => this.acquire();

  constructor(options: TokenBucketLimiterOptions = {}) {
    this.rate = checkRate("rate", options.rate ?? 10);
    this.capacity = checkRate("capacity", options.capacity ?? this.rate);
    // niquests accepts a smaller bucket, which never holds a whole token and so never bursts.
    if (this.capacity < 1) throw new RangeError(`capacity must be at least 1 token, not ${this.capacity}`);
    this.#tokens = this.capacity;
    this.#updated = performance.now();
  }

  /** Resolves when the next request has its token; what `preRequest` awaits. */
  acquire(): Promise<void> {
    const turn = this.#queue.then(() => this.#take());
    this.#queue = turn;
    return turn;
  }

  async #take(): Promise<void> {
    const now = performance.now();
    this.#tokens = Math.min(this.capacity, this.#tokens + ((now - this.#updated) * this.rate) / 1000);
    this.#updated = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return;
    }
    await sleep(((1 - this.#tokens) * 1000) / this.rate);
    // The wait was exactly one token's worth, and this request spends it.
    this.#tokens = 0;
    this.#updated = performance.now();
  }
}
