import { describe, expect, it } from "vitest";
import { DEFAULT_MAX_DECOMPRESSION_RATIO } from "./content-decoding.js";
import {
  checkDecompressionRatio,
  checkFamily,
  checkLocalAddress,
  positiveInteger,
} from "./transport-options.js";

describe("transport option checks", () => {
  it("positiveInteger takes the fallback for undefined and refuses anything but a positive integer", () => {
    expect(positiveInteger("poolMaxsize", undefined, 10)).toBe(10);
    expect(positiveInteger("poolMaxsize", 3, 10)).toBe(3);
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => positiveInteger("poolMaxsize", bad, 10)).toThrow(
        new RangeError(`poolMaxsize must be a positive integer, not ${bad}`),
      );
    }
  });

  it("localAddress must be an IP address", () => {
    expect(checkLocalAddress(undefined)).toBeUndefined();
    expect(checkLocalAddress("127.0.0.1")).toBe("127.0.0.1");
    expect(checkLocalAddress("::1")).toBe("::1");
    expect(() => checkLocalAddress("localhost")).toThrow(
      new RangeError('localAddress must be an IP address, not "localhost"'),
    );
  });

  it("family is 4, 6 or undefined", () => {
    expect(checkFamily(undefined)).toBeUndefined();
    expect(checkFamily(4)).toBe(4);
    expect(checkFamily(6)).toBe(6);
    expect(() => checkFamily(5 as 4)).toThrow(new RangeError("family must be 4, 6 or undefined, not 5"));
  });

  it("maxDecompressionRatio defaults to 100 and must be positive", () => {
    expect(checkDecompressionRatio(undefined)).toBe(DEFAULT_MAX_DECOMPRESSION_RATIO);
    expect(DEFAULT_MAX_DECOMPRESSION_RATIO).toBe(100);
    expect(checkDecompressionRatio(2.5)).toBe(2.5);
    for (const bad of [0, -1, Number.NaN]) {
      expect(() => checkDecompressionRatio(bad)).toThrow(RangeError);
    }
  });
});
