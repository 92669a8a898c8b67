import { describe, expect, it } from "vitest";
import { LiveSet, type LiveSetMember } from "./live-set.js";

const member = (name: string): LiveSetMember & { name: string } => ({ name, liveSlot: -1 });

describe("LiveSet", () => {
  it("adds, removes from any position, and keeps every other member", () => {
    const set = new LiveSet<ReturnType<typeof member>>();
    const [a, b, c, d] = ["a", "b", "c", "d"].map(member) as [
      ReturnType<typeof member>,
      ReturnType<typeof member>,
      ReturnType<typeof member>,
      ReturnType<typeof member>,
    ];
    for (const m of [a, b, c, d]) set.add(m);
    expect(set.size).toBe(4);
    expect(set.delete(b)).toBe(true);
    expect(set.delete(b)).toBe(false);
    expect(b.liveSlot).toBe(-1);
    expect(set.delete(d)).toBe(true);
    expect(
      set
        .snapshot()
        .map((m) => m.name)
        .sort(),
    ).toEqual(["a", "c"]);
    expect(set.delete(a)).toBe(true);
    expect(set.delete(c)).toBe(true);
    expect(set.size).toBe(0);
  });

  it("refuses a member of another set and ignores one it does not hold", () => {
    const one = new LiveSet<ReturnType<typeof member>>();
    const two = new LiveSet<ReturnType<typeof member>>();
    const a = member("a");
    const b = member("b");
    one.add(a);
    two.add(b);
    expect(() => two.add(a)).toThrow("already in a live set");
    // Same slot number (0) in the other set: not confused with its own member.
    expect(two.delete(a)).toBe(false);
    expect(two.size).toBe(1);
  });

  it("matches a Set under random churn", () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const set = new LiveSet<ReturnType<typeof member>>();
    const model = new Set<ReturnType<typeof member>>();
    const pool = Array.from({ length: 20 }, (_, i) => member(String(i)));
    for (let step = 0; step < 2_000; step++) {
      const m = pool[Math.floor(random() * pool.length)]!;
      if (model.has(m)) {
        expect(set.delete(m)).toBe(true);
        model.delete(m);
      } else {
        set.add(m);
        model.add(m);
      }
      expect(set.size).toBe(model.size);
    }
    expect(new Set(set.snapshot())).toEqual(model);
  });
});
