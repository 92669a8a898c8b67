/**
 * What each received frame does to a connection (RFC 9000 §19), and what acknowledgement or
 * loss of the frames we sent does (RFC 9002 §6, RFC 9000 §13.3).
 *
 * `decodeFrames` has already applied the §12.4 rules on which packet types may carry which
 * frames. Checks that need connection state are here and in `StreamManager`, each throwing the
 * `QuicError` the RFC names; the core turns any throw into CONNECTION_CLOSE. Frames that change
 * the connection's state (CRYPTO, CONNECTION_CLOSE, HANDSHAKE_DONE) go back to the core.
 *
 * @packageDocumentation
 */

import { QuicError, TransportErrorCode } from "../errors.js";
import { type AckFrame, type ConnectionCloseFrame, type Frame, FrameType } from "../frames/frame.js";
import type { SentPacket } from "../recovery/loss-detection.js";
import type { PacketNumberSpace } from "../recovery/packet-number-space.js";
import { decodeAckDelay } from "../recovery/received-packets.js";
import type { ConnectionContext } from "./connection-context.js";
import { sameConnectionId } from "./connection-id.js";
import type { OpenedPacket } from "./packet-receipt.js";
import type { SentFrame } from "./sent-frame.js";

const MAX_PENDING_PATH_RESPONSES = 8;

/**
 * The frames whose effect is a transition of the connection, made by the core.
 *
 * @internal
 */
export interface FrameTransitions {
  /** CRYPTO data arrived at a level; the core feeds the handshake. */
  onCrypto(space: PacketNumberSpace, offset: number, data: Uint8Array, now: number): void;
  /** The peer closed the connection. */
  onPeerClose(frame: ConnectionCloseFrame, now: number): void;
  /** The server confirmed the handshake. */
  onHandshakeDone(now: number): void;
}

/**
 * Applies the frames of one opened packet, stopping if one of them ends the connection.
 *
 * @internal
 */
export function processFrames(
  ctx: ConnectionContext,
  frames: readonly Frame[],
  packet: OpenedPacket,
  now: number,
  transitions: FrameTransitions,
): void {
  for (const frame of frames) {
    processFrame(ctx, frame, packet, now, transitions);
    if (!ctx.isOpen) return;
  }
}

function processFrame(
  ctx: ConnectionContext,
  frame: Frame,
  packet: OpenedPacket,
  now: number,
  transitions: FrameTransitions,
): void {
  const streams = ctx.streams;
  const rtt = ctx.recovery.loss.rtt.smoothedRtt;
  switch (frame.type) {
    case "padding":
    case "ping":
    case "streamsBlocked":
    // We never send PATH_CHALLENGE; an unsolicited response is ignored (RFC 9000 §19.18 allows that).
    case "pathResponse":
      return;
    case "ack":
      onAck(ctx, packet.space, frame, now);
      return;
    case "crypto":
      transitions.onCrypto(packet.space, frame.offset, frame.data, now);
      return;
    case "stream":
      streams.onStream(frame, now, rtt);
      return;
    case "resetStream":
      streams.onResetStream(frame.streamId, frame.errorCode, frame.finalSize, now, rtt);
      return;
    case "stopSending":
      streams.onStopSending(frame.streamId, frame.errorCode);
      return;
    case "maxData":
      streams.onMaxData(frame.maximum);
      return;
    case "maxStreamData":
      streams.onMaxStreamData(frame.streamId, frame.maximum);
      return;
    case "maxStreams":
      streams.onMaxStreams(frame.bidirectional, frame.maximum);
      return;
    case "dataBlocked":
      streams.onDataBlocked(frame.limit);
      return;
    case "streamDataBlocked":
      streams.onStreamDataBlocked(frame.streamId, frame.limit);
      return;
    case "newConnectionId":
      ctx.peerConnectionIds.onNewConnectionId(frame);
      queueRetirements(ctx);
      return;
    case "retireConnectionId":
      onRetireConnectionId(ctx, frame.sequenceNumber, packet.dcid);
      return;
    case "pathChallenge":
      onPathChallenge(ctx, frame.data);
      return;
    case "connectionClose":
      transitions.onPeerClose(frame, now);
      return;
    case "newToken":
      onlyFromServer(ctx, FrameType.NEW_TOKEN);
      ctx.receivedToken = frame.token.slice();
      return;
    case "handshakeDone":
      onlyFromServer(ctx, FrameType.HANDSHAKE_DONE);
      transitions.onHandshakeDone(now);
      return;
  }
}

// RFC 9000 §8.2.2: echo the data, once, never retransmitted. A peer packing challenges faster
// than we send could otherwise grow the queue without bound; the excess goes unanswered,
// which a peer validating a path simply retries.
function onPathChallenge(ctx: ConnectionContext, data: Uint8Array): void {
  const pending = ctx.controlFrames.filter(({ frame }) => frame.type === "pathResponse").length;
  if (pending >= MAX_PENDING_PATH_RESPONSES) return;
  ctx.controlFrames.push({ frame: { type: "pathResponse", data: data.slice() }, record: undefined });
}

// RFC 9000 §19.7, §19.20: a server treats these from a client as PROTOCOL_VIOLATION.
function onlyFromServer(ctx: ConnectionContext, frameType: number): void {
  if (ctx.role === "server")
    throw new QuicError(TransportErrorCode.PROTOCOL_VIOLATION, "a client sent a server-only frame", {
      frameType,
    });
}

function queueRetirements(ctx: ConnectionContext): void {
  for (const sequenceNumber of ctx.peerConnectionIds.takeRetirements()) {
    const frame: Frame = { type: "retireConnectionId", sequenceNumber };
    ctx.controlFrames.push({ frame, record: { kind: "frame", frame } });
  }
}

function onRetireConnectionId(ctx: ConnectionContext, sequenceNumber: number, dcid: Uint8Array): void {
  const cid = ctx.localConnectionIds.get(sequenceNumber);
  const largest = Math.max(...ctx.localConnectionIds.keys());
  // RFC 9000 §19.16: a sequence number never issued, or the ID this very packet was sent to.
  if (sequenceNumber > largest || (cid !== undefined && sameConnectionId(cid, dcid)))
    throw new QuicError(
      TransportErrorCode.PROTOCOL_VIOLATION,
      `RETIRE_CONNECTION_ID for sequence ${sequenceNumber}, which cannot be retired`,
      { frameType: FrameType.RETIRE_CONNECTION_ID },
    );
  if (ctx.localConnectionIds.size > 1) ctx.localConnectionIds.delete(sequenceNumber);
}

function onAck(ctx: ConnectionContext, space: PacketNumberSpace, frame: AckFrame, now: number): void {
  const exponent = ctx.peer?.ackDelayExponent ?? 3;
  const outcome = ctx.recovery.loss.onAckReceived(
    space,
    frame,
    decodeAckDelay(frame.ackDelay, exponent),
    now,
  );
  for (const packet of outcome.acked) for (const record of packet.frames) onRecordAcked(ctx, space, record);
  if (space === "application") ctx.oneRtt?.onAckReceived(frame.ranges[0]!.largest);
  onPacketsLost(ctx, space, outcome.lost);
}

function onRecordAcked(ctx: ConnectionContext, space: PacketNumberSpace, record: SentFrame): void {
  if (record.kind === "ack") ctx.spaces[space].acks.onAckAcknowledged(record.largest);
  else if (record.kind === "crypto")
    ctx.spaces[space].cryptoSend.onAcked(record.offset, record.length, false);
  else if (record.kind !== "frame") ctx.streams.onAcked(record);
}

/**
 * Queues again what lost packets carried, where it still matters.
 *
 * @internal
 */
export function onPacketsLost(
  ctx: ConnectionContext,
  space: PacketNumberSpace,
  lost: readonly SentPacket<SentFrame[]>[],
): void {
  for (const packet of lost) {
    // An ACK-only packet is never acknowledged on its own; its "loss" costs nothing.
    if (packet.inFlight) ctx.counters.packetsLost++;
    for (const record of packet.frames) requeue(ctx, space, record);
  }
}

/**
 * Queues one sent frame's content again: data by range, flow control by its current value.
 *
 * @internal
 */
export function requeue(ctx: ConnectionContext, space: PacketNumberSpace, record: SentFrame): void {
  if (record.kind === "ack") return;
  if (record.kind === "crypto") {
    const ps = ctx.spaces[space];
    if (!ps.discarded) ps.cryptoSend.onLost(record.offset, record.length, false);
  } else if (record.kind === "frame") {
    ctx.controlFrames.push({ frame: record.frame, record });
  } else {
    ctx.streams.onLost(record);
  }
}
