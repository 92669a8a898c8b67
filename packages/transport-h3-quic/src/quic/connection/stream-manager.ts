/**
 * The streams of one connection (RFC 9000 §2–4): their send and receive buffers, flow control
 * in both directions, stream limits, and the frames that carry all of it.
 *
 * A stream is kept until both of its halves are finished: the sending half when every byte and
 * the FIN are acknowledged or our RESET_STREAM is, the receiving half when the application has
 * read the FIN or been told of the peer's RESET_STREAM. Frames for a stream already forgotten
 * are retransmissions and are ignored; `StreamLimits` rejects frames for streams that never
 * existed. A peer stream that is forgotten lets the peer open another (MAX_STREAMS).
 *
 * Receive windows start at our transport parameters and grow by auto-tuning up to a maximum, so
 * what a peer can make us buffer is bounded per stream and, through MAX_DATA, overall.
 *
 * @packageDocumentation
 */

import { TransportErrorCode } from "../errors.js";
import { type Frame, FrameType, type StreamFrame } from "../frames/frame.js";
import type { TransportParameters } from "../frames/transport-parameters.js";
import { ReceiveWindow, SendCredit } from "../streams/flow-control.js";
import { ReceiveBuffer } from "../streams/receive-buffer.js";
import { SendBuffer } from "../streams/send-buffer.js";
import {
  isBidirectionalStream,
  type StreamRole,
  streamIndex,
  streamInitiator,
} from "../streams/stream-id.js";
import { StreamLimits } from "../streams/stream-limits.js";
import type { QuicConnectionEvent } from "./connection-events.js";
import { dataFrameOverhead, type PacketPayload } from "./packet-payload.js";
import type { SentFrame } from "./sent-frame.js";

/**
 * Our side's initial limits, as sent in our transport parameters.
 *
 * @internal
 */
export type LocalStreamLimits = Pick<
  TransportParameters,
  | "initialMaxData"
  | "initialMaxStreamDataBidiLocal"
  | "initialMaxStreamDataBidiRemote"
  | "initialMaxStreamDataUni"
  | "initialMaxStreamsBidi"
  | "initialMaxStreamsUni"
>;

/**
 * Options of `StreamManager`.
 *
 * @internal
 */
export interface StreamManagerOptions {
  readonly role: StreamRole;
  readonly local: LocalStreamLimits;
  /** The largest window one stream's auto-tuning may reach. */
  readonly maxStreamWindow: number;
  /** The largest connection window auto-tuning may reach. */
  readonly maxConnectionWindow: number;
}

type ControlState = "pending" | "sent" | "acked";

interface SendSide {
  readonly buffer: SendBuffer;
  readonly credit: SendCredit;
  reset: { readonly code: bigint; readonly finalSize: number; state: ControlState } | undefined;
  wantsWritable: boolean;
}

interface ReceiveSide {
  readonly buffer: ReceiveBuffer;
  readonly window: ReceiveWindow;
  stopSending: { readonly code: bigint; state: ControlState } | undefined;
  resetCode: bigint | undefined;
  // The application read the FIN or was told of the reset: nothing more will be read.
  done: boolean;
}

interface Stream {
  readonly id: number;
  readonly bidirectional: boolean;
  readonly local: boolean;
  readonly send: SendSide | undefined;
  readonly receive: ReceiveSide | undefined;
}

const EMPTY = new Uint8Array(0);
// A STREAM frame worth sending carries at least a few bytes past its header.
const MIN_STREAM_FRAME_ROOM = 8;
// The connection window follows the largest stream window with room for a second stream.
const CONNECTION_WINDOW_RATIO = 1.5;

/**
 * Stream state, flow control and stream frames for one connection.
 *
 * @internal
 */
export class StreamManager {
  readonly #role: StreamRole;
  readonly #local: LocalStreamLimits;
  readonly #maxStreamWindow: number;
  readonly #limits: StreamLimits;
  readonly #streams = new Map<number, Stream>();
  readonly #receiveWindow: ReceiveWindow;
  #sendCredit = new SendCredit(0);
  #peer: LocalStreamLimits | undefined;
  // Bytes written by the application and not framed yet, over all streams: they will need
  // connection credit, so they count against what a stream may still write.
  #unsent = 0;
  readonly #sendQueue = new Set<number>();
  readonly #maxStreamDataDue = new Set<number>();
  #maxDataDue = false;
  #maxDataResend = false;
  readonly #maxStreamsResend = { bidi: false, uni: false };
  readonly #controlQueue: { frame: Frame; record: SentFrame }[] = [];
  #events: QuicConnectionEvent[] = [];
  readonly #readablePending = new Set<number>();

  constructor(options: StreamManagerOptions) {
    this.#role = options.role;
    this.#local = options.local;
    this.#maxStreamWindow = options.maxStreamWindow;
    this.#limits = new StreamLimits({
      role: options.role,
      maxPeerBidiStreams: options.local.initialMaxStreamsBidi,
      maxPeerUniStreams: options.local.initialMaxStreamsUni,
    });
    this.#receiveWindow = new ReceiveWindow({
      initialWindow: options.local.initialMaxData,
      maxWindow: Math.max(options.local.initialMaxData, options.maxConnectionWindow),
    });
  }

  /** The connection-level receive window (MAX_DATA we grant). */
  get connectionReceiveWindow(): ReceiveWindow {
    return this.#receiveWindow;
  }

  /** The connection-level credit the peer granted us. */
  get connectionSendCredit(): SendCredit {
    return this.#sendCredit;
  }

  /** How many streams are held. */
  get size(): number {
    return this.#streams.size;
  }

  /** The receive window of a stream, for tests and diagnostics. */
  receiveWindowOf(id: number): ReceiveWindow | undefined {
    return this.#streams.get(id)?.receive?.window;
  }

  /** The credit the peer granted on a stream, for tests and diagnostics. */
  sendCreditOf(id: number): SendCredit | undefined {
    return this.#streams.get(id)?.send?.credit;
  }

  /** Applies the peer's transport parameters: credits and stream limits (§7.4). */
  applyPeerParameters(peer: LocalStreamLimits): void {
    this.#peer = peer;
    this.#sendCredit = new SendCredit(peer.initialMaxData);
    this.#limits.onMaxStreams(true, peer.initialMaxStreamsBidi);
    this.#limits.onMaxStreams(false, peer.initialMaxStreamsUni);
  }

  /** Queued events since the last call. */
  takeEvents(): QuicConnectionEvent[] {
    const events = this.#events;
    this.#events = [];
    this.#readablePending.clear();
    return events;
  }

  /** Whether any frame is waiting to be sent, flow control permitting. */
  get hasPendingFrames(): boolean {
    return (
      this.#sendQueue.size > 0 ||
      this.#controlQueue.length > 0 ||
      this.#maxStreamDataDue.size > 0 ||
      this.#maxDataDue ||
      this.#maxDataResend
    );
  }

  // ------------------------------------------------------------------------------------------
  // The application's side

  /** Whether `openStream` would succeed. */
  canOpenStream(bidirectional: boolean): boolean {
    return this.#limits.canOpenStream(bidirectional);
  }

  /** Opens a local stream, or queues STREAMS_BLOCKED and returns undefined at the peer's limit. */
  openStream(bidirectional: boolean): number | undefined {
    const id = this.#limits.openStream(bidirectional);
    if (id === undefined) {
      const limit = this.#limits.takeStreamsBlocked(bidirectional);
      if (limit !== undefined)
        this.#controlQueue.push({
          frame: { type: "streamsBlocked", bidirectional, limit },
          record: { kind: "streamsBlocked", bidirectional, limit },
        });
      return undefined;
    }
    this.#create(id);
    return id;
  }

  /** Appends data (and the FIN) to a stream's send buffer. Misuse throws: it is a bug here, not the peer's. */
  write(id: number, data: Uint8Array, fin: boolean): void {
    const send = this.#sendSide(id);
    if (send.reset !== undefined) throw new Error(`stream ${id} was reset`);
    if (send.buffer.isFinished) throw new Error(`stream ${id} was already ended`);
    send.buffer.write(data);
    this.#unsent += data.length;
    if (fin) send.buffer.finish();
    this.#sendQueue.add(id);
    if (this.#writable(send) === 0) send.wantsWritable = true;
  }

  /** How many bytes the stream can take before they wait on flow control; 0 also asks for a stream-writable event. */
  writable(id: number): number {
    const send = this.#streams.get(id)?.send;
    if (send === undefined || send.reset !== undefined || send.buffer.isFinished) return 0;
    const n = this.#writable(send);
    if (n === 0) send.wantsWritable = true;
    return n;
  }

  #writable(send: SendSide): number {
    const stream = send.credit.limit - send.buffer.writeOffset;
    const connection = this.#sendCredit.available - this.#unsent;
    return Math.max(0, Math.min(stream, connection));
  }

  /**
   * Up to `max` bytes of a stream's next in-order data, with `fin` once the end is reached;
   * undefined when nothing can be read now. Reading consumes flow control credit, which is
   * what lets the peer send more. `now` and `rtt` drive window auto-tuning.
   */
  read(id: number, max: number, now: number, rtt: number): { data: Uint8Array; fin: boolean } | undefined {
    const stream = this.#streams.get(id);
    const receive = stream?.receive;
    if (stream === undefined || receive === undefined || receive.done || receive.resetCode !== undefined)
      return undefined;
    const data = receive.buffer.read(max);
    if (data !== undefined) this.#consumed(stream, receive, data.length, now, rtt);
    if (!receive.buffer.isFinished) return data === undefined ? undefined : { data, fin: false };
    receive.done = true;
    this.#maybeForget(stream);
    return { data: data ?? EMPTY, fin: true };
  }

  #consumed(stream: Stream, receive: ReceiveSide, bytes: number, now: number, rtt: number): void {
    if (bytes === 0) return;
    receive.window.onConsumed(bytes, now, rtt);
    this.#receiveWindow.onConsumed(bytes, now, rtt);
    this.#receiveWindow.ensureWindow(receive.window.window * CONNECTION_WINDOW_RATIO);
    if (receive.window.isUpdateDue && receive.buffer.finalSize === undefined)
      this.#maxStreamDataDue.add(stream.id);
    if (this.#receiveWindow.isUpdateDue) this.#maxDataDue = true;
  }

  /** Abandons the sending half with RESET_STREAM (§3.2); a no-op once it is finished or reset. */
  reset(id: number, code: bigint): void {
    const stream = this.#streams.get(id);
    if (stream === undefined && this.#everOpened(id)) return;
    const send = stream?.send;
    if (send === undefined) throw new Error(`stream ${id} has no sending half to reset`);
    if (send.reset !== undefined || send.buffer.isAllAcked) return;
    this.#unsent -= send.buffer.writeOffset - send.buffer.sentOffset;
    const finalSize = send.buffer.reset();
    send.reset = { code, finalSize, state: "pending" };
    this.#sendQueue.delete(id);
  }

  /** Asks the peer to stop sending with STOP_SENDING (§3.5); data that still arrives is dropped. */
  stopSending(id: number, code: bigint, now: number, rtt: number): void {
    const stream = this.#streams.get(id);
    if (stream === undefined && this.#everOpened(id)) return;
    const receive = stream?.receive;
    if (stream === undefined || receive === undefined) throw new Error(`stream ${id} has no receiving half`);
    if (receive.done || receive.stopSending !== undefined) return;
    receive.stopSending = { code, state: "pending" };
    this.#discard(stream, receive, now, rtt);
  }

  // Bytes of a half the application gave up on still count as consumed, or the connection's
  // window would shrink for good.
  #discard(stream: Stream, receive: ReceiveSide, now: number, rtt: number): void {
    for (let data = receive.buffer.read(); data !== undefined; data = receive.buffer.read())
      this.#consumed(stream, receive, data.length, now, rtt);
    if (receive.buffer.isFinished) {
      receive.done = true;
      this.#maybeForget(stream);
    }
  }

  // A stream that existed and was forgotten once both halves finished: late calls are no-ops.
  #everOpened(id: number): boolean {
    if (!Number.isSafeInteger(id) || id < 0) return false;
    const bidirectional = isBidirectionalStream(id);
    const opened =
      streamInitiator(id) === this.#role
        ? this.#limits.localOpened(bidirectional)
        : this.#limits.peerOpened(bidirectional);
    return streamIndex(id) < opened;
  }

  #sendSide(id: number): SendSide {
    const send = this.#streams.get(id)?.send;
    if (send !== undefined) return send;
    throw new Error(this.#everOpened(id) ? `stream ${id} is closed` : `stream ${id} is not open for sending`);
  }

  // ------------------------------------------------------------------------------------------
  // Stream creation and removal

  #create(id: number): Stream {
    const bidirectional = isBidirectionalStream(id);
    const local = streamInitiator(id) === this.#role;
    const peer = this.#peer;
    const sendLimit = !local
      ? peer?.initialMaxStreamDataBidiLocal
      : bidirectional
        ? peer?.initialMaxStreamDataBidiRemote
        : peer?.initialMaxStreamDataUni;
    const receiveLimit = local
      ? this.#local.initialMaxStreamDataBidiLocal
      : bidirectional
        ? this.#local.initialMaxStreamDataBidiRemote
        : this.#local.initialMaxStreamDataUni;
    const stream: Stream = {
      id,
      bidirectional,
      local,
      send:
        bidirectional || local
          ? {
              buffer: new SendBuffer(),
              credit: new SendCredit(sendLimit ?? 0),
              reset: undefined,
              wantsWritable: false,
            }
          : undefined,
      receive: bidirectional || !local ? this.#newReceiveSide(receiveLimit) : undefined,
    };
    this.#streams.set(id, stream);
    return stream;
  }

  #newReceiveSide(limit: number): ReceiveSide {
    return {
      buffer: new ReceiveBuffer({
        maxOffset: limit,
        limitErrorCode: TransportErrorCode.FLOW_CONTROL_ERROR,
      }),
      window: new ReceiveWindow({
        initialWindow: limit,
        maxWindow: Math.max(limit, this.#maxStreamWindow),
        frameType: FrameType.STREAM,
      }),
      stopSending: undefined,
      resetCode: undefined,
      done: false,
    };
  }

  // Opens the peer streams a frame implies (§3.2) and returns the stream it names, or undefined
  // for one already forgotten.
  #streamFor(id: number, frameType: number): Stream | undefined {
    for (const opened of this.#limits.onStreamFrame(id, frameType)) {
      this.#create(opened);
      this.#events.push({ type: "stream-opened", id: opened });
    }
    return this.#streams.get(id);
  }

  #maybeForget(stream: Stream): void {
    const { send, receive } = stream;
    const sendDone =
      send === undefined ||
      (send.reset === undefined ? send.buffer.isAllAcked : send.reset.state === "acked");
    const receiveDone = receive === undefined || receive.done;
    if (!sendDone || !receiveDone) return;
    this.#streams.delete(stream.id);
    this.#sendQueue.delete(stream.id);
    this.#maxStreamDataDue.delete(stream.id);
    if (!stream.local) this.#limits.onPeerStreamClosed(stream.bidirectional);
  }

  // ------------------------------------------------------------------------------------------
  // Frames from the peer

  /** STREAM (§19.8). */
  onStream(frame: StreamFrame, now: number, rtt: number): void {
    const stream = this.#streamFor(frame.streamId, FrameType.STREAM);
    const receive = stream?.receive;
    if (stream === undefined || receive === undefined) return;
    const credit = receive.buffer.push(frame.offset, frame.data, frame.fin);
    receive.window.onReceived(credit);
    this.#receiveWindow.onReceived(credit);
    if (receive.done) return;
    if (receive.stopSending !== undefined || receive.resetCode !== undefined) {
      this.#discard(stream, receive, now, rtt);
      return;
    }
    if (receive.buffer.readableBytes > 0 || receive.buffer.isComplete) this.#readable(stream.id);
  }

  #readable(id: number): void {
    if (this.#readablePending.has(id)) return;
    this.#readablePending.add(id);
    this.#events.push({ type: "stream-readable", id });
  }

  /** RESET_STREAM (§19.4). */
  onResetStream(id: number, code: bigint, finalSize: number, now: number, rtt: number): void {
    const stream = this.#streamFor(id, FrameType.RESET_STREAM);
    const receive = stream?.receive;
    if (stream === undefined || receive === undefined) return;
    const first = receive.resetCode === undefined;
    const credit = receive.buffer.reset(finalSize);
    receive.window.onReceived(credit);
    this.#receiveWindow.onReceived(credit);
    if (!first || receive.done) return;
    receive.resetCode = code;
    // The bytes up to the final size will never be read: hand their credit back at once.
    const unread = finalSize - receive.buffer.readOffset;
    if (unread > 0) {
      receive.window.onConsumed(unread, now, rtt);
      this.#receiveWindow.onConsumed(unread, now, rtt);
      if (this.#receiveWindow.isUpdateDue) this.#maxDataDue = true;
    }
    receive.done = true;
    if (receive.stopSending === undefined) this.#events.push({ type: "stream-reset", id, code });
    this.#maybeForget(stream);
  }

  /** STOP_SENDING (§19.5): answered with RESET_STREAM carrying the same code (§3.5). */
  onStopSending(id: number, code: bigint): void {
    const stream = this.#streamFor(id, FrameType.STOP_SENDING);
    const send = stream?.send;
    if (stream === undefined || send === undefined) return;
    if (send.reset !== undefined || send.buffer.isAllAcked) return;
    this.reset(id, code);
    this.#events.push({ type: "stop-sending", id, code });
  }

  /** MAX_STREAM_DATA (§19.10). */
  onMaxStreamData(id: number, maximum: number): void {
    const stream = this.#streamFor(id, FrameType.MAX_STREAM_DATA);
    const send = stream?.send;
    if (stream === undefined || send === undefined || !send.credit.update(maximum)) return;
    if (send.buffer.hasDataToSend()) this.#sendQueue.add(id);
    this.#notifyWritable(stream);
  }

  /** MAX_DATA (§19.9). */
  onMaxData(maximum: number): void {
    if (!this.#sendCredit.update(maximum)) return;
    for (const stream of this.#streams.values()) this.#notifyWritable(stream);
  }

  #notifyWritable(stream: Stream): void {
    const send = stream.send;
    if (send === undefined || !send.wantsWritable || send.reset !== undefined) return;
    if (this.#writable(send) === 0) return;
    send.wantsWritable = false;
    this.#events.push({ type: "stream-writable", id: stream.id });
  }

  /** MAX_STREAMS (§19.11). */
  onMaxStreams(bidirectional: boolean, maximum: number): void {
    this.#limits.onMaxStreams(bidirectional, maximum);
  }

  /** STREAM_DATA_BLOCKED (§19.13): the peer may have missed our last MAX_STREAM_DATA. */
  onStreamDataBlocked(id: number, limit: number): void {
    const stream = this.#streamFor(id, FrameType.STREAM_DATA_BLOCKED);
    const receive = stream?.receive;
    if (receive !== undefined && receive.window.limit > limit && receive.buffer.finalSize === undefined)
      this.#maxStreamDataDue.add(id);
  }

  /** DATA_BLOCKED (§19.12): the peer may have missed our last MAX_DATA. */
  onDataBlocked(limit: number): void {
    if (this.#receiveWindow.limit > limit) this.#maxDataResend = true;
  }

  // ------------------------------------------------------------------------------------------
  // Frames to the peer

  /** Adds flow control, stream limit and stream state frames that fit. */
  writeControlFrames(payload: PacketPayload): void {
    this.#writeMaxData(payload);
    for (const id of this.#maxStreamDataDue) {
      const receive = this.#streams.get(id)?.receive;
      this.#maxStreamDataDue.delete(id);
      if (receive === undefined || receive.buffer.finalSize !== undefined) continue;
      const maximum = receive.window.takeUpdate() ?? receive.window.limit;
      receive.buffer.raiseMaxOffset(maximum);
      if (!payload.add({ type: "maxStreamData", streamId: id, maximum }, { kind: "maxStreamData", id })) {
        this.#maxStreamDataDue.add(id);
        return;
      }
    }
    for (const bidirectional of [true, false]) this.#writeMaxStreams(payload, bidirectional);
    this.#writeStreamStateFrames(payload);
    while (this.#controlQueue.length > 0) {
      const next = this.#controlQueue[0]!;
      if (!payload.add(next.frame, next.record)) return;
      this.#controlQueue.shift();
    }
  }

  #writeMaxData(payload: PacketPayload): void {
    if (!this.#maxDataDue && !this.#maxDataResend) return;
    const window = this.#receiveWindow;
    const maximum = (this.#maxDataDue ? window.takeUpdate() : undefined) ?? window.limit;
    const added = payload.add({ type: "maxData", maximum }, { kind: "maxData" });
    this.#maxDataDue = false;
    this.#maxDataResend = !added;
  }

  #writeMaxStreams(payload: PacketPayload, bidirectional: boolean): void {
    const key = bidirectional ? "bidi" : "uni";
    const update = this.#limits.takeMaxStreams(bidirectional);
    if (update === undefined && !this.#maxStreamsResend[key]) return;
    const maximum = update ?? this.#limits.peerLimit(bidirectional);
    this.#maxStreamsResend[key] = !payload.add(
      { type: "maxStreams", bidirectional, maximum },
      { kind: "maxStreams", bidirectional },
    );
  }

  #writeStreamStateFrames(payload: PacketPayload): void {
    for (const stream of this.#streams.values()) {
      const reset = stream.send?.reset;
      if (reset?.state === "pending") {
        const frame: Frame = {
          type: "resetStream",
          streamId: stream.id,
          errorCode: reset.code,
          finalSize: reset.finalSize,
        };
        if (!payload.add(frame, { kind: "resetStream", id: stream.id })) return;
        reset.state = "sent";
      }
      const stop = stream.receive?.stopSending;
      if (stop?.state === "pending" && !stream.receive!.done) {
        const frame: Frame = { type: "stopSending", streamId: stream.id, errorCode: stop.code };
        if (!payload.add(frame, { kind: "stopSending", id: stream.id })) return;
        stop.state = "sent";
      }
    }
  }

  /** Adds STREAM frames, lost data first within each stream, streams taking turns. */
  writeStreamFrames(payload: PacketPayload): void {
    let progress = true;
    while (progress && payload.room >= MIN_STREAM_FRAME_ROOM) {
      progress = false;
      // A snapshot: streams re-queued below must wait for the next round, not loop in this one.
      for (const id of [...this.#sendQueue]) {
        if (payload.room < MIN_STREAM_FRAME_ROOM) return;
        if (this.#writeFromStream(payload, id)) progress = true;
      }
    }
  }

  #writeFromStream(payload: PacketPayload, id: number): boolean {
    const send = this.#streams.get(id)?.send;
    if (send === undefined || send.reset !== undefined || !send.buffer.hasDataToSend()) {
      this.#sendQueue.delete(id);
      return false;
    }
    const newDataLimit = Math.min(send.credit.limit, send.buffer.sentOffset + this.#sendCredit.available);
    if (!send.buffer.hasDataToSend(newDataLimit)) {
      this.#reportBlocked(id, send);
      return false;
    }
    const wrote = this.#writeStreamFrame(payload, id, send, newDataLimit);
    // Round robin: a stream with more to send goes to the back of the queue.
    this.#sendQueue.delete(id);
    if (send.buffer.hasDataToSend()) this.#sendQueue.add(id);
    return wrote;
  }

  #writeStreamFrame(payload: PacketPayload, id: number, send: SendSide, newDataLimit: number): boolean {
    const buffer = send.buffer;
    const overhead = dataFrameOverhead(id, Math.max(buffer.writeOffset, buffer.sentOffset), payload.room);
    const maxBytes = payload.room - overhead;
    if (maxBytes < 0) return false;
    const out = buffer.nextFrame(maxBytes, newDataLimit);
    if (out === undefined) return false;
    if (!out.retransmission) {
      send.credit.consume(out.data.length);
      this.#sendCredit.consume(out.data.length);
      this.#unsent -= out.data.length;
    }
    payload.add(
      { type: "stream", streamId: id, offset: out.offset, data: out.data, fin: out.fin },
      { kind: "stream", id, offset: out.offset, length: out.data.length, fin: out.fin },
    );
    return true;
  }

  #reportBlocked(id: number, send: SendSide): void {
    if (send.credit.available === 0) {
      const limit = send.credit.takeBlocked();
      if (limit !== undefined)
        this.#controlQueue.push({
          frame: { type: "streamDataBlocked", streamId: id, limit },
          record: { kind: "streamDataBlocked", id, limit },
        });
    }
    if (this.#sendCredit.available === 0) {
      const limit = this.#sendCredit.takeBlocked();
      if (limit !== undefined)
        this.#controlQueue.push({
          frame: { type: "dataBlocked", limit },
          record: { kind: "dataBlocked", limit },
        });
    }
  }

  // ------------------------------------------------------------------------------------------
  // Acknowledgement and loss of what we sent

  /** A packet carrying `record` was acknowledged. */
  onAcked(record: SentFrame): void {
    switch (record.kind) {
      case "stream": {
        const stream = this.#streams.get(record.id);
        if (stream?.send === undefined) return;
        stream.send.buffer.onAcked(record.offset, record.length, record.fin);
        this.#maybeForget(stream);
        return;
      }
      case "resetStream": {
        const stream = this.#streams.get(record.id);
        if (stream?.send?.reset === undefined) return;
        stream.send.reset.state = "acked";
        this.#maybeForget(stream);
        return;
      }
      case "stopSending": {
        const stop = this.#streams.get(record.id)?.receive?.stopSending;
        if (stop !== undefined) stop.state = "acked";
        return;
      }
      default:
        return;
    }
  }

  /** A packet carrying `record` was lost: what still matters is sent again (§13.3). */
  onLost(record: SentFrame): void {
    switch (record.kind) {
      case "stream": {
        const send = this.#streams.get(record.id)?.send;
        if (send === undefined || send.reset !== undefined) return;
        send.buffer.onLost(record.offset, record.length, record.fin);
        if (send.buffer.hasRetransmission) this.#sendQueue.add(record.id);
        return;
      }
      case "resetStream": {
        const reset = this.#streams.get(record.id)?.send?.reset;
        if (reset !== undefined && reset.state === "sent") reset.state = "pending";
        return;
      }
      case "stopSending": {
        const receive = this.#streams.get(record.id)?.receive;
        if (receive?.stopSending?.state === "sent" && !receive.done) receive.stopSending.state = "pending";
        return;
      }
      case "maxData":
        this.#maxDataResend = true;
        return;
      case "maxStreamData":
        if (this.#streams.get(record.id)?.receive?.buffer.finalSize === undefined)
          this.#maxStreamDataDue.add(record.id);
        return;
      case "maxStreams":
        this.#maxStreamsResend[record.bidirectional ? "bidi" : "uni"] = true;
        return;
      case "streamDataBlocked": {
        const credit = this.#streams.get(record.id)?.send?.credit;
        if (credit !== undefined && credit.available === 0 && credit.limit === record.limit)
          this.#controlQueue.push({
            frame: { type: "streamDataBlocked", streamId: record.id, limit: record.limit },
            record,
          });
        return;
      }
      case "dataBlocked":
        if (this.#sendCredit.available === 0 && this.#sendCredit.limit === record.limit)
          this.#controlQueue.push({ frame: { type: "dataBlocked", limit: record.limit }, record });
        return;
      case "streamsBlocked":
        if (
          !this.#limits.canOpenStream(record.bidirectional) &&
          this.#limits.localLimit(record.bidirectional) === record.limit
        )
          this.#controlQueue.push({
            frame: { type: "streamsBlocked", bidirectional: record.bidirectional, limit: record.limit },
            record,
          });
        return;
      default:
        return;
    }
  }
}
