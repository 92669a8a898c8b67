import { describe, expect, it } from "vitest";
import { InvalidHeader } from "./errors.js";
import { Headers } from "./headers.js";

describe("Headers", () => {
  it("looks fields up case-insensitively and keeps the original case for sending", () => {
    const h = new Headers({ "Content-Type": "text/plain", "X-Token": "a" });
    expect(h.get("content-type")).toBe("text/plain");
    expect(h.has("X-TOKEN")).toBe(true);
    expect(h.raw()).toEqual([
      ["Content-Type", "text/plain"],
      ["X-Token", "a"],
    ]);
  });

  it("keeps repeated fields apart on the wire and joins them for get", () => {
    const h = new Headers([
      ["Set-Cookie", "a=1"],
      ["Accept", "text/html"],
      ["set-cookie", "b=2"],
    ]);
    expect(h.get("Set-Cookie")).toBe("a=1, b=2");
    expect(h.getSetCookie()).toEqual(["a=1", "b=2"]);
    expect(h.size).toBe(2);
    expect([...h.keys()]).toEqual(["Set-Cookie", "Accept"]);
    expect(h.flat()).toEqual(["Set-Cookie", "a=1", "Accept", "text/html", "set-cookie", "b=2"]);
  });

  it("set replaces every field of the name in place and takes the new case, as Requests' dict does", () => {
    const h = new Headers([
      ["accept", "a"],
      ["X-A", "1"],
      ["ACCEPT", "b"],
    ]);
    h.set("Accept", "c");
    expect(h.raw()).toEqual([
      ["Accept", "c"],
      ["X-A", "1"],
    ]);
  });

  it("builds from plain objects (arrays repeat, null skipped), pairs, WHATWG Headers and Headers", () => {
    expect(new Headers({ A: ["1", "2"], B: null, C: 3 }).raw()).toEqual([
      ["A", "1"],
      ["A", "2"],
      ["C", "3"],
    ]);
    const web = new globalThis.Headers({ "x-web": "1" });
    expect(new Headers(web).get("X-Web")).toBe("1");
    const original = new Headers({ A: "1" });
    const copy = new Headers(original);
    copy.set("A", "2");
    expect(original.get("a")).toBe("1");
  });

  it("refuses CR, LF, NUL and leading whitespace in values, and non-token names, with InvalidHeader", () => {
    const h = new Headers();
    expect(() => h.set("X", "a\r\nInjected: 1")).toThrow(InvalidHeader);
    expect(() => h.set("X", "a\nb")).toThrow(InvalidHeader);
    expect(() => h.set("X", "a\0b")).toThrow(InvalidHeader);
    expect(() => h.set("X", " leading")).toThrow(InvalidHeader);
    expect(() => h.set("Bad Name", "v")).toThrow(InvalidHeader);
    expect(() => h.set("X", {} as unknown as string)).toThrow(InvalidHeader);
    expect(() => new Headers({ "X\r\n": "v" })).toThrow(InvalidHeader);
    h.set("Empty", "");
    expect(h.get("empty")).toBe("");
  });

  it("deletes, compares and serialises", () => {
    const h = new Headers({ A: "1", B: "2" });
    expect(h.delete("a")).toBe(true);
    expect(h.delete("a")).toBe(false);
    expect(h.equals({ b: "2" })).toBe(true);
    expect(h.equals({ b: "3" })).toBe(false);
    expect(JSON.parse(JSON.stringify(h))).toEqual({ B: "2" });
    expect(h.setDefault("B", "9").get("b")).toBe("2");
    expect(h.setDefault("C", "9").get("c")).toBe("9");
  });

  it("fromRaw takes wire fields without validating them, for transports", () => {
    const h = Headers.fromRaw(["X-Odd", " spaced ", "x-odd", "2"]);
    expect(h.getAll("x-odd")).toEqual([" spaced ", "2"]);
    expect(Headers.isHeaders(h)).toBe(true);
    expect(Headers.isHeaders(new globalThis.Headers())).toBe(false);
  });
});
