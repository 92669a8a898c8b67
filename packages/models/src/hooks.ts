import type { PreparedRequest } from "./request.js";
import type { Response } from "./response.js";

/** A hook: sync or async; returning a value replaces the object passed on, returning nothing keeps it. */
export type Hook<T> = (value: T) => T | undefined | void | Promise<T | undefined | void>;

/** One hook or a list of them, run in order. */
export type HookList<T> = Hook<T> | readonly Hook<T>[];

/** The request-lifecycle events, as niquests names them in camelCase. */
export interface Hooks {
  /** Before the request is sent, once per call (not per redirect hop); may replace the request. */
  readonly preRequest?: HookList<PreparedRequest> | undefined;
  /** Right before a request goes to the transport, first hop only. */
  readonly preSend?: HookList<PreparedRequest> | undefined;
  /** As body bytes are sent; read `request.uploadProgress`. */
  readonly onUpload?: HookList<PreparedRequest> | undefined;
  /** For each 1xx informational response (100 Continue, 103 Early Hints…). */
  readonly earlyResponse?: HookList<Response> | undefined;
  /** For each response, redirect hops included; may replace the response. */
  readonly response?: HookList<Response> | undefined;
}

/** The event names of {@link Hooks}. */
export type HookEvent = keyof Hooks;

/** Every hook event, in lifecycle order. */
export const HOOK_EVENTS: readonly HookEvent[] = [
  "preRequest",
  "preSend",
  "onUpload",
  "earlyResponse",
  "response",
];

/** Upload progress, as the `onUpload` hook sees it on `request.uploadProgress`. */
export interface TransferProgress {
  /** Bytes handed to the connection so far. */
  readonly total: number;
  /** The body length, or `null` when it is streamed without one. */
  readonly contentLength: number | null;
  /** Percentage sent, or `null` when the length is unknown. */
  readonly percentage: number | null;
  readonly isCompleted: boolean;
}
