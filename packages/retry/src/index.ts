/**
 * Retries, timeouts and rate limits for nq, with no Node module: urllib3's `Retry` as
 * {@link RetryConfiguration}, urllib3's `Timeout` as {@link TimeoutConfiguration}, and niquests'
 * `LeakyBucketLimiter` and `TokenBucketLimiter` hooks. Every duration is in milliseconds.
 *
 * @packageDocumentation
 */
export { combineHooks } from "./combine-hooks.js";
export {
  LeakyBucketLimiter,
  type LeakyBucketLimiterOptions,
  TokenBucketLimiter,
  type TokenBucketLimiterOptions,
} from "./rate-limiters.js";
export {
  type HeaderLookup,
  RetryConfiguration,
  type RetryConfigurationInit,
  type RetryEvent,
  type RetryFailure,
  type RetryHistoryEntry,
  type RetryInput,
} from "./retry-configuration.js";
export {
  TimeoutConfiguration,
  type TimeoutConfigurationInit,
  type TimeoutInput,
} from "./timeout-configuration.js";
