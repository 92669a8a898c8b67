import { describe, expect, it } from "vitest";
import { QPACK_STATIC_TABLE } from "./qpack-static.js";

describe("QPACK static table (RFC 9204 Appendix A)", () => {
  it("has the 99 entries, indexed from 0", () => {
    expect(QPACK_STATIC_TABLE).toHaveLength(99);
    expect(QPACK_STATIC_TABLE[0]).toEqual([":authority", ""]);
    expect(QPACK_STATIC_TABLE[1]).toEqual([":path", "/"]);
    expect(QPACK_STATIC_TABLE[17]).toEqual([":method", "GET"]);
    expect(QPACK_STATIC_TABLE[23]).toEqual([":scheme", "https"]);
    expect(QPACK_STATIC_TABLE[25]).toEqual([":status", "200"]);
    expect(QPACK_STATIC_TABLE[31]).toEqual(["accept-encoding", "gzip, deflate, br"]);
    expect(QPACK_STATIC_TABLE[71]).toEqual([":status", "500"]);
    expect(QPACK_STATIC_TABLE[95]).toEqual(["user-agent", ""]);
    expect(QPACK_STATIC_TABLE[98]).toEqual(["x-frame-options", "sameorigin"]);
  });

  it("holds lower-case names and no duplicate entries", () => {
    for (const [name] of QPACK_STATIC_TABLE) expect(name).toBe(name.toLowerCase());
    const keys = QPACK_STATIC_TABLE.map(([name, value]) => `${name}\0${value}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
