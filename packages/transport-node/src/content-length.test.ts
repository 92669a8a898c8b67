import { describe, expect, it } from "vitest";
import { parseContentLength } from "./content-length.js";

describe("parseContentLength", () => {
  it("reads a plain run of digits", () => {
    expect(parseContentLength("0")).toBe(0);
    expect(parseContentLength("1048576")).toBe(1_048_576);
  });

  it("calls anything else unknown: absent, a list, a sign, white space, not a number", () => {
    for (const value of [null, "", "10, 10", "-1", "+5", " 5", "5 ", "1e3", "abc"]) {
      expect(parseContentLength(value), String(value)).toBeUndefined();
    }
  });
});
