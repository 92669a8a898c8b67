/**
 * The errors an exchange fails with on its own account — its timers, and a transport destroyed
 * under it — worded the same by every Node transport.
 */
import { TransportError, type TransportErrorPhase } from "@nq/models";

/** The connect timer fired before the request had a connection (or a stream on one). */
export function connectTimeoutError(origin: string, limit: number | null): TransportError {
  return new TransportError(`Connection to ${origin} timed out. (connect timeout=${limit} ms)`, {
    kind: "timeout",
    phase: "connect",
    retryable: true,
  });
}

/** The read timer fired: the server was silent for longer than the read timeout. */
export function readTimeoutError(
  origin: string,
  phase: "head" | "body",
  limit: number | null,
  code?: string,
): TransportError {
  return new TransportError(
    `Read timed out waiting for the response ${phase} from ${origin}. (read timeout=${limit} ms)`,
    { kind: "timeout", phase, retryable: false, code },
  );
}

/** The total timer fired, in `phase`; only a request still connecting may be replayed. */
export function totalTimeoutError(
  origin: string,
  phase: TransportErrorPhase,
  limit: number | null,
): TransportError {
  return new TransportError(
    `Request to ${origin} exceeded the total timeout of ${limit} ms (in the ${phase} phase)`,
    { kind: "timeout", phase, retryable: phase === "connect" },
  );
}

/** What `destroy(reason)` fails in-flight exchanges with: the reason if it is a TransportError. */
export function destroyedError(reason: Error | undefined, phase: TransportErrorPhase): TransportError {
  if (reason instanceof TransportError) return reason;
  return new TransportError(
    reason === undefined ? "The transport was destroyed" : `The transport was destroyed: ${reason.message}`,
    { kind: "closed", phase, retryable: false, cause: reason },
  );
}
