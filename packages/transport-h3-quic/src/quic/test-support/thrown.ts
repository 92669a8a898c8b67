/**
 * What a call threw, for tests that check how input is refused: the code of a `QuicError`, or
 * the alert of a `TlsAlertError`.
 *
 * @packageDocumentation
 */

import { QuicError } from "../errors.js";
import { TlsAlertError } from "../tls/alert.js";

/** The `QuicError` `run` throws; fails the test if it throws anything else, or nothing. */
export function thrownQuicError(run: () => unknown): QuicError {
  try {
    run();
  } catch (error) {
    if (error instanceof QuicError) return error;
    throw error;
  }
  throw new Error("no QuicError was thrown");
}

/** The alert of the `TlsAlertError` `run` throws; fails the test if it throws anything else, or nothing. */
export function alertOf(run: () => unknown): number {
  try {
    run();
  } catch (error) {
    if (error instanceof TlsAlertError) return error.alert;
    throw error;
  }
  throw new Error("no alert was raised");
}
