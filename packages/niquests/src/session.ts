import { Session as BaseSession, type SessionOptions } from "@nq/session";
import { defaultTransports } from "./default-transports.js";

/** A Requests session with nq's default transports; pass `transports` to use others. */
export class Session extends BaseSession {
  constructor(options: SessionOptions = {}) {
    super({ ...options, transports: options.transports ?? defaultTransports });
  }
}

/** The same class under niquests' async name, so ported code only renames. */
export const AsyncSession = Session;
/** The same class under niquests' async name. */
export type AsyncSession = Session;
