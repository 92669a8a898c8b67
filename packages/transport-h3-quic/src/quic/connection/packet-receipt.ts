/**
 * Removing protection from received packets (RFC 9001 §5.4–5.5, §6) and holding those that
 * arrive before their keys (§5.7).
 *
 * Nothing here throws for a bad packet: one that does not parse, is not addressed to us or
 * does not authenticate is dropped (RFC 9000 §12.2, RFC 9001 §5.5), since anyone on the path can
 * send a datagram. What throws is a real connection error: PROTOCOL_VIOLATION for reserved
 * bits in a packet that did authenticate, AEAD_LIMIT_REACHED after too many forgeries.
 *
 * @packageDocumentation
 */

import { QuicError, TransportErrorCode } from "../errors.js";
import type { PacketType } from "../frames/frame.js";
import {
  type LongHeaderPacket,
  type ParsedPacket,
  parseDatagram,
  parsePacket,
  type RetryPacket,
  type ShortHeaderPacket,
  type VersionNegotiationPacket,
} from "../packet/header.js";
import {
  removeHeaderProtection,
  type UnprotectedPacket,
  unprotectPacket,
} from "../packet/packet-protection.js";
import type { PacketNumberSpace } from "../recovery/packet-number-space.js";
import type { ConnectionContext } from "./connection-context.js";
import { sameConnectionId } from "./connection-id.js";
import type { OneRttKeys } from "./one-rtt-keys.js";
import type { PacketSpace } from "./packet-space.js";

/**
 * A 1-RTT packet with protection removed.
 *
 * @internal
 */
export interface OpenedShortPacket {
  readonly packetNumber: number;
  readonly payload: Uint8Array;
  readonly keyUpdated: boolean;
}

function largestReceived(space: PacketSpace): number | undefined {
  const largest = space.acks.largestReceived;
  return largest < 0 ? undefined : largest;
}

/**
 * Opens an Initial or Handshake packet with its space's receive keys; undefined to drop it,
 * including a packet number already processed (RFC 9000 §12.3).
 *
 * @internal
 */
export function openLongHeaderPacket(
  space: PacketSpace,
  packet: LongHeaderPacket,
): UnprotectedPacket | undefined {
  const keys = space.receiveKeys;
  if (keys === undefined) return undefined;
  const opened = unprotectPacket(keys, packet.packet, packet.pnOffset, largestReceived(space));
  if (opened === undefined || space.acks.isDuplicate(opened.packetNumber)) return undefined;
  return opened;
}

/**
 * Opens a 1-RTT packet, choosing the key phase by its Key Phase bit; undefined to drop it.
 * `retainFor` is how long keys of a phase this packet ends stay usable (three PTOs).
 *
 * @internal
 */
export function openShortHeaderPacket(
  keys: OneRttKeys,
  space: PacketSpace,
  packet: ShortHeaderPacket,
  now: number,
  retainFor: number,
): OpenedShortPacket | "duplicate" | undefined {
  const header = removeHeaderProtection(
    keys.receiveHeaderProtection,
    packet.packet,
    packet.pnOffset,
    largestReceived(space),
  );
  if (header === undefined) return undefined;
  // A duplicate is dropped before the AEAD runs; it can no longer move the key phase.
  if (space.acks.isDuplicate(header.packetNumber)) return "duplicate";
  const opened = keys.open(header, packet.packet, now, retainFor);
  if (opened === undefined) return undefined;
  return { packetNumber: header.packetNumber, payload: opened.payload, keyUpdated: opened.keyUpdated };
}

/**
 * Which keys a held packet waits for.
 *
 * @internal
 */
export type AwaitedKeys = "handshake" | "application";

interface HeldPacket {
  readonly awaits: AwaitedKeys;
  readonly bytes: Uint8Array;
}

// A server's whole first flight is a handful of datagrams; holding more than this only helps an
// attacker make us store garbage.
const MAX_HELD_PACKETS = 16;
const MAX_HELD_BYTES = 64 * 1024;

/**
 * Packets that arrived before the keys to open them, kept (copied) until those keys exist or
 * the budget runs out; reordering across a key change then costs no retransmission.
 *
 * @internal
 */
export class UndecryptablePackets {
  #held: HeldPacket[] = [];
  #bytes = 0;

  /** Keeps a copy of one packet, or drops it when the budget is spent. */
  hold(awaits: AwaitedKeys, packet: Uint8Array): void {
    if (this.#held.length >= MAX_HELD_PACKETS || this.#bytes + packet.length > MAX_HELD_BYTES) return;
    this.#held.push({ awaits, bytes: packet.slice() });
    this.#bytes += packet.length;
  }

  /** Takes the packets waiting for keys that `available` says now exist, oldest first. */
  take(available: (awaits: AwaitedKeys) => boolean): Uint8Array[] {
    const ready = this.#held.filter((held) => available(held.awaits));
    if (ready.length === 0) return [];
    this.#held = this.#held.filter((held) => !available(held.awaits));
    this.#bytes = this.#held.reduce((n, held) => n + held.bytes.length, 0);
    return ready.map((held) => held.bytes);
  }

  /** Forgets every held packet. */
  clear(): void {
    this.#held = [];
    this.#bytes = 0;
  }
}

/**
 * A packet with protection removed, ready for its frames to be processed.
 *
 * @internal
 */
export interface OpenedPacket {
  readonly packetType: PacketType;
  readonly space: PacketNumberSpace;
  readonly packetNumber: number;
  readonly payload: Uint8Array;
  /** The Destination Connection ID it was sent to. */
  readonly dcid: Uint8Array;
}

/**
 * Where opened packets, and a client's Retry and Version Negotiation packets, go.
 *
 * @internal
 */
export interface PacketSink {
  onPacket(packet: OpenedPacket, now: number): void;
  onRetry?(packet: RetryPacket, now: number): void;
  onVersionNegotiation?(packet: VersionNegotiationPacket, now: number): void;
}

/**
 * Opens and hands on every packet of a datagram (RFC 9000 §12.2) until the connection stops
 * being open; returns whether any packet was opened, which decides whether the datagram might
 * be a stateless reset.
 *
 * @internal
 */
export function receiveDatagram(
  ctx: ConnectionContext,
  datagram: Uint8Array,
  now: number,
  sink: PacketSink,
): boolean {
  const { packets } = parseDatagram(datagram, ctx.localCidLength);
  let opened = false;
  for (const packet of packets) {
    if (receivePacket(ctx, packet, now, sink)) opened = true;
    if (!ctx.isOpen) break;
  }
  return opened;
}

/**
 * Processes held packets whose keys have arrived since.
 *
 * @internal
 */
export function replayHeldPackets(ctx: ConnectionContext, now: number, sink: PacketSink): void {
  const available = (awaits: AwaitedKeys): boolean =>
    awaits === "handshake" ? ctx.spaces.handshake.receiveKeys !== undefined : ctx.oneRtt !== undefined;
  for (let ready = ctx.held.take(available); ready.length > 0; ready = ctx.held.take(available)) {
    for (const bytes of ready) {
      if (!ctx.isOpen) return;
      let packet: ParsedPacket;
      try {
        packet = parsePacket(bytes, 0, ctx.localCidLength);
      } catch {
        continue;
      }
      receivePacket(ctx, packet, now, sink);
    }
  }
}

function receivePacket(ctx: ConnectionContext, packet: ParsedPacket, now: number, sink: PacketSink): boolean {
  switch (packet.kind) {
    case "versionNegotiation":
      // RFC 9000 §6.2: only a client's first exchange can be answered by one.
      if (ctx.role === "client" && !ctx.receivedValidPacket) sink.onVersionNegotiation?.(packet, now);
      return false;
    case "retry":
      if (ctx.role === "client" && ctx.isLocalConnectionId(packet.dcid)) sink.onRetry?.(packet, now);
      return false;
    case "initial":
    case "handshake":
      return isForUs(ctx, packet) && receiveLong(ctx, packet, packet.kind, now, sink);
    case "1rtt":
      return ctx.isLocalConnectionId(packet.dcid) && receiveShort(ctx, packet, now, sink);
    default:
      // 0-RTT is never accepted here, and other versions are not spoken.
      return false;
  }
}

function isForUs(ctx: ConnectionContext, packet: LongHeaderPacket): boolean {
  const original = ctx.originalConnectionId;
  return (
    ctx.isLocalConnectionId(packet.dcid) ||
    (original !== undefined && sameConnectionId(packet.dcid, original))
  );
}

function receiveLong(
  ctx: ConnectionContext,
  packet: LongHeaderPacket,
  space: "initial" | "handshake",
  now: number,
  sink: PacketSink,
): boolean {
  const ps = ctx.spaces[space];
  if (ps.discarded) return false;
  if (ps.receiveKeys === undefined) {
    ctx.held.hold("handshake", packet.packet);
    return false;
  }
  // RFC 9000 §17.2.2: a server's Initial never carries a token.
  if (space === "initial" && ctx.role === "client" && packet.token.length > 0) return false;
  // RFC 9000 §7.2: once the peer's SCID is known, packets with another are not from it.
  if (ctx.peerInitialScid !== undefined && !sameConnectionId(packet.scid, ctx.peerInitialScid)) return false;
  const opened = openLongHeaderPacket(ps, packet);
  if (opened === undefined) return false;
  if (ctx.peerInitialScid === undefined) {
    ctx.peerInitialScid = packet.scid.slice();
    // RFC 9000 §7.2: the client switches to the Source Connection ID the server chose.
    if (ctx.role === "client") ctx.peerConnectionIds.replaceInitial(ctx.peerInitialScid);
  }
  const { packetNumber, payload } = opened;
  sink.onPacket({ packetType: space, space, packetNumber, payload, dcid: packet.dcid }, now);
  return true;
}

function receiveShort(
  ctx: ConnectionContext,
  packet: ShortHeaderPacket,
  now: number,
  sink: PacketSink,
): boolean {
  const keys = ctx.oneRtt;
  if (keys === undefined) {
    ctx.held.hold("application", packet.packet);
    return false;
  }
  const opened = openShortHeaderPacket(keys, ctx.spaces.application, packet, now, ctx.threePto);
  if (opened === "duplicate") return true;
  if (opened === undefined) {
    // RFC 9001 §6.6: past the integrity limit, forgeries are too likely to keep trusting the key.
    if (++ctx.integrityFailures >= keys.send.suite.integrityLimit)
      throw new QuicError(TransportErrorCode.AEAD_LIMIT_REACHED, "too many packets failed authentication");
    return false;
  }
  const { packetNumber, payload } = opened;
  sink.onPacket({ packetType: "1rtt", space: "application", packetNumber, payload, dcid: packet.dcid }, now);
  return true;
}
