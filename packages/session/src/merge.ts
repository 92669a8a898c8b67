import { Headers, HOOK_EVENTS, type Hook, type HookList, type Hooks, type QueryParams } from "@nq/models";
import type { HeadersOption } from "./options.js";

type Pair = readonly [string, unknown];

function pairsOf(init: HeadersOption): Iterable<Pair> {
  if (Headers.isHeaders(init)) return init.raw();
  if (Symbol.iterator in init) return init as Iterable<Pair>;
  return Object.entries(init);
}

/**
 * Requests' `merge_setting` for headers: the session's fields in their order, the request's
 * replacing them case-insensitively or appended after; a request value of `null` removes the field.
 */
export function mergeHeaders(session: Headers, request: HeadersOption | null | undefined): Headers {
  const merged = session.copy();
  if (request == null) return merged;
  const replaced = new Set<string>();
  for (const [name, value] of pairsOf(request)) {
    const lower = name.toLowerCase();
    if (value === null || value === undefined) {
      merged.delete(name);
      continue;
    }
    const values = Array.isArray(value)
      ? (value as readonly (string | number)[])
      : [value as string | number];
    for (const v of values) {
      // The first occurrence replaces the session's field; repeats of the request's own field append.
      if (replaced.has(lower)) merged.append(name, v);
      else merged.set(name, v);
      replaced.add(lower);
    }
  }
  return merged;
}

function isParamsObject(value: QueryParams): value is { readonly [key: string]: unknown } & QueryParams {
  // Strings, bytes, URLSearchParams and pair lists are used whole: only plain objects merge.
  return (
    typeof value === "object" &&
    !(value instanceof Uint8Array) &&
    !(value instanceof URLSearchParams) &&
    !(Symbol.iterator in value)
  );
}

/**
 * Requests' `merge_setting` for params: two plain objects merge (the request's keys win, `null`
 * removes a session key); otherwise the request's value replaces the session's.
 */
export function mergeParams(
  session: QueryParams | null | undefined,
  request: QueryParams | null | undefined,
): QueryParams | null | undefined {
  if (session == null) return request;
  if (request == null) return session;
  if (!isParamsObject(session) || !isParamsObject(request)) return request;
  const merged: Record<string, unknown> = Object.assign({}, session);
  for (const [key, value] of Object.entries(request)) {
    if (value === null) delete merged[key];
    else if (value !== undefined) merged[key] = value;
  }
  return merged as QueryParams;
}

function listOf<T>(hooks: HookList<T> | undefined): readonly Hook<T>[] {
  if (hooks === undefined) return [];
  return typeof hooks === "function" ? [hooks] : hooks;
}

/** niquests' `merge_hooks`: for each event, the request's hooks replace the session's when it has any. */
export function mergeHooks(session: Hooks | null | undefined, request: Hooks | null | undefined): Hooks {
  if (!request) return session ?? {};
  if (!session) return request;
  const merged: Record<string, unknown> = {};
  for (const event of HOOK_EVENTS) {
    const own = listOf(request[event] as HookList<unknown> | undefined);
    merged[event] = own.length ? own : session[event];
  }
  return merged as Hooks;
}

/**
 * Runs the hooks of one event in order; a hook's return value replaces the object passed on.
 * Returns synchronously when every hook is synchronous, so a session without hooks costs nothing.
 */
export function dispatchHook<T>(hooks: HookList<T> | undefined, value: T): T | Promise<T> {
  const list = listOf(hooks);
  for (let i = 0; i < list.length; i++) {
    const result = list[i]!(value);
    if (result instanceof Promise) return continueAsync(list, i + 1, result, value);
    if (result !== undefined) value = result;
  }
  return value;
}

async function continueAsync<T>(
  list: readonly Hook<T>[],
  from: number,
  pending: Promise<T | undefined | void>,
  value: T,
): Promise<T> {
  const first = await pending;
  if (first !== undefined) value = first;
  for (let i = from; i < list.length; i++) {
    const result = await list[i]!(value);
    if (result !== undefined) value = result;
  }
  return value;
}
