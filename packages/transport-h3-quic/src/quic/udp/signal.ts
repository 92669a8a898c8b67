/**
 * A level-triggered wake-up for code that waits on the connection: whoever waits re-checks its
 * condition after each `notify`, so a notification that finds no waiter is not lost, it simply
 * has nothing to wake.
 *
 * @packageDocumentation
 */

/**
 * Wakes every current waiter at once.
 *
 * @internal
 */
export class Signal {
  #waiters: (() => void)[] = [];

  /** Resolves at the next `notify`. */
  wait(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Wakes everyone waiting now. */
  notify(): void {
    const waiters = this.#waiters;
    if (waiters.length === 0) return;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}
