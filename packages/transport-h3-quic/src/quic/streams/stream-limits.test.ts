import { describe, expect, it } from "vitest";
import { type QuicError, TransportErrorCode } from "../errors.js";
import { FrameType } from "../frames/frame.js";
import { thrownQuicError } from "../test-support/thrown.js";
import { isBidirectionalStream, streamId, streamIndex, streamInitiator } from "./stream-id.js";
import { StreamLimits } from "./stream-limits.js";

describe("stream IDs (RFC 9000 §2.1)", () => {
  it.each([
    [0, "client", true, 0],
    [1, "server", true, 0],
    [2, "client", false, 0],
    [3, "server", false, 0],
    [4, "client", true, 1],
    [11, "server", false, 2],
  ] as const)("%i: %s-initiated, bidirectional %s, index %i", (id, initiator, bidirectional, index) => {
    expect(streamInitiator(id)).toBe(initiator);
    expect(isBidirectionalStream(id)).toBe(bidirectional);
    expect(streamIndex(id)).toBe(index);
    expect(streamId(initiator, bidirectional, index)).toBe(id);
  });

  it("works past 32 bits, where bitwise operators would not", () => {
    const id = 2 ** 40 * 4 + 3;
    expect(streamInitiator(id)).toBe("server");
    expect(isBidirectionalStream(id)).toBe(false);
    expect(streamIndex(id)).toBe(2 ** 40);
  });
});

describe("StreamLimits: opening local streams", () => {
  it("allocates client streams 0, 4, 8… and 2, 6, 10… up to the peer's limits", () => {
    const limits = new StreamLimits({
      role: "client",
      maxPeerBidiStreams: 0,
      maxPeerUniStreams: 0,
      maxLocalBidiStreams: 3,
      maxLocalUniStreams: 2,
    });
    expect([0, 1, 2].map(() => limits.openStream(true))).toEqual([0, 4, 8]);
    expect(limits.openStream(true)).toBeUndefined();
    expect(limits.canOpenStream(true)).toBe(false);
    expect([0, 1].map(() => limits.openStream(false))).toEqual([2, 6]);
    expect(limits.openStream(false)).toBeUndefined();
  });

  it("allocates server streams 1, 5, 9… and 3, 7, 11…", () => {
    const limits = new StreamLimits({
      role: "server",
      maxPeerBidiStreams: 0,
      maxPeerUniStreams: 0,
      maxLocalBidiStreams: 2,
      maxLocalUniStreams: 3,
    });
    expect([limits.openStream(true), limits.openStream(true)]).toEqual([1, 5]);
    expect([limits.openStream(false), limits.openStream(false), limits.openStream(false)]).toEqual([
      3, 7, 11,
    ]);
  });

  it("raises the limit on MAX_STREAMS, ignores a smaller one, and reports STREAMS_BLOCKED once per limit", () => {
    const limits = new StreamLimits({ role: "client", maxPeerBidiStreams: 0, maxPeerUniStreams: 0 });
    expect(limits.openStream(true)).toBeUndefined();
    expect(limits.takeStreamsBlocked(true)).toBe(0);
    expect(limits.takeStreamsBlocked(true)).toBeUndefined();
    expect(limits.onMaxStreams(true, 2)).toBe(true);
    expect(limits.takeStreamsBlocked(true)).toBeUndefined();
    expect(limits.onMaxStreams(true, 1)).toBe(false);
    expect(limits.localLimit(true)).toBe(2);
    expect(limits.openStream(true)).toBe(0);
    expect(limits.openStream(true)).toBe(4);
    expect(limits.takeStreamsBlocked(true)).toBe(2);
    expect(limits.takeStreamsBlocked(false)).toBe(0);
  });
});

describe("StreamLimits: frames on streams", () => {
  const client = () =>
    new StreamLimits({
      role: "client",
      maxPeerBidiStreams: 2,
      maxPeerUniStreams: 3,
      maxLocalBidiStreams: 10,
      maxLocalUniStreams: 10,
    });

  it("opens the peer's stream and every lower one of its type (RFC 9000 §3.2)", () => {
    const limits = client();
    expect(limits.onStreamFrame(7, FrameType.STREAM)).toEqual([3, 7]);
    expect(limits.onStreamFrame(3, FrameType.STREAM | 0x07)).toEqual([]);
    expect(limits.onStreamFrame(11, FrameType.RESET_STREAM)).toEqual([11]);
    expect(limits.onStreamFrame(1, FrameType.MAX_STREAM_DATA)).toEqual([1]);
    expect(limits.peerOpened(false)).toBe(3);
    expect(limits.peerOpened(true)).toBe(1);
  });

  it("STREAM_LIMIT_ERROR when the peer opens more streams than allowed", () => {
    const limits = client();
    expect(thrownQuicError(() => limits.onStreamFrame(15, FrameType.STREAM)).code).toBe(
      TransportErrorCode.STREAM_LIMIT_ERROR,
    );
    expect(thrownQuicError(() => limits.onStreamFrame(9, FrameType.STREAM)).code).toBe(
      TransportErrorCode.STREAM_LIMIT_ERROR,
    );
    expect(limits.onStreamFrame(5, FrameType.STREAM)).toEqual([1, 5]);
  });

  it("STREAM_STATE_ERROR for frames a unidirectional stream cannot carry", () => {
    const limits = client();
    limits.openStream(false); // stream 2, ours, send-only
    for (const type of [
      FrameType.STREAM,
      FrameType.STREAM | 0x01,
      FrameType.RESET_STREAM,
      FrameType.STREAM_DATA_BLOCKED,
    ])
      expect(thrownQuicError(() => limits.onStreamFrame(2, type)).code).toBe(
        TransportErrorCode.STREAM_STATE_ERROR,
      );
    expect(limits.onStreamFrame(2, FrameType.MAX_STREAM_DATA)).toEqual([]);
    expect(limits.onStreamFrame(2, FrameType.STOP_SENDING)).toEqual([]);
    // Stream 3 is the server's, receive-only for us.
    for (const type of [FrameType.MAX_STREAM_DATA, FrameType.STOP_SENDING])
      expect(thrownQuicError(() => limits.onStreamFrame(3, type)).code).toBe(
        TransportErrorCode.STREAM_STATE_ERROR,
      );
  });

  it("STREAM_STATE_ERROR for a locally initiated stream not yet opened", () => {
    const limits = client();
    expect(thrownQuicError(() => limits.onStreamFrame(0, FrameType.STREAM)).code).toBe(
      TransportErrorCode.STREAM_STATE_ERROR,
    );
    expect(thrownQuicError(() => limits.onStreamFrame(0, FrameType.MAX_STREAM_DATA)).code).toBe(
      TransportErrorCode.STREAM_STATE_ERROR,
    );
    limits.openStream(true);
    expect(limits.onStreamFrame(0, FrameType.STREAM)).toEqual([]);
    expect(thrownQuicError(() => limits.onStreamFrame(4, FrameType.STOP_SENDING)).code).toBe(
      TransportErrorCode.STREAM_STATE_ERROR,
    );
  });

  it("reports the frame type with the error", () => {
    const limits = client();
    try {
      limits.onStreamFrame(0, FrameType.STREAM_DATA_BLOCKED);
      expect.unreachable();
    } catch (error) {
      expect((error as QuicError).frameType).toBe(FrameType.STREAM_DATA_BLOCKED);
    }
  });

  it("rejects frame types that do not name a stream (a caller bug)", () => {
    expect(() => client().onStreamFrame(1, FrameType.MAX_DATA)).toThrow(RangeError);
  });
});

describe("StreamLimits: the limit granted to the peer", () => {
  it("grants new streams as the peer's close, once half the initial grant is free again", () => {
    const limits = new StreamLimits({ role: "server", maxPeerBidiStreams: 4, maxPeerUniStreams: 1 });
    expect(limits.onStreamFrame(12, FrameType.STREAM)).toEqual([0, 4, 8, 12]);
    expect(limits.takeMaxStreams(true)).toBeUndefined();
    limits.onPeerStreamClosed(true);
    expect(limits.takeMaxStreams(true)).toBeUndefined();
    limits.onPeerStreamClosed(true);
    expect(limits.takeMaxStreams(true)).toBe(6);
    expect(limits.takeMaxStreams(true)).toBeUndefined();
    expect(limits.peerLimit(true)).toBe(6);
    expect(limits.onStreamFrame(20, FrameType.STREAM)).toEqual([16, 20]);
    expect(thrownQuicError(() => limits.onStreamFrame(24, FrameType.STREAM)).code).toBe(
      TransportErrorCode.STREAM_LIMIT_ERROR,
    );

    limits.onStreamFrame(2, FrameType.STREAM);
    limits.onPeerStreamClosed(false);
    expect(limits.takeMaxStreams(false)).toBe(2);
  });

  it("refuses to close more peer streams than were opened (a caller bug)", () => {
    const limits = new StreamLimits({ role: "server", maxPeerBidiStreams: 4, maxPeerUniStreams: 1 });
    expect(() => limits.onPeerStreamClosed(true)).toThrow(RangeError);
  });
});
