/**
 * The QUIC version 1 frames (RFC 9000 §19) as TypeScript values, their type codes, and which
 * packet types may carry each (RFC 9000 §12.4, Table 3).
 *
 * Numbers are exact up to 2^53−1; larger wire values of limits and counts read as
 * `Number.MAX_SAFE_INTEGER` (see varint.ts). Opaque codes — application and transport error
 * codes, the frame type inside CONNECTION_CLOSE — are bigints so they survive exactly.
 * Byte fields of decoded frames are views into the packet payload.
 *
 * @packageDocumentation
 */

/**
 * The frame type code points of RFC 9000 §19 (Table 3).
 *
 * @alpha
 */
export const FrameType = {
  PADDING: 0x00,
  PING: 0x01,
  ACK: 0x02,
  ACK_ECN: 0x03,
  RESET_STREAM: 0x04,
  STOP_SENDING: 0x05,
  CRYPTO: 0x06,
  NEW_TOKEN: 0x07,
  /** STREAM is 0x08–0x0f: the low three bits are OFF (0x04), LEN (0x02) and FIN (0x01). */
  STREAM: 0x08,
  MAX_DATA: 0x10,
  MAX_STREAM_DATA: 0x11,
  MAX_STREAMS_BIDI: 0x12,
  MAX_STREAMS_UNI: 0x13,
  DATA_BLOCKED: 0x14,
  STREAM_DATA_BLOCKED: 0x15,
  STREAMS_BLOCKED_BIDI: 0x16,
  STREAMS_BLOCKED_UNI: 0x17,
  NEW_CONNECTION_ID: 0x18,
  RETIRE_CONNECTION_ID: 0x19,
  PATH_CHALLENGE: 0x1a,
  PATH_RESPONSE: 0x1b,
  CONNECTION_CLOSE: 0x1c,
  CONNECTION_CLOSE_APPLICATION: 0x1d,
  HANDSHAKE_DONE: 0x1e,
} as const;

/**
 * The STREAM type bits (RFC 9000 §19.8).
 *
 * @alpha
 */
export const StreamFrameBits = { OFF: 0x04, LEN: 0x02, FIN: 0x01 } as const;

/**
 * A run of PADDING bytes, kept as one value: an Initial packet carries hundreds of them.
 *
 * @alpha
 */
export interface PaddingFrame {
  readonly type: "padding";
  /** How many consecutive 0x00 bytes. */
  readonly length: number;
}

/**
 * PING (§19.2): elicits an acknowledgement, nothing else.
 *
 * @alpha
 */
export interface PingFrame {
  readonly type: "ping";
}

/**
 * One contiguous range of acknowledged packet numbers, both ends included.
 *
 * @alpha
 */
export interface AckRange {
  /** The lowest acknowledged packet number of the range. */
  readonly smallest: number;
  /** The highest acknowledged packet number of the range. */
  readonly largest: number;
}

/**
 * The ECN counts of an ACK of type 0x03 (§19.3.2).
 *
 * @alpha
 */
export interface EcnCounts {
  /** Packets received with the ECT(0) codepoint. */
  readonly ect0: number;
  /** Packets received with the ECT(1) codepoint. */
  readonly ect1: number;
  /** Packets received with the ECN-CE codepoint. */
  readonly ce: number;
}

/**
 * ACK (§19.3).
 *
 * @alpha
 */
export interface AckFrame {
  readonly type: "ack";
  /** Acknowledgement delay in the encoded unit: microseconds × 2^ack_delay_exponent of the sender. */
  readonly ackDelay: number;
  /** The acknowledged ranges, highest first, separated by at least one missing packet. */
  readonly ranges: readonly AckRange[];
  /** Present for ACK_ECN (0x03). */
  readonly ecn?: EcnCounts;
}

/**
 * RESET_STREAM (§19.4).
 *
 * @alpha
 */
export interface ResetStreamFrame {
  readonly type: "resetStream";
  /** The stream whose sending part is abandoned. */
  readonly streamId: number;
  /** The application protocol's error code. */
  readonly errorCode: bigint;
  /** The final size of the stream, in bytes. */
  readonly finalSize: number;
}

/**
 * STOP_SENDING (§19.5).
 *
 * @alpha
 */
export interface StopSendingFrame {
  readonly type: "stopSending";
  /** The stream the sender no longer wants data on. */
  readonly streamId: number;
  /** The application protocol's error code. */
  readonly errorCode: bigint;
}

/**
 * CRYPTO (§19.6): TLS handshake bytes at an offset in the encryption level's stream.
 *
 * @alpha
 */
export interface CryptoFrame {
  readonly type: "crypto";
  /** Where the data starts in this encryption level's crypto stream. */
  readonly offset: number;
  /** The handshake bytes, a view into the packet payload. */
  readonly data: Uint8Array;
}

/**
 * NEW_TOKEN (§19.7).
 *
 * @alpha
 */
export interface NewTokenFrame {
  readonly type: "newToken";
  /** An address validation token for a future Initial; never empty. */
  readonly token: Uint8Array;
}

/**
 * STREAM (§19.8), any of the eight type values 0x08–0x0f.
 *
 * @alpha
 */
export interface StreamFrame {
  readonly type: "stream";
  /** The stream the data belongs to. */
  readonly streamId: number;
  /** 0 when the OFF bit is clear. */
  readonly offset: number;
  /** The stream bytes, a view into the packet payload. */
  readonly data: Uint8Array;
  /** Whether this frame ends the stream (FIN bit). */
  readonly fin: boolean;
}

/**
 * MAX_DATA (§19.9).
 *
 * @alpha
 */
export interface MaxDataFrame {
  readonly type: "maxData";
  /** The most bytes the peer may send on the whole connection. */
  readonly maximum: number;
}

/**
 * MAX_STREAM_DATA (§19.10).
 *
 * @alpha
 */
export interface MaxStreamDataFrame {
  readonly type: "maxStreamData";
  /** The stream the limit applies to. */
  readonly streamId: number;
  /** The most bytes the peer may send on the stream. */
  readonly maximum: number;
}

/**
 * MAX_STREAMS (§19.11), 0x12 bidirectional or 0x13 unidirectional.
 *
 * @alpha
 */
export interface MaxStreamsFrame {
  readonly type: "maxStreams";
  /** True for bidirectional streams (0x12), false for unidirectional (0x13). */
  readonly bidirectional: boolean;
  /** The cumulative number of streams of that type the peer may open. */
  readonly maximum: number;
}

/**
 * DATA_BLOCKED (§19.12).
 *
 * @alpha
 */
export interface DataBlockedFrame {
  readonly type: "dataBlocked";
  /** The connection limit the sender is blocked at. */
  readonly limit: number;
}

/**
 * STREAM_DATA_BLOCKED (§19.13).
 *
 * @alpha
 */
export interface StreamDataBlockedFrame {
  readonly type: "streamDataBlocked";
  /** The blocked stream. */
  readonly streamId: number;
  /** The stream limit the sender is blocked at. */
  readonly limit: number;
}

/**
 * STREAMS_BLOCKED (§19.14), 0x16 bidirectional or 0x17 unidirectional.
 *
 * @alpha
 */
export interface StreamsBlockedFrame {
  readonly type: "streamsBlocked";
  /** True for bidirectional streams (0x16), false for unidirectional (0x17). */
  readonly bidirectional: boolean;
  /** The stream count limit the sender is blocked at. */
  readonly limit: number;
}

/**
 * NEW_CONNECTION_ID (§19.15).
 *
 * @alpha
 */
export interface NewConnectionIdFrame {
  readonly type: "newConnectionId";
  /** The sequence number the issuer gave this connection ID. */
  readonly sequenceNumber: number;
  /** Connection IDs with lower sequence numbers must be retired. */
  readonly retirePriorTo: number;
  /** 1 to 20 bytes. */
  readonly connectionId: Uint8Array;
  /** 16 bytes. */
  readonly statelessResetToken: Uint8Array;
}

/**
 * RETIRE_CONNECTION_ID (§19.16).
 *
 * @alpha
 */
export interface RetireConnectionIdFrame {
  readonly type: "retireConnectionId";
  /** The sequence number of the connection ID being retired. */
  readonly sequenceNumber: number;
}

/**
 * PATH_CHALLENGE (§19.17).
 *
 * @alpha
 */
export interface PathChallengeFrame {
  readonly type: "pathChallenge";
  /** 8 bytes. */
  readonly data: Uint8Array;
}

/**
 * PATH_RESPONSE (§19.18).
 *
 * @alpha
 */
export interface PathResponseFrame {
  readonly type: "pathResponse";
  /** 8 bytes, echoing a PATH_CHALLENGE. */
  readonly data: Uint8Array;
}

/**
 * CONNECTION_CLOSE (§19.19): 0x1c for transport errors, 0x1d for application errors.
 *
 * @alpha
 */
export interface ConnectionCloseFrame {
  readonly type: "connectionClose";
  /** True for 0x1d (an application error code); false for 0x1c (a transport error code). */
  readonly application: boolean;
  /** A transport error code (0x1c) or an application error code (0x1d). */
  readonly errorCode: bigint;
  /** The frame type that caused a transport error (0 if unknown); absent for application closes. */
  readonly frameType?: bigint;
  /** The UTF-8 reason phrase, as bytes: it need not be valid UTF-8 on the wire. */
  readonly reason: Uint8Array;
}

/**
 * HANDSHAKE_DONE (§19.20).
 *
 * @alpha
 */
export interface HandshakeDoneFrame {
  readonly type: "handshakeDone";
}

/**
 * Any QUIC version 1 frame.
 *
 * @alpha
 */
export type Frame =
  | PaddingFrame
  | PingFrame
  | AckFrame
  | ResetStreamFrame
  | StopSendingFrame
  | CryptoFrame
  | NewTokenFrame
  | StreamFrame
  | MaxDataFrame
  | MaxStreamDataFrame
  | MaxStreamsFrame
  | DataBlockedFrame
  | StreamDataBlockedFrame
  | StreamsBlockedFrame
  | NewConnectionIdFrame
  | RetireConnectionIdFrame
  | PathChallengeFrame
  | PathResponseFrame
  | ConnectionCloseFrame
  | HandshakeDoneFrame;

/**
 * The packet types frames travel in; "0rtt" and "1rtt" are the two application data packet types.
 *
 * @alpha
 */
export type PacketType = "initial" | "0rtt" | "handshake" | "1rtt";

const I = 1;
const Z = 2;
const H = 4;
const O = 8;
// RFC 9000 Table 3, column "Pkts": I = Initial, 0 = 0-RTT, H = Handshake, 1 = 1-RTT.
const ALLOWED: ReadonlyMap<number, number> = new Map([
  [FrameType.PADDING, I | Z | H | O],
  [FrameType.PING, I | Z | H | O],
  [FrameType.ACK, I | H | O],
  [FrameType.ACK_ECN, I | H | O],
  [FrameType.RESET_STREAM, Z | O],
  [FrameType.STOP_SENDING, Z | O],
  [FrameType.CRYPTO, I | H | O],
  [FrameType.NEW_TOKEN, O],
  [FrameType.STREAM, Z | O],
  [FrameType.MAX_DATA, Z | O],
  [FrameType.MAX_STREAM_DATA, Z | O],
  [FrameType.MAX_STREAMS_BIDI, Z | O],
  [FrameType.MAX_STREAMS_UNI, Z | O],
  [FrameType.DATA_BLOCKED, Z | O],
  [FrameType.STREAM_DATA_BLOCKED, Z | O],
  [FrameType.STREAMS_BLOCKED_BIDI, Z | O],
  [FrameType.STREAMS_BLOCKED_UNI, Z | O],
  [FrameType.NEW_CONNECTION_ID, Z | O],
  [FrameType.RETIRE_CONNECTION_ID, O],
  [FrameType.PATH_CHALLENGE, Z | O],
  [FrameType.PATH_RESPONSE, O],
  // §12.4: only the transport flavour of CONNECTION_CLOSE may appear before 1-RTT keys exist.
  [FrameType.CONNECTION_CLOSE, I | Z | H | O],
  [FrameType.CONNECTION_CLOSE_APPLICATION, Z | O],
  [FrameType.HANDSHAKE_DONE, O],
]);
const PACKET_BITS: Readonly<Record<PacketType, number>> = { initial: I, "0rtt": Z, handshake: H, "1rtt": O };

/**
 * Whether RFC 9000 §12.4 lets a frame of `frameType` travel in a packet of `packetType`.
 *
 * @alpha
 */
export function isFrameAllowed(frameType: number, packetType: PacketType): boolean {
  const code = frameType >= 0x08 && frameType <= 0x0f ? FrameType.STREAM : frameType;
  const allowed = ALLOWED.get(code);
  return allowed !== undefined && (allowed & PACKET_BITS[packetType]) !== 0;
}

/**
 * Whether a packet holding only these frames is ack-eliciting (RFC 9000 §13.2): anything but
 * ACK, PADDING and CONNECTION_CLOSE asks the peer for an acknowledgement.
 *
 * @alpha
 */
export function isAckEliciting(frames: readonly Frame[]): boolean {
  return frames.some((f) => f.type !== "ack" && f.type !== "padding" && f.type !== "connectionClose");
}
