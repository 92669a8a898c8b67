import type { Headers } from "@nq/models";

/**
 * A response's trailers, promised before they arrive. They never reject (the body reports the
 * failure): a cancelled or failed body settles them as `undefined`, as does one without any.
 */
export class PendingTrailers {
  #done = false;
  #trailers: Headers | undefined;
  #promise: Promise<Headers | undefined> | undefined;
  #resolve: ((trailers: Headers | undefined) => void) | undefined;

  /** The trailers once settled; the same promise on every call. */
  promise(): Promise<Headers | undefined> {
    if (this.#promise !== undefined) return this.#promise;
    this.#promise = this.#done
      ? Promise.resolve(this.#trailers)
      : new Promise((resolve) => {
          this.#resolve = resolve;
        });
    return this.#promise;
  }

  /** Settles the trailers; later calls change nothing. */
  settle(trailers: Headers | undefined): void {
    if (this.#done) return;
    this.#done = true;
    this.#trailers = trailers;
    this.#resolve?.(trailers);
  }
}
