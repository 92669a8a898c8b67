import type { PreparedRequest } from "@nq/models";
import {
  RequestException,
  type Response,
  RetryError,
  requestExceptionFrom,
  TransportError,
} from "@nq/models";
import type { RetryConfiguration } from "@nq/retry";

/** Waits `ms`, or rejects with the signal's reason when it aborts first. */
export function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (ms <= 0 && !signal?.aborted) return Promise.resolve();
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

// urllib3 tests the header's truthiness: an empty Retry-After counts as absent.
function hasRetryAfter(response: Response): boolean {
  return Boolean(response.headers.get("retry-after"));
}

/**
 * Runs one exchange under a retry budget, as urllib3 does under an adapter: a transport error
 * of a retryable kind, or a status the configuration names, spends budget and tries again after
 * the backoff (or Retry-After). A body that cannot be sent again ends the retrying. When the
 * budget runs out a status raises `RetryError` (unless `raiseOnStatus` is off, which returns the
 * last response) and an error raises its own niquests exception, as Requests does.
 */
export function withRetries(
  request: PreparedRequest,
  retry: RetryConfiguration,
  replayable: boolean,
  signal: AbortSignal | undefined,
  attempt: () => Promise<Response>,
): Promise<Response> {
  // With no budget and no forced status nothing can be retried: one attempt, errors mapped,
  // without the async loop's extra promise (the default configuration takes this path).
  if (retry.total === 0 && retry.statusForcelist.size === 0) {
    return attempt().catch((error: unknown) => {
      throw requestExceptionFrom(error, request);
    });
  }
  return retryLoop(request, retry, replayable, signal, attempt);
}

async function retryLoop(
  request: PreparedRequest,
  initial: RetryConfiguration,
  replayable: boolean,
  signal: AbortSignal | undefined,
  attempt: () => Promise<Response>,
): Promise<Response> {
  const method = request.method;
  let retry = initial;
  for (;;) {
    let response: Response;
    try {
      response = await attempt();
    } catch (error) {
      // A body error arrives already mapped (ChunkedEncodingError…); its cause says what failed.
      const failure = error instanceof RequestException ? error.cause : error;
      if (!(failure instanceof TransportError) || !replayable || !retry.shouldRetryError(method, failure)) {
        throw requestExceptionFrom(error, request);
      }
      const next = retry.increment({ method, url: request.url, error: failure });
      if (next.isExhausted()) throw requestExceptionFrom(error, request);
      retry = next;
      await delay(retry.backoff(), signal);
      continue;
    }
    if (!replayable || !retry.isRetry(method, response.statusCode, hasRetryAfter(response))) return response;
    const next = retry.increment({ method, url: request.url, statusCode: response.statusCode });
    if (next.isExhausted()) {
      if (!retry.raiseOnStatus) return response;
      await response.close();
      throw new RetryError(
        `Max retries exceeded with url: ${request.pathUrl} (Caused by ResponseError('too many ${response.statusCode} error responses'))`,
        { request, response },
      );
    }
    retry = next;
    const wait = retry.sleepFor(response);
    await response.close();
    await delay(wait, signal);
  }
}
