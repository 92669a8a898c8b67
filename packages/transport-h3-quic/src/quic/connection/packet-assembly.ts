/**
 * Turning frame payloads into protected packets and packets into one datagram (RFC 9000 §12.2,
 * §14.1, §17; RFC 9001 §5.4.2).
 *
 * Header sizes are known before the payload is: the Length field of a long header is always
 * two bytes here (no datagram reaches 16 KiB), and the packet number length depends only on the
 * number and the largest one the peer acknowledged. So a packet's room is fixed first, frames
 * fill it, and padding, which only the whole datagram can decide on, goes into its last packet.
 *
 * What goes into a packet, in order: an ACK frame when one is due (never limited by the
 * congestion window, RFC 9002 §7), then, while the window and the pacer allow, control frames,
 * CRYPTO data and STREAM data (lost data before new, within each stream), and a PING when a
 * probe must be ack-eliciting and has nothing else to carry.
 *
 * @packageDocumentation
 */

import { concatBytes } from "../buffer.js";
import type { PacketProtectionKeys } from "../crypto/packet-keys.js";
import { serializeLongHeader, serializeShortHeader } from "../packet/header.js";
import { type PacketNumberLength, packetNumberLength } from "../packet/packet-number.js";
import { protectPacket } from "../packet/packet-protection.js";
import { PACKET_NUMBER_SPACES, type PacketNumberSpace } from "../recovery/packet-number-space.js";
import { varintLength } from "../varint.js";
import type { ConnectionContext } from "./connection-context.js";
import { dataFrameOverhead, PacketPayload } from "./packet-payload.js";
import type { PacketSpace } from "./packet-space.js";

/**
 * The AEAD tag every suite QUIC v1 uses adds to a payload.
 *
 * @internal
 */
export const AEAD_TAG_LENGTH = 16;

/**
 * The smallest datagram that may carry a client's Initial, and any ack-eliciting Initial (RFC 9000 §14.1).
 *
 * @internal
 */
export const MIN_INITIAL_DATAGRAM = 1200;

// A packet with less room than this is not worth starting.
const MIN_PAYLOAD_ROOM = 24;
// RFC 9000 §13.2.4: packets holding only ACK frames are never acknowledged for themselves, so
// loss detection would keep every one of them; a PING now and then gets them acknowledged.
const MAX_ACK_ONLY_PACKETS = 24;
// The Length field of long headers, fixed so the header can be sized before the payload.
const LENGTH_FIELD_SIZE = 2;
// RFC 9001 §5.4.2: the header protection sample starts 4 bytes after the packet number.
const SAMPLE_REACH = 4;

/**
 * What identifies the packet being built: its space, number and connection IDs.
 *
 * @internal
 */
export interface PacketHeaderInfo {
  readonly space: PacketNumberSpace;
  readonly packetNumber: number;
  readonly packetNumberLength: PacketNumberLength;
  readonly dcid: Uint8Array;
  /** Long headers only. */
  readonly scid: Uint8Array;
  /** Initial packets only: the client's token (empty from a server). */
  readonly token: Uint8Array;
  /** Short headers only. */
  readonly keyPhase: boolean;
}

/**
 * The packet number length for `packetNumber` given the largest the peer acknowledged, or -1 for none.
 *
 * @internal
 */
export function packetNumberLengthFor(packetNumber: number, largestAcked: number): PacketNumberLength {
  return packetNumberLength(packetNumber, largestAcked < 0 ? undefined : largestAcked);
}

/**
 * The bytes a packet takes besides its payload: header and AEAD tag.
 *
 * @internal
 */
export function packetOverhead(info: PacketHeaderInfo): number {
  if (info.space === "application") return 1 + info.dcid.length + info.packetNumberLength + AEAD_TAG_LENGTH;
  const token = info.space === "initial" ? varintLength(info.token.length) + info.token.length : 0;
  return (
    1 +
    4 +
    1 +
    info.dcid.length +
    1 +
    info.scid.length +
    token +
    LENGTH_FIELD_SIZE +
    info.packetNumberLength +
    AEAD_TAG_LENGTH
  );
}

/**
 * Pads a payload so header protection has a full sample to take (RFC 9001 §5.4.2).
 *
 * @internal
 */
export function padForSample(payload: PacketPayload, pnLength: PacketNumberLength): void {
  payload.pad(SAMPLE_REACH - pnLength - payload.length);
}

/**
 * Serialises the header and protects the packet.
 *
 * @internal
 */
export function sealPacket(
  info: PacketHeaderInfo,
  keys: PacketProtectionKeys,
  payload: Uint8Array,
): Uint8Array {
  const header =
    info.space === "application"
      ? serializeShortHeader({
          dcid: info.dcid,
          packetNumber: info.packetNumber,
          packetNumberLength: info.packetNumberLength,
          keyPhase: info.keyPhase,
        })
      : serializeLongHeader({
          type: info.space,
          dcid: info.dcid,
          scid: info.scid,
          ...(info.space === "initial" ? { token: info.token } : {}),
          packetNumber: info.packetNumber,
          packetNumberLength: info.packetNumberLength,
          payloadLength: payload.length + AEAD_TAG_LENGTH,
          lengthFieldSize: LENGTH_FIELD_SIZE,
        });
  return protectPacket(keys, header, info.packetNumber, payload);
}

interface BuiltPacket {
  readonly info: PacketHeaderInfo;
  readonly payload: PacketPayload;
  readonly keys: PacketProtectionKeys;
  readonly ack: boolean;
}

/**
 * A datagram ready to send, and whether it holds a Handshake packet (a client then drops its
 * Initial keys, RFC 9001 §4.9.1).
 *
 * @internal
 */
export interface AssembledDatagram {
  readonly datagram: Uint8Array;
  readonly handshakeSent: boolean;
}

/**
 * The next datagram to send at `now`, coalescing a packet per space that has something to say,
 * or undefined when nothing may or needs to go now.
 *
 * @internal
 */
export function assembleDatagram(ctx: ConnectionContext, now: number): AssembledDatagram | undefined {
  const dataAllowed = isDataAllowed(ctx, now);
  const packets: BuiltPacket[] = [];
  let used = 0;
  for (const space of PACKET_NUMBER_SPACES) {
    const keys = ctx.sendKeys(space);
    if (keys === undefined || !ctx.canSendIn(space)) continue;
    const info = ctx.headerInfo(space);
    const capacity = ctx.maxDatagramSize - used - packetOverhead(info);
    if (capacity < MIN_PAYLOAD_ROOM) break;
    const probe = ctx.probe?.space === space;
    const built = buildPacket(ctx, info, keys, capacity, now, dataAllowed || probe, probe);
    if (built === undefined) continue;
    packets.push(built);
    used += packetOverhead(info) + built.payload.length;
  }
  if (packets.length === 0) {
    // RFC 9002 §7.8: a window that was not filled for want of data has not been tested.
    if (dataAllowed && !hasDataToSend(ctx)) ctx.recovery.congestion.appLimited = true;
    return undefined;
  }
  padDatagram(ctx, packets, used);
  return finishDatagram(ctx, packets, now);
}

/**
 * Whether anything but an ACK is waiting to be sent.
 *
 * @internal
 */
export function hasDataToSend(ctx: ConnectionContext): boolean {
  if (ctx.controlFrames.length > 0 || ctx.pingPending || ctx.streams.hasPendingFrames) return true;
  return PACKET_NUMBER_SPACES.some(
    (space) => ctx.canSendIn(space) && ctx.spaces[space].cryptoSend.hasDataToSend(),
  );
}

// Whether ack-eliciting data may go now: the congestion window has room for a full datagram
// and the pacer has tokens for it (RFC 9002 §7, §7.7). ACK-only packets are exempt.
function isDataAllowed(ctx: ConnectionContext, now: number): boolean {
  const { congestion, pacer, loss } = ctx.recovery;
  const size = ctx.maxDatagramSize;
  if (!congestion.canSend(size)) {
    congestion.appLimited = false;
    return false;
  }
  const at = pacer.nextSendTime(now, size, congestion.congestionWindow, loss.rtt.smoothedRtt);
  ctx.pacingDeadline = at > now ? at : undefined;
  return at <= now;
}

function buildPacket(
  ctx: ConnectionContext,
  info: PacketHeaderInfo,
  keys: PacketProtectionKeys,
  capacity: number,
  now: number,
  data: boolean,
  probe: boolean,
): BuiltPacket | undefined {
  const ps = ctx.spaces[info.space];
  const payload = new PacketPayload(capacity);
  const ack = ps.acks.hasUnacknowledged ? ps.acks.ackFrame(now) : undefined;
  const ackRecord =
    ack === undefined ? undefined : ({ kind: "ack", largest: ack.ranges[0]!.largest } as const);
  let ackAdded = ack !== undefined && ps.acks.ackDue(now) && payload.add(ack, ackRecord);
  if (data) writeData(ctx, ps, payload);
  if (probe && !payload.ackEliciting) payload.add({ type: "ping" });
  // An ACK that is not due yet rides along with data, never alone.
  if (ack !== undefined && !ackAdded && payload.ackEliciting) ackAdded = payload.add(ack, ackRecord);
  if (payload.isEmpty) return undefined;
  return { info, payload, keys, ack: ackAdded };
}

function writeData(ctx: ConnectionContext, ps: PacketSpace, payload: PacketPayload): void {
  const application = ps.space === "application";
  if (application) {
    writeControlFrames(ctx, payload);
    ctx.streams.writeControlFrames(payload);
  }
  writeCrypto(ps, payload);
  if (application) ctx.streams.writeStreamFrames(payload);
}

function writeControlFrames(ctx: ConnectionContext, payload: PacketPayload): void {
  while (ctx.controlFrames.length > 0) {
    const next = ctx.controlFrames[0]!;
    if (!payload.add(next.frame, next.record)) return;
    ctx.controlFrames.shift();
  }
  if (ctx.pingPending && payload.add({ type: "ping" })) ctx.pingPending = false;
}

function writeCrypto(ps: PacketSpace, payload: PacketPayload): void {
  const buffer = ps.cryptoSend;
  while (buffer.hasDataToSend()) {
    const end = Math.max(buffer.writeOffset, buffer.sentOffset);
    const maxBytes = payload.room - dataFrameOverhead(undefined, end, payload.room);
    if (maxBytes <= 0) return;
    const out = buffer.nextFrame(maxBytes);
    if (out === undefined) return;
    payload.add(
      { type: "crypto", offset: out.offset, data: out.data },
      { kind: "crypto", offset: out.offset, length: out.data.length },
    );
  }
}

// RFC 9000 §14.1: a client pads every datagram with an Initial to 1200 bytes, a server those
// with an ack-eliciting Initial. The padding goes in the last packet, where it cannot shift
// the packets after it.
function padDatagram(ctx: ConnectionContext, packets: BuiltPacket[], used: number): void {
  const initial = packets.find((p) => p.info.space === "initial");
  const needsPadding = initial !== undefined && (ctx.role === "client" || initial.payload.ackEliciting);
  if (needsPadding && used < MIN_INITIAL_DATAGRAM) packets.at(-1)!.payload.pad(MIN_INITIAL_DATAGRAM - used);
  for (const packet of packets) padForSample(packet.payload, packet.info.packetNumberLength);
}

function finishDatagram(
  ctx: ConnectionContext,
  packets: readonly BuiltPacket[],
  now: number,
): AssembledDatagram {
  const sealed: Uint8Array[] = [];
  for (const packet of packets) {
    const bytes = sealPacket(packet.info, packet.keys, packet.payload.bytes());
    sealed.push(bytes);
    onPacketSealed(ctx, packet, bytes.length, now);
  }
  const datagram = concatBytes(sealed);
  ctx.counters.bytesSent += datagram.length;
  return { datagram, handshakeSent: packets.some((p) => p.info.space === "handshake") };
}

function onPacketSealed(ctx: ConnectionContext, packet: BuiltPacket, size: number, now: number): void {
  const { info, payload } = packet;
  const ps = ctx.spaces[info.space];
  const application = info.space === "application";
  ps.takePacketNumber();
  if (packet.ack) ps.acks.onAckSent();
  const ackEliciting = payload.ackEliciting;
  ctx.recovery.loss.onPacketSent({
    packetNumber: info.packetNumber,
    space: info.space,
    timeSent: now,
    size,
    ackEliciting,
    inFlight: ackEliciting || payload.hasPadding,
    frames: payload.sent,
  });
  if (application) ctx.oneRtt?.onPacketSent(info.packetNumber);
  ctx.counters.packetsSent++;
  if (!ackEliciting) {
    if (application && ++ctx.ackOnlyPackets >= MAX_ACK_ONLY_PACKETS) ctx.pingPending = true;
    return;
  }
  if (application) ctx.ackOnlyPackets = 0;
  const { pacer, congestion, loss } = ctx.recovery;
  pacer.onPacketSent(now, size, congestion.congestionWindow, loss.rtt.smoothedRtt);
  if (ctx.probe?.space === info.space && --ctx.probe.count <= 0) ctx.probe = undefined;
  // RFC 9000 §10.1: the first ack-eliciting packet after a receipt restarts the idle timer.
  if (!ctx.ackElicitingSinceActivity) {
    ctx.lastActivity = now;
    ctx.ackElicitingSinceActivity = true;
  }
}

/**
 * The closing state's datagram: CONNECTION_CLOSE in every space the peer may still read
 * (RFC 9000 §10.2.3), once per `closing.pending`.
 *
 * @internal
 */
export function assembleCloseDatagram(ctx: ConnectionContext): Uint8Array | undefined {
  const closing = ctx.closing;
  const frames = closing?.frames;
  if (closing === undefined || frames === undefined || !closing.pending) return undefined;
  closing.pending = false;
  const packets: BuiltPacket[] = [];
  let used = 0;
  for (const space of PACKET_NUMBER_SPACES) {
    const keys = ctx.sendKeys(space);
    if (keys === undefined || !ctx.canSendIn(space)) continue;
    // Once the handshake is confirmed the peer only reads 1-RTT packets.
    if (ctx.handshakeConfirmed && space !== "application") continue;
    const info = ctx.headerInfo(space);
    const payload = new PacketPayload(ctx.maxDatagramSize - used - packetOverhead(info));
    if (!payload.add(space === "application" ? frames.oneRtt : frames.handshake)) continue;
    packets.push({ info, payload, keys, ack: false });
    used += packetOverhead(info) + payload.length;
  }
  if (packets.length === 0) return undefined;
  padDatagram(ctx, packets, used);
  const sealed = packets.map((packet) => {
    ctx.spaces[packet.info.space].takePacketNumber();
    return sealPacket(packet.info, packet.keys, packet.payload.bytes());
  });
  const datagram = concatBytes(sealed);
  ctx.counters.packetsSent += sealed.length;
  ctx.counters.bytesSent += datagram.length;
  return datagram;
}
