import { HOOK_EVENTS, type HookList, type Hooks } from "@nq/models";

/**
 * Joins hook sets event by event, in argument order: niquests' `LifeCycleHook + LifeCycleHook`.
 * `combineHooks(limiter, { response: log })` gives a session both the rate limit and the logger.
 */
export function combineHooks(...sets: readonly Hooks[]): Hooks {
  const combined: Record<string, readonly unknown[]> = {};
  for (const event of HOOK_EVENTS) {
    const hooks = sets.flatMap((set) => {
      const list = set[event] as HookList<unknown> | undefined;
      return list === undefined ? [] : typeof list === "function" ? [list] : [...list];
    });
    if (hooks.length > 0) combined[event] = hooks;
  }
  return combined as Hooks;
}
