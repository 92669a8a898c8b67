import { Session as BaseSession, type SessionOptions } from "@nq/session";
import { defaultTransports } from "./default-transports.js";
import { nodeEnvironment } from "./node-environment.js";

/**
 * A Requests session with nq's default transports and the Node environment (`.netrc`, CA bundle
 * and proxy variables) wired in; pass `transports` or `environment` to use others.
 */
export class Session extends BaseSession {
  constructor(options: SessionOptions = {}) {
    super({
      ...options,
      transports: options.transports ?? defaultTransports,
      environment: options.environment ?? nodeEnvironment,
    });
  }
}

/** The same class under niquests' async name, so ported code only renames. */
export const AsyncSession = Session;
/** The same class under niquests' async name. */
export type AsyncSession = Session;
