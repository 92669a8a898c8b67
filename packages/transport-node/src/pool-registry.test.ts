import { describe, expect, it } from "vitest";
import { PoolRegistry, type RegisteredPool } from "./pool-registry.js";

class FakePool implements RegisteredPool {
  open = true;
  closed = 0;
  destroyed: (Error | undefined)[] = [];
  #finish: (() => void) | undefined;
  readonly #closing: Promise<void>;

  constructor(readonly name: string) {
    this.#closing = new Promise((resolve) => {
      this.#finish = resolve;
    });
  }

  close(): Promise<void> {
    this.open = false;
    this.closed++;
    return this.#closing;
  }

  /** The exchanges still on the pool are over: its close settles. */
  finish(): void {
    this.#finish?.();
  }

  destroy(reason: Error | undefined): Promise<void> {
    this.open = false;
    this.destroyed.push(reason);
    this.finish();
    return Promise.resolve();
  }
}

function lookup(registry: PoolRegistry<FakePool>, key: string): FakePool {
  return registry.get(key) ?? registry.add(key, new FakePool(key));
}

describe("PoolRegistry", () => {
  it("hands out the open pool of a key, and a new one for a new key", () => {
    const registry = new PoolRegistry<FakePool>(10);
    const a = lookup(registry, "a");
    expect(lookup(registry, "a")).toBe(a);
    expect(lookup(registry, "b")).not.toBe(a);
  });

  it("retires the least recently used pool past the limit, gracefully", () => {
    const registry = new PoolRegistry<FakePool>(2);
    const a = lookup(registry, "a");
    const b = lookup(registry, "b");
    lookup(registry, "a"); // a is now the most recent: b goes first
    const c = lookup(registry, "c");
    expect(b.closed).toBe(1);
    expect(a.closed).toBe(0);
    expect(c.closed).toBe(0);
    expect(lookup(registry, "a")).toBe(a);
    expect(lookup(registry, "b")).not.toBe(b);
    expect(a.closed).toBe(0);
  });

  it("replaces a pool that is no longer open, and retires the old one", () => {
    const registry = new PoolRegistry<FakePool>(10);
    const a = lookup(registry, "a");
    a.open = false;
    const again = lookup(registry, "a");
    expect(again).not.toBe(a);
    expect(a.closed).toBe(1);
  });

  it("adds nothing when making the pool fails", () => {
    const registry = new PoolRegistry<FakePool>(1);
    const a = lookup(registry, "a");
    const failing = (): FakePool => {
      throw new Error("bad CA");
    };
    expect(() => registry.get("b") ?? registry.add("b", failing())).toThrow("bad CA");
    expect(lookup(registry, "a")).toBe(a);
    expect(a.closed).toBe(0);
  });

  it("destroys a retiring pool too, with the reason", async () => {
    const registry = new PoolRegistry<FakePool>(1);
    const a = lookup(registry, "a");
    const b = lookup(registry, "b"); // a retires, still busy
    await registry.destroy(new Error("stop"));
    expect(a.destroyed.map((e) => e?.message)).toEqual(["stop"]);
    expect(b.destroyed.map((e) => e?.message)).toEqual(["stop"]);
  });

  it("closes a retiring pool again on close while it is busy", async () => {
    const registry = new PoolRegistry<FakePool>(1);
    const a = lookup(registry, "a");
    const b = lookup(registry, "b"); // a retires, still busy
    const closing = registry.close();
    expect(a.closed).toBe(2);
    expect(b.closed).toBe(1);
    a.finish();
    b.finish();
    await closing;
  });

  it("forgets a retired pool once it has finished", async () => {
    const registry = new PoolRegistry<FakePool>(1);
    const a = lookup(registry, "a");
    const b = lookup(registry, "b");
    a.finish();
    await new Promise((resolve) => setImmediate(resolve));
    b.finish();
    await registry.close();
    await registry.destroy(undefined);
    expect(a.closed).toBe(1);
    expect(a.destroyed).toEqual([]);
    expect(b.destroyed).toEqual([undefined]);
  });
});
