import { describe, expect, it } from "vitest";
import { QuicError, TransportErrorCode } from "../errors.js";
import type { NewConnectionIdFrame } from "../frames/frame.js";
import { thrownQuicError } from "../test-support/thrown.js";
import { PeerConnectionIds } from "./peer-connection-ids.js";

function frame(sequenceNumber: number, retirePriorTo = 0, fill = sequenceNumber): NewConnectionIdFrame {
  return {
    type: "newConnectionId",
    sequenceNumber,
    retirePriorTo,
    connectionId: new Uint8Array(8).fill(fill),
    statelessResetToken: new Uint8Array(16).fill(0xa0 + fill),
  };
}

const initial = new Uint8Array(8).fill(0xff);

describe("PeerConnectionIds", () => {
  it("keeps issued IDs up to the limit and ignores retransmissions", () => {
    const ids = new PeerConnectionIds(initial, 3);
    ids.onNewConnectionId(frame(1));
    ids.onNewConnectionId(frame(2));
    ids.onNewConnectionId(frame(2));
    expect(ids.activeCount).toBe(3);
    expect(ids.current).toEqual(initial);
    const error = thrownQuicError(() => ids.onNewConnectionId(frame(3)));
    expect(error.code).toBe(TransportErrorCode.CONNECTION_ID_LIMIT_ERROR);
  });

  it("retires below Retire Prior To, moves off a retired ID, and owes RETIRE_CONNECTION_ID for each", () => {
    const ids = new PeerConnectionIds(initial, 2);
    ids.onNewConnectionId(frame(1));
    ids.onNewConnectionId(frame(2, 2));
    expect(ids.takeRetirements().sort()).toEqual([0, 1]);
    expect(ids.current).toEqual(new Uint8Array(8).fill(2));
    expect(ids.activeCount).toBe(1);
    // An ID below what was already retired is retired on arrival.
    ids.onNewConnectionId(frame(1));
    expect(ids.takeRetirements()).toEqual([1]);
    expect(ids.activeCount).toBe(1);
  });

  it("refuses a sequence number reused for another ID, and one ID under two numbers", () => {
    const ids = new PeerConnectionIds(initial, 4);
    ids.onNewConnectionId(frame(1));
    expect(thrownQuicError(() => ids.onNewConnectionId(frame(1, 0, 9))).code).toBe(
      TransportErrorCode.PROTOCOL_VIOLATION,
    );
    expect(thrownQuicError(() => ids.onNewConnectionId(frame(2, 0, 1))).code).toBe(
      TransportErrorCode.PROTOCOL_VIOLATION,
    );
  });

  it("refuses NEW_CONNECTION_ID when the peer uses a zero-length connection ID", () => {
    const ids = new PeerConnectionIds(new Uint8Array(0), 4);
    expect(thrownQuicError(() => ids.onNewConnectionId(frame(1))).code).toBe(
      TransportErrorCode.PROTOCOL_VIOLATION,
    );
  });

  it("recognises stateless resets by the tail of short-header datagrams only", () => {
    const ids = new PeerConnectionIds(initial, 4);
    const token = new Uint8Array(16).fill(0x55);
    ids.setInitialResetToken(token);
    ids.onNewConnectionId(frame(1));
    const reset = (first: number, length: number, tail: Uint8Array): Uint8Array => {
      const datagram = new Uint8Array(length);
      datagram[0] = first;
      datagram.set(tail, length - 16);
      return datagram;
    };
    expect(ids.isStatelessReset(reset(0x40, 40, token))).toBe(true);
    expect(ids.isStatelessReset(reset(0x40, 40, frame(1).statelessResetToken))).toBe(true);
    expect(ids.isStatelessReset(reset(0xc0, 40, token))).toBe(false);
    expect(ids.isStatelessReset(reset(0x40, 20, token))).toBe(false);
    expect(ids.isStatelessReset(reset(0x40, 40, new Uint8Array(16)))).toBe(false);
  });

  it("forgets the token of a retired ID", () => {
    const ids = new PeerConnectionIds(initial, 4);
    ids.onNewConnectionId(frame(1));
    ids.onNewConnectionId(frame(2, 2));
    const tail = new Uint8Array(40);
    tail[0] = 0x40;
    tail.set(frame(1).statelessResetToken, 24);
    expect(ids.isStatelessReset(tail)).toBe(false);
  });

  it("bounds how many retirements can be owed at once", () => {
    const ids = new PeerConnectionIds(initial, 4);
    let error: unknown;
    try {
      for (let n = 1; n < 200; n++) ids.onNewConnectionId(frame(n, n, n % 250));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(QuicError);
    expect((error as QuicError).code).toBe(TransportErrorCode.CONNECTION_ID_LIMIT_ERROR);
  });
});
