/**
 * Encoding and decoding QUIC version 1 frames (RFC 9000 §19).
 *
 * The decoder is the first code to touch decrypted bytes, so it checks everything the RFC asks
 * of a frame on its own (lengths, ranges, limits) and throws a `QuicError` with the code
 * §19 and §12.4 name: FRAME_ENCODING_ERROR for a frame that does not parse, PROTOCOL_VIOLATION
 * for a frame in a packet type that may not carry it, and the limit errors where the RFC names
 * them. Checks that need connection state (stream limits, flow control, roles) are the
 * connection's.
 *
 * @packageDocumentation
 */

import { BufferReader, BufferWriter } from "../buffer.js";
import { QuicError, TransportErrorCode } from "../errors.js";
import { varintLength } from "../varint.js";
import {
  type AckFrame,
  type AckRange,
  type ConnectionCloseFrame,
  type Frame,
  FrameType,
  isFrameAllowed,
  type PacketType,
  StreamFrameBits,
} from "./frame.js";

// §19.11, §19.14: stream counts cannot exceed 2^60, since stream IDs stop at 2^62−1.
const MAX_STREAMS_LIMIT = 1n << 60n;
const MAX_CONNECTION_ID_LENGTH = 20;
const STATELESS_RESET_TOKEN_LENGTH = 16;
const PATH_DATA_LENGTH = 8;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function saturate(value: bigint): number {
  return value > MAX_SAFE ? Number.MAX_SAFE_INTEGER : Number(value);
}

/**
 * Decodes every frame of a decrypted packet payload. `packetType` is the type of the packet it
 * came from, for the §12.4 rules on which frames each packet type may carry.
 *
 * @alpha
 */
export function decodeFrames(payload: Uint8Array, packetType: PacketType): Frame[] {
  // §12.4: a packet with no frames at all is a protocol violation, not an encoding error.
  if (payload.length === 0)
    throw new QuicError(TransportErrorCode.PROTOCOL_VIOLATION, "packet carries no frames");
  const reader = new BufferReader(payload);
  const frames: Frame[] = [];
  while (reader.remaining > 0) frames.push(decodeFrame(reader, packetType));
  return frames;
}

/**
 * Decodes the one frame at the reader's position, leaving the reader after it.
 *
 * @alpha
 */
export function decodeFrame(r: BufferReader, packetType: PacketType): Frame {
  r.frameType = undefined;
  const start = r.offset;
  const type = r.readVarint("frame type");
  r.frameType = type;
  if (!isKnownFrameType(type)) r.fail(`unknown frame type 0x${type.toString(16)}`);
  // §12.4: "the frame type MUST be encoded in the shortest possible encoding"; accepting a
  // padded one would let a peer hide frames from a middlebox reading only minimal encodings.
  if (r.offset - start !== varintLength(type)) {
    r.fail(
      `frame type 0x${type.toString(16)} is not minimally encoded`,
      TransportErrorCode.PROTOCOL_VIOLATION,
    );
  }
  if (!isFrameAllowed(type, packetType)) {
    r.fail(
      `frame type 0x${type.toString(16)} is not allowed in ${packetType} packets`,
      TransportErrorCode.PROTOCOL_VIOLATION,
    );
  }
  if (type >= FrameType.STREAM && type <= 0x0f) return decodeStream(r, type);
  switch (type) {
    case FrameType.PADDING: {
      const bytes = r.bytes;
      let end = r.offset;
      while (end < r.end && bytes[end] === 0) end++;
      const length = 1 + end - r.offset;
      r.skip(end - r.offset);
      return { type: "padding", length };
    }
    case FrameType.PING:
      return { type: "ping" };
    case FrameType.ACK:
    case FrameType.ACK_ECN:
      return decodeAck(r, type === FrameType.ACK_ECN);
    case FrameType.RESET_STREAM:
      return {
        type: "resetStream",
        streamId: r.readVarint("stream ID"),
        errorCode: r.readVarintBigInt("application error code"),
        finalSize: r.readSafeVarint(TransportErrorCode.FLOW_CONTROL_ERROR, "final size"),
      };
    case FrameType.STOP_SENDING:
      return {
        type: "stopSending",
        streamId: r.readVarint("stream ID"),
        errorCode: r.readVarintBigInt("application error code"),
      };
    case FrameType.CRYPTO: {
      const offset = r.readSafeVarint(TransportErrorCode.CRYPTO_BUFFER_EXCEEDED, "crypto offset");
      const data = r.readVarintPrefixedBytes("crypto data");
      // §19.6: the end of the crypto stream cannot pass 2^62−1; this endpoint buffers far less.
      if (offset + data.length > Number.MAX_SAFE_INTEGER) {
        r.fail("crypto data beyond any buffer", TransportErrorCode.CRYPTO_BUFFER_EXCEEDED);
      }
      return { type: "crypto", offset, data };
    }
    case FrameType.NEW_TOKEN: {
      const token = r.readVarintPrefixedBytes("token");
      // §19.7: "An endpoint MUST treat receipt of a NEW_TOKEN frame with an empty Token field
      // as a connection error of type FRAME_ENCODING_ERROR."
      if (token.length === 0) r.fail("empty NEW_TOKEN token");
      return { type: "newToken", token };
    }
    case FrameType.MAX_DATA:
      return { type: "maxData", maximum: r.readVarint("maximum data") };
    case FrameType.MAX_STREAM_DATA:
      return {
        type: "maxStreamData",
        streamId: r.readVarint("stream ID"),
        maximum: r.readVarint("maximum data"),
      };
    case FrameType.MAX_STREAMS_BIDI:
    case FrameType.MAX_STREAMS_UNI:
      return {
        type: "maxStreams",
        bidirectional: type === FrameType.MAX_STREAMS_BIDI,
        maximum: readStreamCount(r, "maximum streams"),
      };
    case FrameType.DATA_BLOCKED:
      return { type: "dataBlocked", limit: r.readVarint("data limit") };
    case FrameType.STREAM_DATA_BLOCKED:
      return {
        type: "streamDataBlocked",
        streamId: r.readVarint("stream ID"),
        limit: r.readVarint("data limit"),
      };
    case FrameType.STREAMS_BLOCKED_BIDI:
    case FrameType.STREAMS_BLOCKED_UNI:
      return {
        type: "streamsBlocked",
        bidirectional: type === FrameType.STREAMS_BLOCKED_BIDI,
        limit: readStreamCount(r, "stream limit"),
      };
    case FrameType.NEW_CONNECTION_ID: {
      const sequenceNumber = r.readVarint("sequence number");
      const retirePriorTo = r.readVarint("retire prior to");
      // §19.15: Retire Prior To greater than the Sequence Number is FRAME_ENCODING_ERROR.
      if (retirePriorTo > sequenceNumber)
        r.fail(`retire prior to ${retirePriorTo} exceeds sequence ${sequenceNumber}`);
      const length = r.readUint8();
      // §19.15: lengths below 1 and above 20 are invalid and MUST be FRAME_ENCODING_ERROR.
      if (length < 1 || length > MAX_CONNECTION_ID_LENGTH)
        r.fail(`connection ID length ${length} outside 1..20`);
      return {
        type: "newConnectionId",
        sequenceNumber,
        retirePriorTo,
        connectionId: r.readBytes(length, "connection ID"),
        statelessResetToken: r.readBytes(STATELESS_RESET_TOKEN_LENGTH, "stateless reset token"),
      };
    }
    case FrameType.RETIRE_CONNECTION_ID:
      return { type: "retireConnectionId", sequenceNumber: r.readVarint("sequence number") };
    case FrameType.PATH_CHALLENGE:
      return { type: "pathChallenge", data: r.readBytes(PATH_DATA_LENGTH, "path challenge data") };
    case FrameType.PATH_RESPONSE:
      return { type: "pathResponse", data: r.readBytes(PATH_DATA_LENGTH, "path response data") };
    case FrameType.CONNECTION_CLOSE:
    case FrameType.CONNECTION_CLOSE_APPLICATION: {
      const application = type === FrameType.CONNECTION_CLOSE_APPLICATION;
      const errorCode = r.readVarintBigInt("error code");
      const frameType = application ? undefined : r.readVarintBigInt("frame type");
      const reason = r.readVarintPrefixedBytes("reason phrase");
      const frame: ConnectionCloseFrame =
        frameType === undefined
          ? { type: "connectionClose", application, errorCode, reason }
          : { type: "connectionClose", application, errorCode, frameType, reason };
      return frame;
    }
    case FrameType.HANDSHAKE_DONE:
      return { type: "handshakeDone" };
    default:
      // isKnownFrameType() covers every case above; this keeps the switch total for the compiler.
      return r.fail(`unknown frame type 0x${type.toString(16)}`);
  }
}

function isKnownFrameType(type: number): boolean {
  return type <= FrameType.HANDSHAKE_DONE;
}

function readStreamCount(r: BufferReader, what: string): number {
  const value = r.readVarintBigInt(what);
  if (value > MAX_STREAMS_LIMIT) r.fail(`${what} ${value} exceeds 2^60`);
  return saturate(value);
}

function decodeAck(r: BufferReader, withEcn: boolean): AckFrame {
  let largest = r.readVarint("largest acknowledged");
  const ackDelay = r.readVarint("ack delay");
  const rangeCount = r.readVarint("ack range count");
  // Each further range takes at least two bytes; a count the payload cannot hold is malformed,
  // and failing now avoids looping on a count of 2^62.
  if (rangeCount > r.remaining / 2) r.fail(`ack range count ${rangeCount} exceeds the frame`);
  let smallest = largest - r.readVarint("first ack range");
  // §19.3.1: "If any computed packet number is negative, an endpoint MUST generate a
  // connection error of type FRAME_ENCODING_ERROR."
  if (smallest < 0) r.fail("first ack range goes below packet number 0");
  const ranges: AckRange[] = [{ smallest, largest }];
  for (let i = 0; i < rangeCount; i++) {
    const gap = r.readVarint("ack gap");
    const length = r.readVarint("ack range length");
    largest = smallest - gap - 2;
    if (largest < 0) r.fail("ack gap goes below packet number 0");
    smallest = largest - length;
    if (smallest < 0) r.fail("ack range goes below packet number 0");
    ranges.push({ smallest, largest });
  }
  if (!withEcn) return { type: "ack", ackDelay, ranges };
  return {
    type: "ack",
    ackDelay,
    ranges,
    ecn: {
      ect0: r.readVarint("ECT0 count"),
      ect1: r.readVarint("ECT1 count"),
      ce: r.readVarint("ECN-CE count"),
    },
  };
}

function decodeStream(r: BufferReader, type: number): Frame {
  const streamId = r.readVarint("stream ID");
  const offset =
    (type & StreamFrameBits.OFF) !== 0
      ? r.readSafeVarint(TransportErrorCode.FLOW_CONTROL_ERROR, "offset")
      : 0;
  const data = (type & StreamFrameBits.LEN) !== 0 ? r.readVarintPrefixedBytes("stream data") : r.readRest();
  // §19.8: offset + length cannot exceed 2^62−1 (FRAME_ENCODING_ERROR or FLOW_CONTROL_ERROR);
  // no flow control window of this endpoint reaches 2^53, so anything past that is over it.
  if (offset + data.length > Number.MAX_SAFE_INTEGER) {
    r.fail("stream data beyond any flow control limit", TransportErrorCode.FLOW_CONTROL_ERROR);
  }
  return { type: "stream", streamId, offset, data, fin: (type & StreamFrameBits.FIN) !== 0 };
}

/**
 * Options of `encodeFrame`.
 *
 * @alpha
 */
export interface EncodeFrameOptions {
  /**
   * Leave out a STREAM frame's Length so its data runs to the end of the packet (LEN bit clear,
   * §19.8). Only for the last frame of a packet.
   */
  readonly omitStreamLength?: boolean;
}

function checkUint(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new RangeError(`${what} must be a non-negative integer`);
}

function checkLength(bytes: Uint8Array, min: number, max: number, what: string): void {
  if (bytes.length < min || bytes.length > max) {
    throw new RangeError(
      min === max ? `${what} must be ${min} bytes` : `${what} must be ${min}..${max} bytes`,
    );
  }
}

function encodeAck(w: BufferWriter, frame: AckFrame): void {
  const ranges = frame.ranges;
  const first = ranges[0];
  if (first === undefined) throw new RangeError("an ACK frame acknowledges at least one range");
  checkUint(frame.ackDelay, "ack delay");
  w.writeVarint(frame.ecn === undefined ? FrameType.ACK : FrameType.ACK_ECN);
  checkUint(first.smallest, "packet number");
  if (first.largest < first.smallest) throw new RangeError("ack range with largest below smallest");
  w.writeVarint(first.largest)
    .writeVarint(frame.ackDelay)
    .writeVarint(ranges.length - 1);
  w.writeVarint(first.largest - first.smallest);
  let smallest = first.smallest;
  for (let i = 1; i < ranges.length; i++) {
    const range = ranges[i]!;
    // §19.3.1: Gap counts the unacknowledged packets between two ranges, minus one; ranges
    // that touch or overlap cannot be expressed.
    if (range.largest > smallest - 2 || range.smallest > range.largest || range.smallest < 0) {
      throw new RangeError("ack ranges must be descending and separated by a gap");
    }
    w.writeVarint(smallest - range.largest - 2).writeVarint(range.largest - range.smallest);
    smallest = range.smallest;
  }
  if (frame.ecn !== undefined)
    w.writeVarint(frame.ecn.ect0).writeVarint(frame.ecn.ect1).writeVarint(frame.ecn.ce);
}

function checkStreamCount(value: number, what: string): void {
  checkUint(value, what);
  if (BigInt(value) > MAX_STREAMS_LIMIT) throw new RangeError(`${what} exceeds 2^60`);
}

/**
 * Appends one frame's encoding to `w`. Values outside what the frame can carry are a `RangeError`.
 *
 * @alpha
 */
export function encodeFrame(w: BufferWriter, frame: Frame, options: EncodeFrameOptions = {}): void {
  switch (frame.type) {
    case "padding":
      if (!Number.isSafeInteger(frame.length) || frame.length < 1)
        throw new RangeError("padding length must be ≥ 1");
      w.fill(0, frame.length);
      return;
    case "ping":
      w.writeVarint(FrameType.PING);
      return;
    case "ack":
      encodeAck(w, frame);
      return;
    case "resetStream":
      w.writeVarint(FrameType.RESET_STREAM).writeVarint(frame.streamId).writeVarint(frame.errorCode);
      w.writeVarint(frame.finalSize);
      return;
    case "stopSending":
      w.writeVarint(FrameType.STOP_SENDING).writeVarint(frame.streamId).writeVarint(frame.errorCode);
      return;
    case "crypto":
      w.writeVarint(FrameType.CRYPTO).writeVarint(frame.offset).writeVarintPrefixedBytes(frame.data);
      return;
    case "newToken":
      checkLength(frame.token, 1, Number.MAX_SAFE_INTEGER, "NEW_TOKEN token");
      w.writeVarint(FrameType.NEW_TOKEN).writeVarintPrefixedBytes(frame.token);
      return;
    case "stream": {
      const type =
        FrameType.STREAM |
        (frame.offset > 0 ? StreamFrameBits.OFF : 0) |
        (options.omitStreamLength ? 0 : StreamFrameBits.LEN) |
        (frame.fin ? StreamFrameBits.FIN : 0);
      w.writeVarint(type).writeVarint(frame.streamId);
      if (frame.offset > 0) w.writeVarint(frame.offset);
      if (options.omitStreamLength) w.writeBytes(frame.data);
      else w.writeVarintPrefixedBytes(frame.data);
      return;
    }
    case "maxData":
      w.writeVarint(FrameType.MAX_DATA).writeVarint(frame.maximum);
      return;
    case "maxStreamData":
      w.writeVarint(FrameType.MAX_STREAM_DATA).writeVarint(frame.streamId).writeVarint(frame.maximum);
      return;
    case "maxStreams":
      checkStreamCount(frame.maximum, "maximum streams");
      w.writeVarint(frame.bidirectional ? FrameType.MAX_STREAMS_BIDI : FrameType.MAX_STREAMS_UNI);
      w.writeVarint(frame.maximum);
      return;
    case "dataBlocked":
      w.writeVarint(FrameType.DATA_BLOCKED).writeVarint(frame.limit);
      return;
    case "streamDataBlocked":
      w.writeVarint(FrameType.STREAM_DATA_BLOCKED).writeVarint(frame.streamId).writeVarint(frame.limit);
      return;
    case "streamsBlocked":
      checkStreamCount(frame.limit, "stream limit");
      w.writeVarint(frame.bidirectional ? FrameType.STREAMS_BLOCKED_BIDI : FrameType.STREAMS_BLOCKED_UNI);
      w.writeVarint(frame.limit);
      return;
    case "newConnectionId":
      checkLength(frame.connectionId, 1, MAX_CONNECTION_ID_LENGTH, "connection ID");
      checkLength(
        frame.statelessResetToken,
        STATELESS_RESET_TOKEN_LENGTH,
        STATELESS_RESET_TOKEN_LENGTH,
        "reset token",
      );
      if (frame.retirePriorTo > frame.sequenceNumber)
        throw new RangeError("retire prior to exceeds the sequence number");
      w.writeVarint(FrameType.NEW_CONNECTION_ID)
        .writeVarint(frame.sequenceNumber)
        .writeVarint(frame.retirePriorTo);
      w.writeUint8(frame.connectionId.length)
        .writeBytes(frame.connectionId)
        .writeBytes(frame.statelessResetToken);
      return;
    case "retireConnectionId":
      w.writeVarint(FrameType.RETIRE_CONNECTION_ID).writeVarint(frame.sequenceNumber);
      return;
    case "pathChallenge":
    case "pathResponse":
      checkLength(frame.data, PATH_DATA_LENGTH, PATH_DATA_LENGTH, "path data");
      w.writeVarint(frame.type === "pathChallenge" ? FrameType.PATH_CHALLENGE : FrameType.PATH_RESPONSE);
      w.writeBytes(frame.data);
      return;
    case "connectionClose":
      if (frame.application) {
        w.writeVarint(FrameType.CONNECTION_CLOSE_APPLICATION).writeVarint(frame.errorCode);
      } else {
        w.writeVarint(FrameType.CONNECTION_CLOSE)
          .writeVarint(frame.errorCode)
          .writeVarint(frame.frameType ?? 0n);
      }
      w.writeVarintPrefixedBytes(frame.reason);
      return;
    case "handshakeDone":
      w.writeVarint(FrameType.HANDSHAKE_DONE);
      return;
  }
}

/**
 * Encodes frames back to back, every STREAM frame with its Length.
 *
 * @alpha
 */
export function encodeFrames(frames: readonly Frame[]): Uint8Array {
  const w = new BufferWriter();
  for (const frame of frames) encodeFrame(w, frame);
  return w.toBytes();
}
