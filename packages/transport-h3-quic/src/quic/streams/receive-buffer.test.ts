import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TransportErrorCode } from "../errors.js";
import { FrameType } from "../frames/frame.js";
import { thrownQuicError } from "../test-support/thrown.js";
import { ReceiveBuffer } from "./receive-buffer.js";

function bytes(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed * 17 + (i >> 8)) & 0xff;
  return out;
}

const streamBuffer = (maxOffset = Number.MAX_SAFE_INTEGER): ReceiveBuffer =>
  new ReceiveBuffer({ maxOffset, limitErrorCode: TransportErrorCode.FLOW_CONTROL_ERROR });

// Frames covering the whole sequence (a partition, so nothing is missing), plus extra frames
// over random spans (overlaps), plus copies of some frames (duplicates), in random order.
const deliveries = fc
  .record({
    length: fc.integer({ min: 0, max: 3000 }),
    cuts: fc.uniqueArray(fc.integer({ min: 1, max: 2999 }), { maxLength: 40 }),
    extra: fc.array(fc.tuple(fc.nat(), fc.nat({ max: 400 })), { maxLength: 20 }),
    duplicates: fc.array(fc.nat(), { maxLength: 10 }),
    order: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 80, maxLength: 80 }),
    reads: fc.array(fc.integer({ min: 0, max: 700 }), { minLength: 80, maxLength: 80 }),
  })
  .map(({ length, cuts, extra, duplicates, order, reads }) => {
    const points = [0, ...cuts.filter((c) => c < length).sort((a, b) => a - b), length];
    const spans: [number, number][] = [];
    for (let i = 1; i < points.length; i++) spans.push([points[i - 1]!, points[i]!]);
    if (spans.length === 0) spans.push([0, 0]);
    for (const [start, size] of extra) {
      const s = length === 0 ? 0 : start % length;
      spans.push([s, Math.min(length, s + size)]);
    }
    for (const d of duplicates) spans.push(spans[d % spans.length]!);
    const shuffled = spans
      .map((span, i) => ({ span, key: order[i % order.length]! + i * 1e-9 }))
      .sort((a, b) => a.key - b.key)
      .map(({ span }) => span);
    return { length, spans: shuffled, reads };
  });

describe("ReceiveBuffer reassembly", () => {
  it("reassembles shuffled, overlapping and duplicated frames exactly, reading as it goes", () => {
    fc.assert(
      fc.property(deliveries, ({ length, spans, reads }) => {
        const data = bytes(length);
        const buffer = streamBuffer();
        const out: number[] = [];
        let credit = 0;
        spans.forEach(([start, end], i) => {
          // Every frame that reaches the end carries the FIN, as a real sender's would.
          credit += buffer.push(start, data.subarray(start, end), end === length);
          for (let part = buffer.read(reads[i % reads.length]!); part; part = buffer.read(reads[i]))
            out.push(...part);
        });
        for (let part = buffer.read(); part; part = buffer.read()) out.push(...part);
        expect(Uint8Array.from(out)).toEqual(data);
        expect(credit).toBe(length);
        expect(buffer.highestOffset).toBe(length);
        expect(buffer.finalSize).toBe(length);
        expect(buffer.isFinished).toBe(true);
        expect(buffer.bufferedBytes).toBe(0);
      }),
      { numRuns: 300, seed: 0x5eed },
    );
  });

  it("holds data behind a gap until the gap fills", () => {
    const data = bytes(30);
    const buffer = streamBuffer();
    buffer.push(10, data.subarray(10, 20));
    buffer.push(20, data.subarray(20, 30), true);
    expect(buffer.read()).toBeUndefined();
    expect(buffer.readableBytes).toBe(0);
    expect(buffer.isComplete).toBe(false);
    expect(buffer.bufferedBytes).toBe(20);
    buffer.push(0, data.subarray(0, 10));
    expect(buffer.readableBytes).toBe(30);
    expect(buffer.isComplete).toBe(true);
    expect(buffer.readAll()).toEqual(data);
    expect(buffer.isFinished).toBe(true);
  });

  it("hands back in-order data as the same bytes, without copying", () => {
    const payload = bytes(100);
    const frame = payload.subarray(20, 60);
    const buffer = streamBuffer();
    buffer.push(0, frame);
    const read = buffer.read();
    expect(read?.buffer).toBe(payload.buffer);
    expect(read?.byteOffset).toBe(frame.byteOffset);
    expect(read?.length).toBe(40);
  });

  it("reads at most maxBytes, continuing where it stopped", () => {
    const buffer = streamBuffer();
    buffer.push(0, bytes(10));
    expect(buffer.read(4)).toEqual(bytes(10).subarray(0, 4));
    expect(buffer.readOffset).toBe(4);
    expect(buffer.read(0)).toBeUndefined();
    expect(buffer.read()).toEqual(bytes(10).subarray(4));
  });

  it("keeps the bytes it already has when an overlapping frame differs (RFC 9000 §2.2 allows it)", () => {
    const buffer = streamBuffer();
    buffer.push(4, Uint8Array.of(4, 5, 6, 7));
    buffer.push(0, Uint8Array.of(0, 1, 2, 3, 99, 99, 99, 99, 8, 9));
    expect(buffer.readAll()).toEqual(Uint8Array.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9));
  });

  it("ignores data that was already read, and charges credit only for new offsets", () => {
    const buffer = streamBuffer();
    expect(buffer.push(0, bytes(10))).toBe(10);
    buffer.read();
    expect(buffer.push(0, bytes(10))).toBe(0);
    expect(buffer.push(5, bytes(15).subarray(5))).toBe(5);
    expect(buffer.readAll()).toEqual(bytes(15).subarray(10));
  });
});

describe("ReceiveBuffer limits", () => {
  it("rejects stream data past the flow control limit with FLOW_CONTROL_ERROR, until the limit is raised", () => {
    const buffer = streamBuffer(100);
    buffer.push(90, bytes(10));
    const error = thrownQuicError(() => buffer.push(95, bytes(6)));
    expect(error.code).toBe(TransportErrorCode.FLOW_CONTROL_ERROR);
    expect(error.frameType).toBe(FrameType.STREAM);
    buffer.raiseMaxOffset(200);
    buffer.raiseMaxOffset(150);
    expect(buffer.maxOffset).toBe(200);
    expect(buffer.push(95, bytes(6))).toBe(1);
  });

  it("caps CRYPTO data past the read position with CRYPTO_BUFFER_EXCEEDED, a cap that moves with reading", () => {
    const buffer = new ReceiveBuffer({
      maxBuffered: 4096,
      limitErrorCode: TransportErrorCode.CRYPTO_BUFFER_EXCEEDED,
      frameType: FrameType.CRYPTO,
    });
    buffer.push(4000, bytes(96));
    const error = thrownQuicError(() => buffer.push(4000, bytes(97)));
    expect(error.code).toBe(TransportErrorCode.CRYPTO_BUFFER_EXCEEDED);
    expect(error.frameType).toBe(FrameType.CRYPTO);
    buffer.push(0, bytes(1000));
    buffer.read();
    buffer.push(4000, bytes(1000));
    expect(buffer.highestOffset).toBe(5000);
  });

  it("an empty frame past the limit is still past the limit", () => {
    const buffer = streamBuffer(10);
    expect(thrownQuicError(() => buffer.push(11, new Uint8Array(0))).code).toBe(
      TransportErrorCode.FLOW_CONTROL_ERROR,
    );
  });
});

describe("ReceiveBuffer final size (RFC 9000 §4.5)", () => {
  const finalSizeError = (fn: () => unknown) =>
    expect(thrownQuicError(fn).code).toBe(TransportErrorCode.FINAL_SIZE_ERROR);

  it("rejects data beyond a known final size", () => {
    const buffer = streamBuffer();
    buffer.push(0, bytes(10), true);
    finalSizeError(() => buffer.push(5, bytes(6)));
    finalSizeError(() => buffer.push(10, bytes(1)));
    buffer.push(5, bytes(5));
  });

  it("rejects a FIN that changes the final size, either way", () => {
    const buffer = streamBuffer();
    buffer.push(0, bytes(10), true);
    finalSizeError(() => buffer.push(0, bytes(9), true));
    finalSizeError(() => buffer.push(0, bytes(11), true));
    expect(buffer.push(10, new Uint8Array(0), true)).toBe(0);
  });

  it("rejects a FIN below data already received", () => {
    const buffer = streamBuffer();
    buffer.push(20, bytes(10));
    finalSizeError(() => buffer.push(0, bytes(10), true));
  });

  it("a FIN ahead of missing data sets the final size and charges the credit up to it", () => {
    const buffer = streamBuffer();
    expect(buffer.push(90, bytes(10), true)).toBe(100);
    expect(buffer.finalSize).toBe(100);
    expect(buffer.isComplete).toBe(false);
  });

  it("RESET_STREAM: checks the final size, drops buffered data, and returns the credit it adds", () => {
    const buffer = streamBuffer(1000);
    buffer.push(0, bytes(10));
    buffer.push(50, bytes(10));
    expect(buffer.reset(100)).toBe(40);
    expect(buffer.isReset).toBe(true);
    expect(buffer.bufferedBytes).toBe(0);
    expect(buffer.read()).toBeUndefined();
    expect(buffer.push(20, bytes(10))).toBe(0);
    expect(buffer.bufferedBytes).toBe(0);
    const changed = thrownQuicError(() => buffer.reset(101));
    expect(changed.code).toBe(TransportErrorCode.FINAL_SIZE_ERROR);
    expect(changed.frameType).toBe(FrameType.RESET_STREAM);
    finalSizeError(() => buffer.push(95, bytes(10)));
    expect(buffer.reset(100)).toBe(0);
  });

  it("RESET_STREAM below data received is FINAL_SIZE_ERROR; above the limit, FLOW_CONTROL_ERROR", () => {
    const a = streamBuffer(1000);
    a.push(0, bytes(50));
    finalSizeError(() => a.reset(40));
    const b = streamBuffer(1000);
    const error = thrownQuicError(() => b.reset(1001));
    expect(error.code).toBe(TransportErrorCode.FLOW_CONTROL_ERROR);
    expect(error.frameType).toBe(FrameType.RESET_STREAM);
  });

  it("a FIN after RESET_STREAM must agree with its final size", () => {
    const buffer = streamBuffer();
    buffer.reset(10);
    finalSizeError(() => buffer.push(0, bytes(12), true));
    expect(buffer.push(0, bytes(10), true)).toBe(0);
  });
});
