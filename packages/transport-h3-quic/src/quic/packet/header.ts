/**
 * QUIC packet headers (RFC 9000 §17, RFC 8999): parsing and serialising long headers (Initial
 * with its token, 0-RTT, Handshake, Retry), short headers (1-RTT), Version Negotiation, and
 * splitting a datagram into its coalesced packets (§12.2).
 *
 * Parsing stops where header protection starts: the low bits of the first byte and the packet
 * number are still masked, so a parsed header gives the packet number's offset and the caller
 * removes protection (packet-protection.ts) with the keys of the packet's number space.
 *
 * Every `QuicError` from this module carries PROTOCOL_VIOLATION and means "drop this
 * packet" rather than "close the connection": RFC 9000 §12.2 and RFC 8999 §5 have receivers
 * discard packets they cannot parse, since anyone can put a datagram on the path.
 *
 * @packageDocumentation
 */

import { BufferReader, BufferWriter } from "../buffer.js";
import { QUIC_VERSION_1 } from "../crypto/initial-secrets.js";
import { QuicError, TransportErrorCode } from "../errors.js";
import { type PacketNumberLength, truncatePacketNumber } from "./packet-number.js";

/**
 * The longest connection ID QUIC version 1 allows (RFC 9000 §17.2).
 *
 * @alpha
 */
export const MAX_CONNECTION_ID_LENGTH = 20;

/**
 * The types of QUIC v1 long header packets that carry a packet number and a payload.
 *
 * @alpha
 */
export type LongPacketType = "initial" | "0rtt" | "handshake";

/** The four long packet type values of QUIC v1 (RFC 9000 Table 5). */
const LONG_TYPE_BITS = { initial: 0x0, "0rtt": 0x1, handshake: 0x2, retry: 0x3 } as const;
const LONG_TYPES = ["initial", "0rtt", "handshake", "retry"] as const;

const HEADER_FORM_LONG = 0x80;
const FIXED_BIT = 0x40;
const SPIN_BIT = 0x20;
const KEY_PHASE_BIT = 0x04;
const RETRY_TAG_LENGTH = 16;

/**
 * What every parsed packet has: where it is and its connection ID.
 *
 * @alpha
 */
export interface PacketBase {
  /** The packet's bytes, a view into the datagram. */
  readonly packet: Uint8Array;
  /** Where the packet starts in the datagram. */
  readonly offset: number;
  /** The first byte as received (its low bits still under header protection for protected packets). */
  readonly firstByte: number;
  /** The Destination Connection ID. */
  readonly dcid: Uint8Array;
}

/**
 * An Initial, 0-RTT or Handshake packet whose protection is not removed yet.
 *
 * @alpha
 */
export interface LongHeaderPacket extends PacketBase {
  /** The long packet type. */
  readonly kind: LongPacketType;
  /** The QUIC version; always 1 for this kind. */
  readonly version: number;
  /** The Source Connection ID. */
  readonly scid: Uint8Array;
  /** The Initial token (empty for 0-RTT and Handshake, and in every server Initial). */
  readonly token: Uint8Array;
  /** The offset of the packet number within `PacketBase.packet`. */
  readonly pnOffset: number;
}

/**
 * A 1-RTT packet whose protection is not removed yet.
 *
 * @alpha
 */
export interface ShortHeaderPacket extends PacketBase {
  /** A short header always carries a 1-RTT packet. */
  readonly kind: "1rtt";
  /** The offset of the packet number within `PacketBase.packet`. */
  readonly pnOffset: number;
}

/**
 * A Retry packet (RFC 9000 §17.2.5).
 *
 * @alpha
 */
export interface RetryPacket extends PacketBase {
  /** A Retry packet. */
  readonly kind: "retry";
  /** The QUIC version; always 1 here. */
  readonly version: number;
  /** The connection ID the server chose; the client uses it as its new DCID. */
  readonly scid: Uint8Array;
  /** The token to echo in the next Initial. */
  readonly token: Uint8Array;
  /** The Retry Integrity Tag (RFC 9001 §5.8); check it with `verifyRetryIntegrity`. */
  readonly integrityTag: Uint8Array;
}

/**
 * A Version Negotiation packet (RFC 9000 §17.2.1, RFC 8999 §6).
 *
 * @alpha
 */
export interface VersionNegotiationPacket extends PacketBase {
  /** A Version Negotiation packet. */
  readonly kind: "versionNegotiation";
  /** The Source Connection ID, echoing the client's DCID. */
  readonly scid: Uint8Array;
  /** The versions the server supports. */
  readonly supportedVersions: readonly number[];
}

/**
 * A long header packet of a version other than 1: only the invariant fields (RFC 8999 §5.1) are known.
 *
 * @alpha
 */
export interface UnsupportedVersionPacket extends PacketBase {
  /** A long header packet of a version this module does not speak. */
  readonly kind: "unsupportedVersion";
  /** The version field. */
  readonly version: number;
  /** The Source Connection ID (up to 255 bytes, RFC 8999). */
  readonly scid: Uint8Array;
}

/**
 * Any packet a datagram can hold.
 *
 * @alpha
 */
export type ParsedPacket =
  | LongHeaderPacket
  | ShortHeaderPacket
  | RetryPacket
  | VersionNegotiationPacket
  | UnsupportedVersionPacket;

function reader(datagram: Uint8Array, offset: number): BufferReader {
  return new BufferReader(datagram, offset, datagram.length, {
    errorCode: TransportErrorCode.PROTOCOL_VIOLATION,
  });
}

function readConnectionId(r: BufferReader, maxLength: number, what: string): Uint8Array {
  const length = r.readUint8();
  if (length > maxLength) r.fail(`${what} of ${length} bytes exceeds ${maxLength}`);
  return r.readBytes(length, what);
}

/**
 * Parses the packet starting at `offset` in `datagram`. `shortHeaderDcidLength` is the length
 * of the connection IDs this endpoint issued: a short header does not carry it (RFC 9000 §17.3).
 *
 * @alpha
 */
export function parsePacket(
  datagram: Uint8Array,
  offset: number,
  shortHeaderDcidLength: number,
): ParsedPacket {
  const r = reader(datagram, offset);
  const firstByte = r.readUint8();

  if ((firstByte & HEADER_FORM_LONG) === 0) {
    if ((firstByte & FIXED_BIT) === 0) r.fail("short header with the fixed bit clear");
    const dcid = r.readBytes(shortHeaderDcidLength, "destination connection ID");
    // The packet number is at least 1 byte; anything shorter cannot be a packet.
    const pnOffset = r.offset - offset;
    if (r.remaining < 1) r.fail("short header packet without a packet number");
    return { kind: "1rtt", packet: datagram.subarray(offset), offset, firstByte, dcid, pnOffset };
  }

  const version = r.readUint32();
  if (version === 0) {
    // RFC 8999 §6: Version Negotiation keeps only the form bit; connection IDs may be up to 255 bytes.
    const dcid = readConnectionId(r, 255, "destination connection ID");
    const scid = readConnectionId(r, 255, "source connection ID");
    if (r.remaining === 0 || r.remaining % 4 !== 0) r.fail("version list is not a whole number of versions");
    const supportedVersions: number[] = [];
    while (r.remaining > 0) supportedVersions.push(r.readUint32());
    return {
      kind: "versionNegotiation",
      packet: datagram.subarray(offset),
      offset,
      firstByte,
      dcid,
      scid,
      supportedVersions,
    };
  }

  if (version !== QUIC_VERSION_1) {
    const dcid = readConnectionId(r, 255, "destination connection ID");
    const scid = readConnectionId(r, 255, "source connection ID");
    return {
      kind: "unsupportedVersion",
      packet: datagram.subarray(offset),
      offset,
      firstByte,
      version,
      dcid,
      scid,
    };
  }

  // RFC 9000 §17.2: a zero fixed bit is not a valid version 1 packet.
  if ((firstByte & FIXED_BIT) === 0) r.fail("long header with the fixed bit clear");
  const dcid = readConnectionId(r, MAX_CONNECTION_ID_LENGTH, "destination connection ID");
  const scid = readConnectionId(r, MAX_CONNECTION_ID_LENGTH, "source connection ID");
  const type = LONG_TYPES[(firstByte >> 4) & 0x3]!;

  if (type === "retry") {
    if (r.remaining < RETRY_TAG_LENGTH) r.fail("retry packet shorter than its integrity tag");
    const token = r.readBytes(r.remaining - RETRY_TAG_LENGTH, "retry token");
    const integrityTag = r.readBytes(RETRY_TAG_LENGTH, "retry integrity tag");
    return {
      kind: "retry",
      packet: datagram.subarray(offset),
      offset,
      firstByte,
      version,
      dcid,
      scid,
      token,
      integrityTag,
    };
  }

  const token = type === "initial" ? r.readVarintPrefixedBytes("token") : new Uint8Array(0);
  const length = r.readVarint("length");
  const pnStart = r.offset;
  if (length > r.remaining) r.fail(`length ${length} runs past the datagram (${r.remaining} bytes left)`);
  if (length < 1) r.fail("long header packet without a packet number");
  const end = pnStart + length;
  return {
    kind: type,
    packet: datagram.subarray(offset, end),
    offset,
    firstByte,
    version,
    dcid,
    scid,
    token,
    pnOffset: pnStart - offset,
  };
}

/**
 * The packets of one datagram, and why parsing stopped early if it did.
 *
 * @alpha
 */
export interface ParsedDatagram {
  /** The packets parsed, in datagram order. */
  readonly packets: readonly ParsedPacket[];
  /** Set when a packet after the ones returned could not be parsed; the rest of the datagram is dropped. */
  readonly error?: QuicError;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Splits a UDP datagram into its coalesced packets (RFC 9000 §12.2). Only Initial, 0-RTT and
 * Handshake packets carry a Length and can be followed by another packet; any other packet runs
 * to the end of the datagram. Packets whose Destination Connection ID differs from the first
 * one's are skipped, as §12.2 recommends: a sender never coalesces packets of two connections,
 * so such a packet was spliced in by someone else.
 *
 * @alpha
 */
export function parseDatagram(datagram: Uint8Array, shortHeaderDcidLength: number): ParsedDatagram {
  const packets: ParsedPacket[] = [];
  let offset = 0;
  let firstDcid: Uint8Array | undefined;
  while (offset < datagram.length) {
    let packet: ParsedPacket;
    try {
      packet = parsePacket(datagram, offset, shortHeaderDcidLength);
    } catch (error) {
      if (error instanceof QuicError) return { packets, error };
      throw error;
    }
    firstDcid ??= packet.dcid;
    if (sameBytes(packet.dcid, firstDcid)) packets.push(packet);
    offset = packet.offset + packet.packet.length;
  }
  return { packets };
}

/**
 * The fields of a long header to serialise, up to and including the packet number.
 *
 * @alpha
 */
export interface LongHeaderFields {
  /** The long packet type. */
  readonly type: LongPacketType;
  /** The QUIC version; 1 unless given. */
  readonly version?: number;
  /** The Destination Connection ID, up to 20 bytes. */
  readonly dcid: Uint8Array;
  /** The Source Connection ID, up to 20 bytes. */
  readonly scid: Uint8Array;
  /** The token of an Initial packet (RFC 9000 §17.2.2); must be absent for other types. */
  readonly token?: Uint8Array;
  /** The full packet number; its low `LongHeaderFields.packetNumberLength` bytes are written. */
  readonly packetNumber: number;
  /** How many bytes of the packet number to send (see `packetNumberLength()`). */
  readonly packetNumberLength: PacketNumberLength;
  /** The length of the protected payload after the packet number, AEAD tag included. */
  readonly payloadLength: number;
  /**
   * The size of the Length varint. Two bytes unless given (or four when the value needs it):
   * a fixed width lets a sender write the header before the payload size is final, which is
   * why the RFC 9001 A.3 server Initial encodes 117 as 0x4075.
   */
  readonly lengthFieldSize?: 1 | 2 | 4 | 8;
}

function checkConnectionId(cid: Uint8Array, what: string): void {
  if (cid.length > MAX_CONNECTION_ID_LENGTH)
    throw new RangeError(`${what} longer than ${MAX_CONNECTION_ID_LENGTH} bytes`);
}

/**
 * Serialises an unprotected long header: first byte with the packet number length, version,
 * connection IDs, token (Initial), Length and the truncated packet number (RFC 9000 §17.2).
 * The reserved bits are written as zero, as §17.2 requires.
 *
 * @alpha
 */
export function serializeLongHeader(fields: LongHeaderFields): Uint8Array {
  checkConnectionId(fields.dcid, "destination connection ID");
  checkConnectionId(fields.scid, "source connection ID");
  if (fields.token !== undefined && fields.type !== "initial")
    throw new RangeError("only Initial packets carry a token");
  const pnLength = fields.packetNumberLength;
  const length = pnLength + fields.payloadLength;
  const lengthFieldSize = fields.lengthFieldSize ?? (length <= 0x3fff ? 2 : 4);
  const w = new BufferWriter(64 + (fields.token?.length ?? 0));
  w.writeUint8(HEADER_FORM_LONG | FIXED_BIT | (LONG_TYPE_BITS[fields.type] << 4) | (pnLength - 1));
  w.writeUint32(fields.version ?? QUIC_VERSION_1);
  w.writeUint8(fields.dcid.length).writeBytes(fields.dcid);
  w.writeUint8(fields.scid.length).writeBytes(fields.scid);
  if (fields.type === "initial") w.writeVarintPrefixedBytes(fields.token ?? new Uint8Array(0));
  w.writeVarint(length, lengthFieldSize);
  writePacketNumber(w, fields.packetNumber, pnLength);
  return w.toBytes();
}

/**
 * The fields of a short (1-RTT) header to serialise.
 *
 * @alpha
 */
export interface ShortHeaderFields {
  /** The Destination Connection ID, up to 20 bytes. */
  readonly dcid: Uint8Array;
  /** The full packet number; its low bytes are written. */
  readonly packetNumber: number;
  /** How many bytes of the packet number to send. */
  readonly packetNumberLength: PacketNumberLength;
  /** The Key Phase bit (RFC 9001 §6). */
  readonly keyPhase?: boolean;
  /** The latency Spin Bit (RFC 9000 §17.4); off unless given. */
  readonly spinBit?: boolean;
}

/**
 * Serialises an unprotected short header (RFC 9000 §17.3.1).
 *
 * @alpha
 */
export function serializeShortHeader(fields: ShortHeaderFields): Uint8Array {
  checkConnectionId(fields.dcid, "destination connection ID");
  const pnLength = fields.packetNumberLength;
  const w = new BufferWriter(1 + fields.dcid.length + pnLength);
  w.writeUint8(
    FIXED_BIT | (fields.spinBit ? SPIN_BIT : 0) | (fields.keyPhase ? KEY_PHASE_BIT : 0) | (pnLength - 1),
  );
  w.writeBytes(fields.dcid);
  writePacketNumber(w, fields.packetNumber, pnLength);
  return w.toBytes();
}

function writePacketNumber(w: BufferWriter, packetNumber: number, length: PacketNumberLength): void {
  const truncated = truncatePacketNumber(packetNumber, length);
  for (let shift = 8 * (length - 1); shift >= 0; shift -= 8)
    w.writeUint8(Math.floor(truncated / 2 ** shift) & 0xff);
}

/**
 * The fields of a Retry packet, without its integrity tag.
 *
 * @alpha
 */
export interface RetryFields {
  /** The QUIC version; 1 unless given. */
  readonly version?: number;
  /** The client's Source Connection ID. */
  readonly dcid: Uint8Array;
  /** The connection ID the server chose. */
  readonly scid: Uint8Array;
  /** The token the client must echo. */
  readonly token: Uint8Array;
  /** The four unused low bits of the first byte (RFC 9000 §17.2.5); zero unless given. */
  readonly unusedBits?: number;
}

/**
 * Serialises a Retry packet up to, not including, the Retry Integrity Tag.
 *
 * @alpha
 */
export function serializeRetryWithoutTag(fields: RetryFields): Uint8Array {
  checkConnectionId(fields.dcid, "destination connection ID");
  checkConnectionId(fields.scid, "source connection ID");
  const w = new BufferWriter(32 + fields.token.length);
  w.writeUint8(
    HEADER_FORM_LONG | FIXED_BIT | (LONG_TYPE_BITS.retry << 4) | ((fields.unusedBits ?? 0) & 0x0f),
  );
  w.writeUint32(fields.version ?? QUIC_VERSION_1);
  w.writeUint8(fields.dcid.length).writeBytes(fields.dcid);
  w.writeUint8(fields.scid.length).writeBytes(fields.scid);
  w.writeBytes(fields.token);
  return w.toBytes();
}

/**
 * The fields of a Version Negotiation packet.
 *
 * @alpha
 */
export interface VersionNegotiationFields {
  /** The client's Source Connection ID. */
  readonly dcid: Uint8Array;
  /** The client's Destination Connection ID. */
  readonly scid: Uint8Array;
  /** The versions the server supports; at least one. */
  readonly supportedVersions: readonly number[];
  /** The seven unused bits of the first byte; RFC 9000 §17.2.1 has servers set them randomly. */
  readonly unusedBits?: number;
}

/**
 * Serialises a Version Negotiation packet (RFC 9000 §17.2.1).
 *
 * @alpha
 */
export function serializeVersionNegotiation(fields: VersionNegotiationFields): Uint8Array {
  if (fields.dcid.length > 255 || fields.scid.length > 255)
    throw new RangeError("connection ID longer than 255 bytes");
  if (fields.supportedVersions.length === 0)
    throw new RangeError("a Version Negotiation packet lists at least one version");
  const w = new BufferWriter(
    16 + fields.dcid.length + fields.scid.length + 4 * fields.supportedVersions.length,
  );
  w.writeUint8(HEADER_FORM_LONG | ((fields.unusedBits ?? 0) & 0x7f));
  w.writeUint32(0);
  w.writeUint8(fields.dcid.length).writeBytes(fields.dcid);
  w.writeUint8(fields.scid.length).writeBytes(fields.scid);
  for (const version of fields.supportedVersions) w.writeUint32(version);
  return w.toBytes();
}
