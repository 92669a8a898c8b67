/** What {@link PoolRegistry} needs of a pool: whether it still takes work, and how to end it. */
export interface RegisteredPool {
  /** False once the pool is closing or destroyed: it takes no new work. */
  readonly open: boolean;
  /** Graceful: finishes what runs on the pool, then closes it. */
  close(): Promise<void>;
  /** Abrupt: fails what runs on the pool and closes it now. */
  destroy(reason: Error | undefined): Promise<void>;
}

/**
 * A transport's pools by key (origin and TLS settings), least recently used first. Past `max`
 * pools the oldest is retired: closed gracefully, while close and destroy still reach it until
 * it has finished.
 */
export class PoolRegistry<P extends RegisteredPool> {
  readonly #pools = new Map<string, P>();
  // Evicted or replaced pools still finishing their exchanges; close and destroy reach them too.
  readonly #retiring = new Set<P>();
  readonly #max: number;
  #lastKey: string | undefined;

  /** `max`: how many pools are kept open (a transport's `poolConnections`). */
  constructor(max: number) {
    this.#max = max;
  }

  /**
   * The open pool of `key`, now the most recently used, or `undefined` when there is none. A
   * pool of `key` that is no longer open is retired here, so {@link PoolRegistry.add} can take
   * its place.
   */
  get(key: string): P | undefined {
    const pools = this.#pools;
    const pool = pools.get(key);
    if (pool === undefined) return undefined;
    if (pool.open) {
      if (this.#lastKey !== key) {
        // Map order is the LRU order: move the pool to the most recent end.
        pools.delete(key);
        pools.set(key, pool);
        this.#lastKey = key;
      }
      return pool;
    }
    pools.delete(key);
    this.#retire(pool);
    return undefined;
  }

  /**
   * Adds `pool` as the most recently used one for `key` (which {@link PoolRegistry.get} found
   * without an open pool). Past `max` pools the least recently used one is retired.
   */
  add(key: string, pool: P): P {
    const pools = this.#pools;
    pools.set(key, pool);
    this.#lastKey = key;
    if (pools.size > this.#max) {
      const [oldestKey, oldest] = pools.entries().next().value as [string, P];
      pools.delete(oldestKey);
      this.#retire(oldest);
    }
    return pool;
  }

  #retire(pool: P): void {
    this.#retiring.add(pool);
    void pool.close().finally(() => this.#retiring.delete(pool));
  }

  #all(): P[] {
    return [...this.#pools.values(), ...this.#retiring];
  }

  /** Closes every pool, retiring ones included, gracefully. */
  async close(): Promise<void> {
    await Promise.all(this.#all().map((pool) => pool.close()));
  }

  /** Destroys every pool, retiring ones included, with `reason`. */
  async destroy(reason: Error | undefined): Promise<void> {
    await Promise.all(this.#all().map((pool) => pool.destroy(reason)));
  }
}
