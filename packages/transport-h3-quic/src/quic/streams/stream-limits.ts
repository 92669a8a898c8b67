/**
 * Which streams exist, and how many each side may open (RFC 9000 §2.1, §3, §4.6, §19.11).
 *
 * Locally, `openStream` hands out the next ID of a type while the peer's MAX_STREAMS allows it.
 * For the peer's streams, `onStreamFrame` is the gate every frame naming a stream passes first:
 * it rejects frames the stream's direction cannot carry or that name a stream we have not
 * opened (STREAM_STATE_ERROR), rejects streams past the limit we granted (STREAM_LIMIT_ERROR),
 * and otherwise reports which peer streams the frame opens — every lower-numbered stream of the
 * same type opens with it (§3.2), since frames can arrive out of order.
 *
 * The limit granted to the peer follows closed streams: each peer stream that closes lets the
 * peer open one more, so the peer keeps as many streams open as the initial limit allowed.
 *
 * @packageDocumentation
 */

import { QuicError, TransportErrorCode } from "../errors.js";
import { FrameType } from "../frames/frame.js";
import {
  isBidirectionalStream,
  type StreamRole,
  streamId,
  streamIndex,
  streamInitiator,
} from "./stream-id.js";

/**
 * Options of `StreamLimits`.
 *
 * @alpha
 */
export interface StreamLimitsOptions {
  /** Whether this endpoint is the client or the server. */
  readonly role: StreamRole;
  /** How many bidirectional streams the peer may open: our `initial_max_streams_bidi`. */
  readonly maxPeerBidiStreams: number;
  /** How many unidirectional streams the peer may open: our `initial_max_streams_uni`. */
  readonly maxPeerUniStreams: number;
  /** The peer's `initial_max_streams_bidi`; 0 until its transport parameters arrive. */
  readonly maxLocalBidiStreams?: number;
  /** The peer's `initial_max_streams_uni`; 0 until its transport parameters arrive. */
  readonly maxLocalUniStreams?: number;
}

// Per stream type: one side's count of opened streams and the limit on them.
interface Direction {
  opened: number;
  limit: number;
  closed: number;
  // Local streams only: the limit last reported in STREAMS_BLOCKED.
  blockedReportedAt: number | undefined;
  // Peer streams only: the first grant, which closed streams keep topping up.
  readonly initialLimit: number;
}

/**
 * The stream ID allocator and stream count limits of one connection, in both directions.
 *
 * @alpha
 */
export class StreamLimits {
  readonly #role: StreamRole;
  readonly #local: { bidi: Direction; uni: Direction };
  readonly #peer: { bidi: Direction; uni: Direction };

  constructor(options: StreamLimitsOptions) {
    this.#role = options.role;
    const direction = (limit: number): Direction => {
      if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`invalid stream limit ${limit}`);
      return { opened: 0, limit, closed: 0, blockedReportedAt: undefined, initialLimit: limit };
    };
    this.#local = {
      bidi: direction(options.maxLocalBidiStreams ?? 0),
      uni: direction(options.maxLocalUniStreams ?? 0),
    };
    this.#peer = { bidi: direction(options.maxPeerBidiStreams), uni: direction(options.maxPeerUniStreams) };
  }

  /** Whether this endpoint is the client or the server. */
  get role(): StreamRole {
    return this.#role;
  }

  /** How many streams of a type this endpoint has opened. */
  localOpened(bidirectional: boolean): number {
    return this.#pick(this.#local, bidirectional).opened;
  }

  /** How many streams of a type the peer lets us open. */
  localLimit(bidirectional: boolean): number {
    return this.#pick(this.#local, bidirectional).limit;
  }

  /** How many streams of a type the peer has opened. */
  peerOpened(bidirectional: boolean): number {
    return this.#pick(this.#peer, bidirectional).opened;
  }

  /** How many streams of a type we let the peer open: the value to resend if a MAX_STREAMS was lost. */
  peerLimit(bidirectional: boolean): number {
    return this.#pick(this.#peer, bidirectional).limit;
  }

  #pick(side: { bidi: Direction; uni: Direction }, bidirectional: boolean): Direction {
    return bidirectional ? side.bidi : side.uni;
  }

  /** Whether `openStream` would succeed. */
  canOpenStream(bidirectional: boolean): boolean {
    const d = this.#pick(this.#local, bidirectional);
    return d.opened < d.limit;
  }

  /** The ID of a new local stream, or `undefined` while the peer's stream limit is reached. */
  openStream(bidirectional: boolean): number | undefined {
    const d = this.#pick(this.#local, bidirectional);
    if (d.opened >= d.limit) return undefined;
    return streamId(this.#role, bidirectional, d.opened++);
  }

  /**
   * Applies the peer's MAX_STREAMS or initial limit; returns whether the limit grew. Smaller
   * values are ignored (RFC 9000 §19.11): a reordered frame must not shrink the limit.
   */
  onMaxStreams(bidirectional: boolean, maximum: number): boolean {
    const d = this.#pick(this.#local, bidirectional);
    if (maximum <= d.limit) return false;
    d.limit = maximum;
    return true;
  }

  /**
   * The limit to report in STREAMS_BLOCKED when the application wants a stream it cannot open,
   * or `undefined` if it can, or this limit was already reported.
   */
  takeStreamsBlocked(bidirectional: boolean): number | undefined {
    const d = this.#pick(this.#local, bidirectional);
    if (d.opened < d.limit || d.blockedReportedAt === d.limit) return undefined;
    d.blockedReportedAt = d.limit;
    return d.limit;
  }

  /**
   * Checks a received frame of type `frameType` that names `id` (STREAM, RESET_STREAM,
   * STOP_SENDING, MAX_STREAM_DATA or STREAM_DATA_BLOCKED) and returns the IDs of the peer
   * streams it opens, lowest first; empty when the stream already existed or is ours.
   */
  onStreamFrame(id: number, frameType: number): number[] {
    const bidirectional = isBidirectionalStream(id);
    const local = streamInitiator(id) === this.#role;
    const peerSendsOnIt = carriesPeerData(frameType);
    const fail = (code: number, message: string): never => {
      throw new QuicError(code, message, { frameType });
    };
    if (!bidirectional) {
      // §19.4, §19.5, §19.8, §19.10, §19.13: a unidirectional stream carries data one way, so
      // only its sender may get MAX_STREAM_DATA and STOP_SENDING, only its receiver the rest.
      if (local === peerSendsOnIt)
        fail(
          TransportErrorCode.STREAM_STATE_ERROR,
          `frame type 0x${frameType.toString(16)} on ${local ? "send" : "receive"}-only stream ${id}`,
        );
    }
    const index = streamIndex(id);
    if (local) {
      if (index >= this.#pick(this.#local, bidirectional).opened)
        fail(TransportErrorCode.STREAM_STATE_ERROR, `stream ${id} has not been opened`);
      return [];
    }
    const d = this.#pick(this.#peer, bidirectional);
    if (index >= d.limit)
      fail(
        TransportErrorCode.STREAM_LIMIT_ERROR,
        `stream ${id} exceeds the limit of ${d.limit} ${bidirectional ? "bidirectional" : "unidirectional"} streams`,
      );
    const opened: number[] = [];
    const peerRole: StreamRole = this.#role === "client" ? "server" : "client";
    while (d.opened <= index) opened.push(streamId(peerRole, bidirectional, d.opened++));
    return opened;
  }

  /** Records that a peer-initiated stream is closed in both directions, freeing room for another. */
  onPeerStreamClosed(bidirectional: boolean): void {
    const d = this.#pick(this.#peer, bidirectional);
    if (d.closed >= d.opened) throw new RangeError("more peer streams closed than opened");
    d.closed++;
  }

  /**
   * The new limit to send in MAX_STREAMS, or `undefined` if none is due. A new limit is due
   * once half the initial grant (at least one stream) has closed since the last one, so the
   * peer is neither starved nor flooded with MAX_STREAMS frames.
   */
  takeMaxStreams(bidirectional: boolean): number | undefined {
    const d = this.#pick(this.#peer, bidirectional);
    const target = d.closed + d.initialLimit;
    if (target - d.limit < Math.max(1, Math.floor(d.initialLimit / 2))) return undefined;
    d.limit = target;
    return target;
  }
}

function carriesPeerData(frameType: number): boolean {
  if (frameType >= FrameType.STREAM && frameType <= 0x0f) return true;
  switch (frameType) {
    case FrameType.RESET_STREAM:
    case FrameType.STREAM_DATA_BLOCKED:
      return true;
    case FrameType.STOP_SENDING:
    case FrameType.MAX_STREAM_DATA:
      return false;
    default:
      throw new RangeError(`frame type 0x${frameType.toString(16)} does not name a stream`);
  }
}
