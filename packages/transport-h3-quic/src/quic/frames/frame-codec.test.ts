import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BufferWriter } from "../buffer.js";
import { QuicError, TransportErrorCode } from "../errors.js";
import { frame as anyFrame } from "../test-support/arbitraries.js";
import { fromHex, toHex } from "../test-support/hex.js";
import { A2, A3 } from "../test-support/rfc9001-vectors.js";
import { type Frame, FrameType, isAckEliciting, isFrameAllowed, type PacketType } from "./frame.js";
import { decodeFrames, encodeFrame, encodeFrames } from "./frame-codec.js";

function decodeError(hex: string, packetType: PacketType = "1rtt"): QuicError {
  try {
    decodeFrames(fromHex(hex), packetType);
  } catch (error) {
    if (error instanceof QuicError) return error;
    throw error;
  }
  throw new Error(`decoded without error: ${hex}`);
}

const token16 = "00112233445566778899aabbccddeeff";

describe("frame decoding, one example per type (RFC 9000 §19)", () => {
  it.each<[string, string, Frame]>([
    ["PADDING", "000000", { type: "padding", length: 3 }],
    ["PING", "01", { type: "ping" }],
    [
      "ACK",
      "02 0a 05 01 02 01 03",
      {
        type: "ack",
        ackDelay: 5,
        ranges: [
          { smallest: 8, largest: 10 },
          { smallest: 2, largest: 5 },
        ],
      },
    ],
    [
      "ACK_ECN",
      "03 0a 05 00 00 01 02 03",
      { type: "ack", ackDelay: 5, ranges: [{ smallest: 10, largest: 10 }], ecn: { ect0: 1, ect1: 2, ce: 3 } },
    ],
    [
      "RESET_STREAM",
      "04 04 4100 5000",
      { type: "resetStream", streamId: 4, errorCode: 0x100n, finalSize: 0x1000 },
    ],
    ["STOP_SENDING", "05 08 0c", { type: "stopSending", streamId: 8, errorCode: 12n }],
    ["CRYPTO", "06 00 03 aabbcc", { type: "crypto", offset: 0, data: fromHex("aabbcc") }],
    ["NEW_TOKEN", "07 02 abcd", { type: "newToken", token: fromHex("abcd") }],
    ["MAX_DATA", "10 4400", { type: "maxData", maximum: 1024 }],
    ["MAX_STREAM_DATA", "11 04 4400", { type: "maxStreamData", streamId: 4, maximum: 1024 }],
    ["MAX_STREAMS (bidi)", "12 10", { type: "maxStreams", bidirectional: true, maximum: 16 }],
    ["MAX_STREAMS (uni)", "13 10", { type: "maxStreams", bidirectional: false, maximum: 16 }],
    ["DATA_BLOCKED", "14 4400", { type: "dataBlocked", limit: 1024 }],
    ["STREAM_DATA_BLOCKED", "15 04 4400", { type: "streamDataBlocked", streamId: 4, limit: 1024 }],
    ["STREAMS_BLOCKED (bidi)", "16 10", { type: "streamsBlocked", bidirectional: true, limit: 16 }],
    ["STREAMS_BLOCKED (uni)", "17 10", { type: "streamsBlocked", bidirectional: false, limit: 16 }],
    [
      "NEW_CONNECTION_ID",
      `18 02 01 04 01020304 ${token16}`,
      {
        type: "newConnectionId",
        sequenceNumber: 2,
        retirePriorTo: 1,
        connectionId: fromHex("01020304"),
        statelessResetToken: fromHex(token16),
      },
    ],
    ["RETIRE_CONNECTION_ID", "19 01", { type: "retireConnectionId", sequenceNumber: 1 }],
    ["PATH_CHALLENGE", "1a 0102030405060708", { type: "pathChallenge", data: fromHex("0102030405060708") }],
    ["PATH_RESPONSE", "1b 0102030405060708", { type: "pathResponse", data: fromHex("0102030405060708") }],
    [
      "CONNECTION_CLOSE (transport)",
      "1c 07 06 03 626164",
      {
        type: "connectionClose",
        application: false,
        errorCode: 7n,
        frameType: 6n,
        reason: new TextEncoder().encode("bad"),
      },
    ],
    [
      "CONNECTION_CLOSE (application)",
      "1d 4100 00",
      { type: "connectionClose", application: true, errorCode: 0x100n, reason: new Uint8Array(0) },
    ],
    ["HANDSHAKE_DONE", "1e", { type: "handshakeDone" }],
  ])("%s", (_, hex, expected) => {
    expect(decodeFrames(fromHex(hex), "1rtt")).toEqual([expected]);
    expect(toHex(encodeFrames([expected]))).toBe(toHex(fromHex(hex)));
  });
});

describe("STREAM frames, all eight type values (RFC 9000 §19.8)", () => {
  const data = fromHex("aabb");
  it.each<[number, string, { offset: number; fin: boolean; omitLength: boolean }]>([
    [0x08, "08 04 aabb", { offset: 0, fin: false, omitLength: true }],
    [0x09, "09 04 aabb", { offset: 0, fin: true, omitLength: true }],
    [0x0a, "0a 04 02 aabb", { offset: 0, fin: false, omitLength: false }],
    [0x0b, "0b 04 02 aabb", { offset: 0, fin: true, omitLength: false }],
    [0x0c, "0c 04 10 aabb", { offset: 16, fin: false, omitLength: true }],
    [0x0d, "0d 04 10 aabb", { offset: 16, fin: true, omitLength: true }],
    [0x0e, "0e 04 10 02 aabb", { offset: 16, fin: false, omitLength: false }],
    [0x0f, "0f 04 10 02 aabb", { offset: 16, fin: true, omitLength: false }],
  ])("type 0x%s", (type, hex, { offset, fin, omitLength }) => {
    const frame: Frame = { type: "stream", streamId: 4, offset, data, fin };
    expect(decodeFrames(fromHex(hex), "1rtt")).toEqual([frame]);
    const w = new BufferWriter();
    encodeFrame(w, frame, { omitStreamLength: omitLength });
    expect(toHex(w.toBytes())).toBe(toHex(fromHex(hex)));
    expect(w.toBytes()[0]).toBe(type);
  });

  it("lets a STREAM frame without Length run to the end of the packet", () => {
    expect(decodeFrames(fromHex("08 00 01020304"), "0rtt")).toEqual([
      { type: "stream", streamId: 0, offset: 0, data: fromHex("01020304"), fin: false },
    ]);
  });

  it("accepts an empty STREAM frame with only FIN", () => {
    expect(decodeFrames(fromHex("0d 04 4400"), "1rtt")).toEqual([
      { type: "stream", streamId: 4, offset: 1024, data: new Uint8Array(0), fin: true },
    ]);
  });
});

describe("the RFC 9001 Appendix A payloads", () => {
  it("decodes the A.2 client Initial payload: one CRYPTO frame, then PADDING to 1162 bytes", () => {
    const payload = new Uint8Array(A2.payloadLength);
    payload.set(fromHex(A2.cryptoFrame));
    const frames = decodeFrames(payload, "initial");
    expect(frames.map((f) => f.type)).toEqual(["crypto", "padding"]);
    const crypto = frames[0]!;
    if (crypto.type !== "crypto") return;
    expect(crypto.offset).toBe(0);
    expect(crypto.data.length).toBe(241);
    expect(crypto.data[0]).toBe(0x01); // ClientHello
    expect(frames[1]).toEqual({ type: "padding", length: A2.payloadLength - 4 - 241 });
    expect(isAckEliciting(frames)).toBe(true);
  });

  it("decodes the A.3 server Initial payload: ACK of packet 0, then CRYPTO with the ServerHello", () => {
    const frames = decodeFrames(fromHex(A3.payload), "initial");
    expect(frames[0]).toEqual({ type: "ack", ackDelay: 0, ranges: [{ smallest: 0, largest: 0 }] });
    const crypto = frames[1]!;
    expect(crypto.type).toBe("crypto");
    if (crypto.type !== "crypto") return;
    expect(crypto.data.length).toBe(90);
    expect(crypto.data[0]).toBe(0x02); // ServerHello
    expect(toHex(encodeFrames(frames))).toBe(toHex(fromHex(A3.payload)));
  });
});

describe("frame errors carry the RFC 9000 code", () => {
  it("rejects a packet with no frames with PROTOCOL_VIOLATION (§12.4)", () => {
    expect(decodeError("").code).toBe(TransportErrorCode.PROTOCOL_VIOLATION);
  });

  it("rejects unknown frame types with FRAME_ENCODING_ERROR (§12.4)", () => {
    for (const hex of ["1f", "30 00", "40af", "bfffffff", "c000000000000021"]) {
      expect(decodeError(hex).code).toBe(TransportErrorCode.FRAME_ENCODING_ERROR);
    }
  });

  it("rejects a frame type not in its shortest encoding with PROTOCOL_VIOLATION (§12.4)", () => {
    const error = decodeError("4001");
    expect(error.code).toBe(TransportErrorCode.PROTOCOL_VIOLATION);
    expect(error.frameType).toBe(FrameType.PING);
  });

  it("rejects frames in packet types that may not carry them with PROTOCOL_VIOLATION (§12.4, Table 3)", () => {
    expect(decodeError("0a 04 02 aabb", "initial").code).toBe(TransportErrorCode.PROTOCOL_VIOLATION);
    expect(decodeError("1e", "handshake").code).toBe(TransportErrorCode.PROTOCOL_VIOLATION);
    expect(decodeError("02 00 00 00 00", "0rtt").code).toBe(TransportErrorCode.PROTOCOL_VIOLATION);
    expect(decodeError("06 00 01 aa", "0rtt").code).toBe(TransportErrorCode.PROTOCOL_VIOLATION);
    expect(decodeError("1d 00 00", "initial").code).toBe(TransportErrorCode.PROTOCOL_VIOLATION);
    expect(decodeError("07 01 aa", "0rtt").code).toBe(TransportErrorCode.PROTOCOL_VIOLATION);
    expect(decodeFrames(fromHex("1c 00 00 00"), "initial")).toHaveLength(1);
  });

  it("matches RFC 9000 Table 3 for every frame type and packet type", () => {
    const table: Record<string, string> = {
      "00": "IH01",
      "01": "IH01",
      "02": "IH_1",
      "03": "IH_1",
      "04": "__01",
      "05": "__01",
      "06": "IH_1",
      "07": "___1",
      "08": "__01",
      "0f": "__01",
      "10": "__01",
      "11": "__01",
      "12": "__01",
      "13": "__01",
      "14": "__01",
      "15": "__01",
      "16": "__01",
      "17": "__01",
      "18": "__01",
      "19": "___1",
      "1a": "__01",
      "1b": "___1",
      "1c": "IH01",
      "1d": "__01",
      "1e": "___1",
    };
    for (const [type, pkts] of Object.entries(table)) {
      const code = Number.parseInt(type, 16);
      expect([
        type,
        isFrameAllowed(code, "initial"),
        isFrameAllowed(code, "handshake"),
        isFrameAllowed(code, "0rtt"),
        isFrameAllowed(code, "1rtt"),
      ]).toEqual([type, pkts[0] === "I", pkts[1] === "H", pkts[2] === "0", pkts[3] === "1"]);
    }
    expect(isFrameAllowed(0x1f, "1rtt")).toBe(false);
  });

  it("rejects ACK ranges that go below packet number 0 with FRAME_ENCODING_ERROR (§19.3.1)", () => {
    expect(decodeError("02 05 00 00 06").code).toBe(TransportErrorCode.FRAME_ENCODING_ERROR);
    expect(decodeError("02 05 00 01 00 04 00").code).toBe(TransportErrorCode.FRAME_ENCODING_ERROR);
    expect(decodeError("02 05 00 01 00 02 02").code).toBe(TransportErrorCode.FRAME_ENCODING_ERROR);
    expect(decodeFrames(fromHex("02 05 00 01 00 02 01"), "1rtt")).toEqual([
      {
        type: "ack",
        ackDelay: 0,
        ranges: [
          { smallest: 5, largest: 5 },
          { smallest: 0, largest: 1 },
        ],
      },
    ]);
  });

  it("fails at once on an ACK range count the frame cannot hold", () => {
    expect(decodeError("02 05 00 bfffffff 00").code).toBe(TransportErrorCode.FRAME_ENCODING_ERROR);
    expect(decodeError(`02 05 00 ffffffffffffffff 00`).code).toBe(TransportErrorCode.FRAME_ENCODING_ERROR);
  });

  it("rejects an empty NEW_TOKEN and bad NEW_CONNECTION_ID fields (§19.7, §19.15)", () => {
    expect(decodeError("07 00").code).toBe(TransportErrorCode.FRAME_ENCODING_ERROR);
    expect(decodeError(`18 01 00 00 ${token16}`).code).toBe(TransportErrorCode.FRAME_ENCODING_ERROR);
    expect(decodeError(`18 01 00 15 ${"11".repeat(21)} ${token16}`).code).toBe(
      TransportErrorCode.FRAME_ENCODING_ERROR,
    );
    expect(decodeError(`18 01 02 04 01020304 ${token16}`).code).toBe(TransportErrorCode.FRAME_ENCODING_ERROR);
  });

  it("rejects stream counts above 2^60 with FRAME_ENCODING_ERROR (§19.11, §19.14)", () => {
    expect(decodeFrames(fromHex("12 d000000000000000"), "1rtt")).toEqual([
      { type: "maxStreams", bidirectional: true, maximum: Number.MAX_SAFE_INTEGER },
    ]);
    expect(decodeError("12 d000000000000001").code).toBe(TransportErrorCode.FRAME_ENCODING_ERROR);
    expect(decodeError("17 ffffffffffffffff").code).toBe(TransportErrorCode.FRAME_ENCODING_ERROR);
  });

  it("rejects data past any flow-control or crypto limit (§19.6, §19.8)", () => {
    expect(decodeError("0e 04 ffffffffffffffff 01 aa").code).toBe(TransportErrorCode.FLOW_CONTROL_ERROR);
    expect(decodeError("0e 04 c01fffffffffffff 01 aa").code).toBe(TransportErrorCode.FLOW_CONTROL_ERROR);
    expect(decodeError("06 ffffffffffffffff 01 aa").code).toBe(TransportErrorCode.CRYPTO_BUFFER_EXCEEDED);
    expect(decodeError("04 00 00 ffffffffffffffff").code).toBe(TransportErrorCode.FLOW_CONTROL_ERROR);
  });

  it("rejects truncated frames with FRAME_ENCODING_ERROR and names the frame type", () => {
    for (const [hex, type] of [
      ["02 05", FrameType.ACK],
      ["06 00 05 aabb", FrameType.CRYPTO],
      ["1a 010203", FrameType.PATH_CHALLENGE],
      ["0a 04 05 aa", 0x0a],
      ["1c 07", FrameType.CONNECTION_CLOSE],
      [`18 01 00 04 01020304 ${token16.slice(0, 30)}`, FrameType.NEW_CONNECTION_ID],
    ] as const) {
      const error = decodeError(hex);
      expect([hex, error.code, error.frameType]).toEqual([
        hex,
        TransportErrorCode.FRAME_ENCODING_ERROR,
        type,
      ]);
    }
  });
});

describe("frame encoding", () => {
  it("round-trips any frame", () => {
    fc.assert(
      fc.property(anyFrame, (frame) => {
        expect(decodeFrames(encodeFrames([frame]), "1rtt")).toEqual([frame]);
      }),
      { numRuns: 3000 },
    );
  });

  it("round-trips a packet of frames, the last STREAM frame without its Length", () => {
    const noPadding = anyFrame.filter((f) => f.type !== "padding");
    fc.assert(
      fc.property(fc.array(noPadding, { minLength: 1, maxLength: 8 }), (frames) => {
        const w = new BufferWriter();
        frames.forEach((frame, i) => {
          encodeFrame(w, frame, { omitStreamLength: i === frames.length - 1 });
        });
        expect(decodeFrames(w.toBytes(), "1rtt")).toEqual(frames);
      }),
      { numRuns: 500 },
    );
  });

  it("refuses frames that cannot be put on the wire", () => {
    const bad: Frame[] = [
      { type: "padding", length: 0 },
      { type: "ack", ackDelay: 0, ranges: [] },
      {
        type: "ack",
        ackDelay: 0,
        ranges: [
          { smallest: 5, largest: 6 },
          { smallest: 3, largest: 4 },
        ],
      },
      { type: "ack", ackDelay: -1, ranges: [{ smallest: 0, largest: 0 }] },
      { type: "newToken", token: new Uint8Array(0) },
      { type: "maxStreams", bidirectional: true, maximum: -1 },
      {
        type: "newConnectionId",
        sequenceNumber: 1,
        retirePriorTo: 2,
        connectionId: fromHex("01"),
        statelessResetToken: fromHex(token16),
      },
      {
        type: "newConnectionId",
        sequenceNumber: 1,
        retirePriorTo: 0,
        connectionId: new Uint8Array(0),
        statelessResetToken: fromHex(token16),
      },
      { type: "pathChallenge", data: fromHex("01") },
      { type: "maxData", maximum: 2 ** 60 * 8 },
    ];
    for (const frame of bad) expect(() => encodeFrames([frame]), frame.type).toThrow(RangeError);
  });

  it("counts only ACK, PADDING and CONNECTION_CLOSE as not ack-eliciting (§13.2)", () => {
    expect(
      isAckEliciting([
        { type: "padding", length: 1 },
        { type: "ack", ackDelay: 0, ranges: [{ smallest: 0, largest: 0 }] },
      ]),
    ).toBe(false);
    expect(isAckEliciting([{ type: "ping" }])).toBe(true);
  });
});
