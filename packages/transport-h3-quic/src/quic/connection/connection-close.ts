/**
 * CONNECTION_CLOSE in both directions (RFC 9000 §10.2, §19.19): the frames to send for a local
 * close at each encryption level, and what a received one means.
 *
 * @packageDocumentation
 */

import { QuicError, TransportErrorCode } from "../errors.js";
import type { ConnectionCloseFrame } from "../frames/frame.js";
import type { QuicCloseInfo } from "./connection-events.js";

// A reason phrase is for debugging; a long one only makes the closing packet larger.
const MAX_REASON_BYTES = 256;

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: false });

function reasonBytes(reason: string): Uint8Array {
  const bytes = encoder.encode(reason);
  if (bytes.length <= MAX_REASON_BYTES) return bytes;
  // Cut on a character boundary: continuation bytes start with 0b10.
  let end = MAX_REASON_BYTES;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end);
}

/**
 * The CONNECTION_CLOSE frames of a local close: one for 1-RTT packets and one for Initial and
 * Handshake packets, where an application close becomes APPLICATION_ERROR with no reason
 * (§10.2.3): those packets are not confidential enough for application state.
 *
 * @internal
 */
export interface CloseFrames {
  readonly oneRtt: ConnectionCloseFrame;
  readonly handshake: ConnectionCloseFrame;
}

/**
 * The frames that close with `code` and `reason`, as an application (0x1d) or transport (0x1c) close.
 *
 * @internal
 */
export function closeFrames(
  code: bigint,
  reason: string,
  application: boolean,
  frameType: number | undefined,
): CloseFrames {
  const bytes = reasonBytes(reason);
  if (!application) {
    const frame: ConnectionCloseFrame = {
      type: "connectionClose",
      application: false,
      errorCode: code,
      frameType: BigInt(frameType ?? 0),
      reason: bytes,
    };
    return { oneRtt: frame, handshake: frame };
  }
  return {
    oneRtt: { type: "connectionClose", application: true, errorCode: code, reason: bytes },
    handshake: {
      type: "connectionClose",
      application: false,
      errorCode: BigInt(TransportErrorCode.APPLICATION_ERROR),
      frameType: 0n,
      reason: new Uint8Array(0),
    },
  };
}

/**
 * What the peer's CONNECTION_CLOSE tells the application: no error for NO_ERROR and for
 * application closes, whose code is the application's to read, else a QuicError with the
 * peer's code.
 *
 * @internal
 */
export function peerCloseInfo(frame: ConnectionCloseFrame): QuicCloseInfo {
  const reason = decoder.decode(frame.reason);
  if (frame.application) return { error: undefined, remote: true, applicationCode: frame.errorCode, reason };
  if (frame.errorCode === 0n) return { error: undefined, remote: true, reason };
  const code =
    frame.errorCode > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(frame.errorCode);
  const frameType =
    frame.frameType === undefined || frame.frameType === 0n ? undefined : Number(frame.frameType);
  const error = new QuicError(code, `the peer closed the connection${reason === "" ? "" : `: ${reason}`}`, {
    frameType,
  });
  return { error, remote: true, reason };
}

/**
 * The error to close with for anything thrown while processing the peer's bytes: the QuicError
 * itself, or INTERNAL_ERROR for anything else, which would be a bug on this side.
 *
 * @internal
 */
export function asQuicError(error: unknown): QuicError {
  if (error instanceof QuicError) return error;
  return new QuicError(TransportErrorCode.INTERNAL_ERROR, "internal error while processing a packet", {
    cause: error,
  });
}
