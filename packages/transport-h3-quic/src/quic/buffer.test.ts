import { describe, expect, it } from "vitest";
import { BufferReader, BufferWriter } from "./buffer.js";
import { QuicError, TransportErrorCode } from "./errors.js";
import { fromHex, toHex } from "./test-support/hex.js";
import { thrownQuicError } from "./test-support/thrown.js";

describe("BufferReader", () => {
  it("reads fixed-width integers big-endian", () => {
    const r = new BufferReader(fromHex("01 0203 040506 ffffffff 0a"));
    expect([r.readUint8(), r.readUint16(), r.readUint24(), r.readUint32()]).toEqual([
      1, 0x0203, 0x040506, 0xffffffff,
    ]);
    expect(r.remaining).toBe(1);
    expect(r.peekUint8()).toBe(0x0a);
    expect(r.readRest()).toEqual(Uint8Array.of(0x0a));
    expect(r.remaining).toBe(0);
  });

  it("throws a QuicError with the chosen code on a short read, never anything else", () => {
    const frameError = thrownQuicError(() => new BufferReader(fromHex("00")).readUint16());
    expect(frameError.code).toBe(TransportErrorCode.FRAME_ENCODING_ERROR);
    const paramError = thrownQuicError(() =>
      new BufferReader(fromHex("40"), 0, 1, {
        errorCode: TransportErrorCode.TRANSPORT_PARAMETER_ERROR,
      }).readVarint(),
    );
    expect(paramError.code).toBe(TransportErrorCode.TRANSPORT_PARAMETER_ERROR);
    expect(
      thrownQuicError(() => new BufferReader(fromHex("05 0102")).readVarintPrefixedBytes()).message,
    ).toMatch(/truncated/);
  });

  it("stays inside its range even when the bytes go further", () => {
    const bytes = fromHex("0102030405");
    const r = new BufferReader(bytes, 1, 3);
    expect(r.readUint16()).toBe(0x0203);
    expect(() => r.readUint8()).toThrow(QuicError);
    expect(() => new BufferReader(bytes, 4, 2)).toThrow(RangeError);
  });

  it("returns views, not copies", () => {
    const bytes = fromHex("0203aabb");
    const view = new BufferReader(bytes).readVarintPrefixedBytes();
    bytes[1] = 0xff;
    expect(toHex(view)).toBe("ffaa");
  });

  it("fails readSafeVarint only above 2^53−1", () => {
    const max = fromHex("c01fffffffffffff"); // 2^53−1
    expect(new BufferReader(max).readSafeVarint(TransportErrorCode.FLOW_CONTROL_ERROR)).toBe(
      Number.MAX_SAFE_INTEGER,
    );
    const above = fromHex("c020000000000000"); // 2^53
    expect(
      thrownQuicError(() => new BufferReader(above).readSafeVarint(TransportErrorCode.FLOW_CONTROL_ERROR))
        .code,
    ).toBe(TransportErrorCode.FLOW_CONTROL_ERROR);
    expect(new BufferReader(above).readVarintBigInt()).toBe(2n ** 53n);
  });

  it("carries the frame type into its errors", () => {
    const r = new BufferReader(new Uint8Array(0), 0, 0, { frameType: 0x06 });
    expect(thrownQuicError(() => r.readVarint()).frameType).toBe(0x06);
  });
});

describe("BufferWriter", () => {
  it("writes big-endian integers and varints, growing as needed", () => {
    const w = new BufferWriter(1);
    w.writeUint8(1).writeUint16(0x0203).writeUint24(0x040506).writeUint32(0xffffffff);
    w.writeVarint(37).writeVarint(37, 2).writeVarint(151288809941952652n);
    w.fill(0, 40).writeVarintPrefixedBytes(fromHex("aabb"));
    expect(w.length).toBe(1 + 2 + 3 + 4 + 1 + 2 + 8 + 40 + 3);
    expect(toHex(w.toBytes())).toBe(`010203040506ffffffff254025c2197c5eff14e88c${"00".repeat(40)}02aabb`);
  });

  it("gives a copy from toBytes and a live view from view", () => {
    const w = new BufferWriter();
    w.writeUint8(1);
    const copy = w.toBytes();
    const view = w.view();
    expect(copy).not.toBe(view);
    expect(toHex(copy)).toBe(toHex(view));
  });
});
