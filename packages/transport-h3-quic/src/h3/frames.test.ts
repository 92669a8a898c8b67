import { describe, expect, it } from "vitest";
import { encodeVarint } from "../quic/index.js";
import { H3Error, H3ErrorCode } from "./errors.js";
import {
  decodeGoaway,
  decodeSettings,
  encodeH3Frame,
  encodeSettings,
  type FrameEvent,
  FrameReader,
  H3FrameType,
  H3SettingId,
} from "./frames.js";

const hex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ""), "hex"));
const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
const ascii = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, "latin1"));
const cat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(Buffer.concat(parts));
const h3Error = (code: number) => expect.objectContaining({ name: "H3Error", code });

describe("SETTINGS (RFC 9114 §7.2.4)", () => {
  it("writes the two QPACK settings at 0", () => {
    const frame = encodeH3Frame(
      H3FrameType.SETTINGS,
      encodeSettings([
        [H3SettingId.QPACK_MAX_TABLE_CAPACITY, 0],
        [H3SettingId.QPACK_BLOCKED_STREAMS, 0],
      ]),
    );
    expect(toHex(frame)).toBe("040401000700");
    expect(decodeSettings(frame.subarray(2))).toEqual(
      new Map([
        [1, 0],
        [7, 0],
      ]),
    );
  });

  it("keeps unknown and GREASE identifiers", () => {
    const grease = 0x1f * 3 + 0x21;
    expect(decodeSettings(encodeSettings([[grease, 7]]))).toEqual(new Map([[grease, 7]]));
  });

  it("rejects a setting sent twice, an HTTP/2 setting, and a truncated pair", () => {
    expect(() => decodeSettings(hex("0100 0100"))).toThrow(h3Error(H3ErrorCode.H3_SETTINGS_ERROR));
    expect(() => decodeSettings(hex("0201"))).toThrow(h3Error(H3ErrorCode.H3_SETTINGS_ERROR));
    expect(() => decodeSettings(hex("01"))).toThrow(h3Error(H3ErrorCode.H3_FRAME_ERROR));
    expect(() => decodeSettings(hex("0140"))).toThrow(H3Error);
  });
});

describe("GOAWAY (RFC 9114 §7.2.6)", () => {
  it("reads one varint and nothing else", () => {
    expect(decodeGoaway(encodeVarint(16384))).toBe(16384);
    expect(() => decodeGoaway(new Uint8Array(0))).toThrow(h3Error(H3ErrorCode.H3_FRAME_ERROR));
    expect(() => decodeGoaway(hex("0400"))).toThrow(h3Error(H3ErrorCode.H3_FRAME_ERROR));
  });
});

describe("FrameReader", () => {
  const stream = cat(
    encodeH3Frame(0x21, ascii("grease")), // reserved type 0x1f * 0 + 0x21
    encodeH3Frame(0x01, hex("0000 d9")),
    encodeH3Frame(0x00, ascii("hello, ")),
    encodeH3Frame(0x1f * 1_000_000 + 0x21, new Uint8Array(300)), // a 4-byte-varint GREASE type
    encodeH3Frame(0x00, new Uint8Array(0)),
    encodeH3Frame(0x00, ascii("world")),
    encodeH3Frame(0x01, hex("0000 5f1d 01 78")),
  );

  function collect(events: FrameEvent[]): unknown[] {
    // Merges adjacent DATA events: their boundaries follow the chunks, not the frames.
    const out: unknown[] = [];
    for (const event of events) {
      const last = out.at(-1) as { kind: string; bytes?: string } | undefined;
      if (event.kind === "data" && last?.kind === "data")
        last.bytes += Buffer.from(event.bytes).toString("latin1");
      else if (event.kind === "data")
        out.push({ kind: "data", bytes: Buffer.from(event.bytes).toString("latin1") });
      else if (event.kind === "frame")
        out.push({ kind: "frame", type: event.type, payload: toHex(event.payload) });
      else out.push(event);
    }
    return out;
  }

  const expected = [
    { kind: "skipped", type: 0x21, length: 6 },
    { kind: "frame", type: 0x01, payload: "0000d9" },
    { kind: "data", bytes: "hello, " },
    { kind: "skipped", type: 0x1f * 1_000_000 + 0x21, length: 300 },
    { kind: "data", bytes: "world" },
    { kind: "frame", type: 0x01, payload: "00005f1d0178" },
  ];

  it("reads frames from one chunk, skipping reserved types", () => {
    const reader = new FrameReader();
    expect(collect(reader.push(stream))).toEqual(expected);
    expect(reader.atFrameBoundary).toBe(true);
    expect(() => reader.end()).not.toThrow();
  });

  it.each([1, 2, 3, 7, 64])("reads the same frames from %d-byte chunks", (size) => {
    const reader = new FrameReader();
    const events: FrameEvent[] = [];
    for (let i = 0; i < stream.length; i += size) events.push(...reader.push(stream.subarray(i, i + size)));
    expect(collect(events)).toEqual(expected);
    reader.end();
  });

  it("reads a frame header split at every byte, with 8-byte type and length varints", () => {
    const frame = cat(encodeVarint(0x01, 8), encodeVarint(3, 8), hex("0000d9"));
    for (let cut = 1; cut < frame.length; cut++) {
      const reader = new FrameReader();
      const events = [...reader.push(frame.subarray(0, cut)), ...reader.push(frame.subarray(cut))];
      expect(collect(events)).toEqual([{ kind: "frame", type: 0x01, payload: "0000d9" }]);
    }
  });

  it("gives an empty DATA event for a zero-length DATA frame", () => {
    expect(new FrameReader().push(hex("0000"))).toEqual([{ kind: "data", bytes: new Uint8Array(0) }]);
  });

  it("hands DATA on without copying it", () => {
    const chunk = encodeH3Frame(0x00, ascii("abc"));
    const [event] = new FrameReader().push(chunk);
    expect(event?.kind === "data" && event.bytes.buffer).toBe(chunk.buffer);
  });

  it("fails at the end of a stream cut inside a frame or a frame header", () => {
    const inFrame = new FrameReader();
    inFrame.push(stream.subarray(0, 12));
    expect(() => inFrame.end()).toThrow(h3Error(H3ErrorCode.H3_FRAME_ERROR));
    const inHeader = new FrameReader();
    inHeader.push(hex("40"));
    expect(inHeader.atFrameBoundary).toBe(false);
    expect(() => inHeader.end()).toThrow(/H3_FRAME_ERROR/);
  });

  it("refuses to collect a frame above the limit, but streams DATA and skips unknown types of any size", () => {
    const reader = new FrameReader({ maxFrameLength: 16 });
    expect(() => reader.push(encodeH3Frame(0x01, new Uint8Array(17)))).toThrow(
      h3Error(H3ErrorCode.H3_EXCESSIVE_LOAD),
    );
    const big = new FrameReader({ maxFrameLength: 16 });
    expect(collect(big.push(encodeH3Frame(0x00, new Uint8Array(100))))).toHaveLength(1);
    expect(big.push(encodeH3Frame(0x21, new Uint8Array(100)))).toEqual([
      { kind: "skipped", type: 0x21, length: 100 },
    ]);
  });

  it("collects HTTP/2's reserved frame types, so the caller can refuse them", () => {
    expect(new FrameReader().push(encodeH3Frame(0x06, new Uint8Array(8)))).toEqual([
      { kind: "frame", type: 0x06, payload: new Uint8Array(8) },
    ]);
  });
});
