import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RangeSet } from "./range-set.js";

describe("RangeSet", () => {
  it("merges touching and overlapping ranges", () => {
    const set = new RangeSet();
    set.add(10, 20);
    set.add(30, 40);
    set.add(20, 25);
    expect([...set]).toEqual([
      { start: 10, end: 25 },
      { start: 30, end: 40 },
    ]);
    set.add(0, 35);
    expect([...set]).toEqual([{ start: 0, end: 40 }]);
  });

  it("splits a range when the middle is removed", () => {
    const set = new RangeSet();
    set.add(0, 100);
    set.remove(40, 60);
    expect([...set]).toEqual([
      { start: 0, end: 40 },
      { start: 60, end: 100 },
    ]);
    expect(set.gaps(30, 70)).toEqual([{ start: 40, end: 60 }]);
    expect(set.contiguousEnd(0)).toBe(40);
    expect(set.contiguousEnd(40)).toBe(40);
    expect(set.covers(60, 100)).toBe(true);
    expect(set.covers(30, 70)).toBe(false);
  });

  it("agrees with a plain boolean array under random adds and removes", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.nat({ max: 200 }), fc.nat({ max: 40 })), { maxLength: 60 }),
        (ops) => {
          const set = new RangeSet();
          const model = new Array<boolean>(260).fill(false);
          for (const [add, start, length] of ops) {
            if (add) set.add(start, start + length);
            else set.remove(start, start + length);
            model.fill(add, start, start + length);
          }
          for (let i = 0; i < model.length; i++) expect(set.has(i)).toBe(model[i]);
          const ranges = [...set];
          for (let i = 1; i < ranges.length; i++)
            expect(ranges[i]!.start).toBeGreaterThan(ranges[i - 1]!.end);
          const gaps = set.gaps(0, 260);
          const covered = 260 - gaps.reduce((n, g) => n + g.end - g.start, 0);
          expect(covered).toBe(model.filter(Boolean).length);
        },
      ),
      { numRuns: 200, seed: 0x7a9e },
    );
  });
});
