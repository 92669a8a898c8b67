/**
 * Checks of the options every Node transport takes, so a bad value fails the constructor with
 * the same `RangeError` whichever transport it was given to.
 */
import { isIP } from "node:net";
import { DEFAULT_MAX_DECOMPRESSION_RATIO } from "./content-decoding.js";

/** `value`, or `fallback` when it is `undefined`; a `RangeError` unless a positive integer. */
export function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`${name} must be a positive integer, not ${value}`);
  return value;
}

/** `localAddress`, which must be an IP address (niquests' `source_address`) when given. */
export function checkLocalAddress(value: string | undefined): string | undefined {
  if (value !== undefined && isIP(value) === 0) {
    throw new RangeError(`localAddress must be an IP address, not ${JSON.stringify(value)}`);
  }
  return value;
}

/** `family`: 4, 6, or `undefined` for both. */
export function checkFamily(value: 4 | 6 | undefined): 4 | 6 | undefined {
  if (value !== undefined && value !== 4 && value !== 6) {
    throw new RangeError(`family must be 4, 6 or undefined, not ${String(value)}`);
  }
  return value;
}

/** `maxDecompressionRatio`, {@link DEFAULT_MAX_DECOMPRESSION_RATIO} by default; must be positive. */
export function checkDecompressionRatio(value: number | undefined): number {
  const ratio = value ?? DEFAULT_MAX_DECOMPRESSION_RATIO;
  if (!(ratio > 0)) throw new RangeError(`maxDecompressionRatio must be positive, not ${ratio}`);
  return ratio;
}
