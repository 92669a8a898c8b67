import { describe, expect, it } from "vitest";
import { type BodyOwner, ResponseBody } from "./response-body.js";

function owner(): BodyOwner & { settled: number; cancelled: number } {
  return {
    settled: 0,
    cancelled: 0,
    bodySettled() {
      this.settled++;
    },
    cancelBody() {
      this.cancelled++;
    },
  };
}

const bytes = (n: number) => new Uint8Array(n);

describe("ResponseBody", () => {
  it("hands queued chunks out in order, then the end", async () => {
    const o = owner();
    const body = new ResponseBody(o, () => {});
    body.push(new Uint8Array([1]));
    body.push(new Uint8Array([2]));
    body.end();
    expect((await body.next()).value).toEqual(new Uint8Array([1]));
    expect((await body.next()).value).toEqual(new Uint8Array([2]));
    expect((await body.next()).done).toBe(true);
    expect(o.settled).toBe(1);
  });

  it("delivers straight to a waiting consumer", async () => {
    const body = new ResponseBody(owner(), () => {});
    const pending = body.next();
    body.push(new Uint8Array([9]));
    expect((await pending).value).toEqual(new Uint8Array([9]));
  });

  it("asks to pause past the high-water mark and resumes once drained below the low mark", async () => {
    let resumed = 0;
    const body = new ResponseBody(owner(), () => resumed++);
    expect(body.push(bytes(32 * 1024))).toBe(true);
    expect(body.push(bytes(32 * 1024))).toBe(false);
    await body.next();
    expect(resumed).toBe(0);
    await body.next();
    expect(resumed).toBe(1);
  });

  it("fails the waiting consumer and drops queued data", async () => {
    const body = new ResponseBody(owner(), () => {});
    body.push(bytes(10));
    const reason = new Error("x");
    body.fail(reason);
    await expect(body.next()).rejects.toBe(reason);
    await expect(body.next()).rejects.toBe(reason);
  });

  it("discard ends the consumer and swallows later chunks", async () => {
    const body = new ResponseBody(owner(), () => {});
    const pending = body.next();
    body.discard();
    expect((await pending).done).toBe(true);
    expect(body.push(bytes(100))).toBe(true);
    expect((await body.next()).done).toBe(true);
    expect(body.received).toBe(100);
  });

  it("return() before the end asks the owner to cancel", async () => {
    const o = owner();
    const body = new ResponseBody(o, () => {});
    await body.return();
    expect(o.cancelled).toBe(1);
  });
});
