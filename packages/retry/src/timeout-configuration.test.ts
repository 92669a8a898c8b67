import { describe, expect, it } from "vitest";
import { TimeoutConfiguration } from "./timeout-configuration.js";

describe("TimeoutConfiguration.from", () => {
  it("treats niquests' falsy timeouts as 'use the default'", () => {
    expect(TimeoutConfiguration.from(undefined)).toBeNull();
    expect(TimeoutConfiguration.from(null)).toBeNull();
    expect(TimeoutConfiguration.from(0)).toBeNull();
  });

  it("applies one number to connect and read, not to the total", () => {
    expect(TimeoutConfiguration.from(5000)).toMatchObject({ connect: 5000, read: 5000, total: null });
  });

  it("reads (connect, read) and (connect, read, total) tuples, null meaning no limit", () => {
    expect(TimeoutConfiguration.from([3050, 27000])).toMatchObject({
      connect: 3050,
      read: 27000,
      total: null,
    });
    expect(TimeoutConfiguration.from([null, 100, 2000])).toMatchObject({
      connect: null,
      read: 100,
      total: 2000,
    });
  });

  it("rejects a 4-tuple and non-numbers as Requests does", () => {
    expect(() => TimeoutConfiguration.from([1, 2, 3, 4] as unknown as [number, number])).toThrow(
      /\(connect, read, total\)/,
    );
    expect(() => TimeoutConfiguration.from("5" as unknown as number)).toThrow(TypeError);
    expect(() => TimeoutConfiguration.from([1, "x"] as unknown as [number, number])).toThrow(TypeError);
  });

  it("rejects zero and negative phase values inside a configuration", () => {
    expect(() => new TimeoutConfiguration({ connect: 0 })).toThrow(RangeError);
    expect(() => new TimeoutConfiguration({ read: -1 })).toThrow(RangeError);
  });

  it("passes a configuration through and reads a plain object", () => {
    const t = new TimeoutConfiguration({ total: 10 });
    expect(TimeoutConfiguration.from(t)).toBe(t);
    expect(TimeoutConfiguration.from({ read: 7 })).toMatchObject({ connect: null, read: 7, total: null });
  });
});
