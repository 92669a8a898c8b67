/**
 * The connection IDs the peer issued us (RFC 9000 §5.1): the one from its first Initial
 * (sequence 0) and those of NEW_CONNECTION_ID frames, with their stateless reset tokens.
 *
 * We use one at a time and switch only when the peer retires the one in use (Retire Prior To).
 * At most `active_connection_id_limit` are kept; a peer that sends more breaks §5.1.1. Every
 * retired sequence number owes the peer a RETIRE_CONNECTION_ID.
 *
 * @packageDocumentation
 */

import { timingSafeEqual } from "node:crypto";
import { QuicError, TransportErrorCode } from "../errors.js";
import { FrameType, type NewConnectionIdFrame } from "../frames/frame.js";

interface PeerConnectionId {
  readonly sequenceNumber: number;
  readonly connectionId: Uint8Array;
  resetToken: Uint8Array | undefined;
}

const RESET_TOKEN_LENGTH = 16;
// RFC 9000 §10.3: a short header byte, at least 4 bytes hiding the rest, and the token; anything
// shorter cannot be a stateless reset.
const MIN_STATELESS_RESET = 21;
// A peer retiring IDs faster than we send RETIRE_CONNECTION_ID would grow this queue forever.
const MAX_PENDING_RETIREMENTS = 64;

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The peer's connection IDs for one connection.
 *
 * @internal
 */
export class PeerConnectionIds {
  readonly #limit: number;
  readonly #active = new Map<number, PeerConnectionId>();
  #current: PeerConnectionId;
  #retirePriorTo = 0;
  #pendingRetirements: number[] = [];

  /** Starts with the connection ID in use, sequence 0; `limit` is our active_connection_id_limit. */
  constructor(initial: Uint8Array, limit: number) {
    this.#limit = limit;
    this.#current = { sequenceNumber: 0, connectionId: initial, resetToken: undefined };
    this.#active.set(0, this.#current);
  }

  /** The Destination Connection ID to send with. */
  get current(): Uint8Array {
    return this.#current.connectionId;
  }

  /** How many IDs are held, the one in use included. */
  get activeCount(): number {
    return this.#active.size;
  }

  /** Replaces sequence 0 before the handshake fixes it: after a Retry, then the server's Initial (§7.2). */
  replaceInitial(connectionId: Uint8Array): void {
    const entry: PeerConnectionId = { sequenceNumber: 0, connectionId, resetToken: undefined };
    this.#active.set(0, entry);
    this.#current = entry;
  }

  /** Sets the stateless reset token of sequence 0, from the server's transport parameters. */
  setInitialResetToken(token: Uint8Array): void {
    const entry = this.#active.get(0);
    if (entry !== undefined) entry.resetToken = token;
  }

  /** Applies a NEW_CONNECTION_ID frame (§19.15); violations throw the error the RFC names. */
  onNewConnectionId(frame: NewConnectionIdFrame): void {
    const fail = (code: number, message: string): never => {
      throw new QuicError(code, message, { frameType: FrameType.NEW_CONNECTION_ID });
    };
    if (this.#current.connectionId.length === 0)
      fail(TransportErrorCode.PROTOCOL_VIOLATION, "NEW_CONNECTION_ID for a zero-length connection ID");
    const known = this.#active.get(frame.sequenceNumber);
    if (known !== undefined) {
      // A retransmission is harmless; the same number for a different ID is not (§19.15).
      if (!equalBytes(known.connectionId, frame.connectionId))
        fail(TransportErrorCode.PROTOCOL_VIOLATION, `sequence ${frame.sequenceNumber} reused for another ID`);
    } else if (frame.sequenceNumber < this.#retirePriorTo) {
      // Already retired by an earlier Retire Prior To: retire it at once (§19.15).
      this.#queueRetirement(frame.sequenceNumber);
    } else {
      for (const entry of this.#active.values())
        if (equalBytes(entry.connectionId, frame.connectionId))
          fail(TransportErrorCode.PROTOCOL_VIOLATION, "one connection ID under two sequence numbers");
      this.#active.set(frame.sequenceNumber, {
        sequenceNumber: frame.sequenceNumber,
        connectionId: frame.connectionId.slice(),
        resetToken: frame.statelessResetToken.slice(),
      });
    }
    if (frame.retirePriorTo > this.#retirePriorTo) this.#retireBelow(frame.retirePriorTo);
    // §5.1.1: counted after retiring, since a frame may retire as many as it adds.
    if (this.#active.size > this.#limit)
      fail(
        TransportErrorCode.CONNECTION_ID_LIMIT_ERROR,
        `${this.#active.size} connection IDs active, above our limit of ${this.#limit}`,
      );
  }

  #retireBelow(retirePriorTo: number): void {
    this.#retirePriorTo = retirePriorTo;
    for (const [sequence] of this.#active) {
      if (sequence >= retirePriorTo) continue;
      this.#active.delete(sequence);
      this.#queueRetirement(sequence);
    }
    if (this.#active.has(this.#current.sequenceNumber)) return;
    const next = [...this.#active.values()].sort((a, b) => a.sequenceNumber - b.sequenceNumber)[0];
    // §5.1.2: the peer must leave one usable; if it did not, keep sending on the retired one
    // rather than with none, until the peer's next NEW_CONNECTION_ID.
    if (next !== undefined) this.#current = next;
  }

  #queueRetirement(sequence: number): void {
    if (this.#pendingRetirements.length >= MAX_PENDING_RETIREMENTS)
      throw new QuicError(
        TransportErrorCode.CONNECTION_ID_LIMIT_ERROR,
        "too many connection IDs retired at once",
        {
          frameType: FrameType.NEW_CONNECTION_ID,
        },
      );
    this.#pendingRetirements.push(sequence);
  }

  /** Sequence numbers owed a RETIRE_CONNECTION_ID since the last call. */
  takeRetirements(): number[] {
    const out = this.#pendingRetirements;
    this.#pendingRetirements = [];
    return out;
  }

  /**
   * Whether a datagram that could not be processed is a stateless reset (§10.3.1): its last 16
   * bytes equal the token of a connection ID the peer gave us, compared in constant time.
   */
  isStatelessReset(datagram: Uint8Array): boolean {
    if (datagram.length < MIN_STATELESS_RESET || (datagram[0]! & 0x80) !== 0) return false;
    const tail = datagram.subarray(datagram.length - RESET_TOKEN_LENGTH);
    let match = false;
    for (const entry of this.#active.values())
      if (entry.resetToken !== undefined && equalBytes(entry.resetToken, tail)) match = true;
    return match;
  }
}
