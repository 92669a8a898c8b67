import type { TimeoutSettings } from "@nq/models";

/** Per-phase limits in milliseconds; an omitted phase has no limit. */
export interface TimeoutConfigurationInit {
  /** Time allowed to open the connection, TLS handshake included. */
  readonly connect?: number | null | undefined;
  /** Longest wait for the next byte of the response. */
  readonly read?: number | null | undefined;
  /** Time allowed for the whole exchange. */
  readonly total?: number | null | undefined;
}

/**
 * The `timeout` option as niquests takes it, in milliseconds: one number for both connect and
 * read, `[connect, read]`, `[connect, read, total]`, a {@link TimeoutConfiguration} or its init.
 * `null` inside a tuple or object means "no limit" for that phase.
 */
export type TimeoutInput =
  | number
  | readonly [connect: number | null, read: number | null]
  | readonly [connect: number | null, read: number | null, total: number | null]
  | TimeoutConfiguration
  | TimeoutConfigurationInit;

function checkPhase(phase: string, value: number | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== "number" || Number.isNaN(value)) {
    throw new TypeError(
      `Timeout value ${phase} was ${String(value)}, but it must be a number of milliseconds or null`,
    );
  }
  if (value <= 0) {
    throw new RangeError(
      `Attempted to set ${phase} timeout to ${value}, but the timeout must be greater than 0`,
    );
  }
  return value === Number.POSITIVE_INFINITY ? null : value;
}

/** Connect, read and total time limits for a request, in milliseconds (`null`: no limit). */
export class TimeoutConfiguration implements TimeoutSettings {
  /** Time allowed to open the connection, TLS handshake included; `null`: no limit. */
  readonly connect: number | null;
  /** Longest wait for the next byte of the response; `null`: no limit. */
  readonly read: number | null;
  /** Time allowed for the whole exchange; `null`: no limit. */
  readonly total: number | null;

  constructor(init: TimeoutConfigurationInit = {}) {
    this.connect = checkPhase("connect", init.connect);
    this.read = checkPhase("read", init.read);
    this.total = checkPhase("total", init.total);
  }

  /**
   * Reads a `timeout` option. Returns `null` for niquests' "falsy" values (`undefined`, `null`,
   * `0`), which mean "use the session's or the method's default".
   */
  static from(value: TimeoutInput | null | undefined): TimeoutConfiguration | null {
    if (value === undefined || value === null || value === 0) return null;
    if (value instanceof TimeoutConfiguration) return value;
    if (typeof value === "number") return new TimeoutConfiguration({ connect: value, read: value });
    if (Array.isArray(value)) {
      if (value.length !== 2 && value.length !== 3) {
        throw new TypeError(
          `Invalid timeout ${JSON.stringify(value)}. Pass a (connect, read) or (connect, read, total) tuple, or a single number for both connect and read`,
        );
      }
      const [connect, read, total] = value as readonly (number | null)[];
      return new TimeoutConfiguration({ connect, read, total });
    }
    if (typeof value === "object") return new TimeoutConfiguration(value as TimeoutConfigurationInit);
    throw new TypeError(`Timeout must be a number, a tuple or a TimeoutConfiguration, not ${typeof value}`);
  }

  /** The three limits, as urllib3's `Timeout` repr shows them. */
  toString(): string {
    return `TimeoutConfiguration(connect=${this.connect}, read=${this.read}, total=${this.total})`;
  }
}
