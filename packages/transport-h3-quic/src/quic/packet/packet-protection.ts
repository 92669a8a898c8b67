/**
 * Protecting and unprotecting whole packets (RFC 9001 §5.3–§5.4): AEAD over the payload with the
 * header as associated data, then header protection over the first byte and the packet number,
 * with the mask sampled from the ciphertext.
 *
 * Unprotecting runs in two steps because a 1-RTT receiver learns the Key Phase bit only after
 * removing header protection, and needs it to choose the AEAD key (RFC 9001 §6.3). Header
 * protection keys never change with a key update, so step one needs no key phase.
 *
 * @packageDocumentation
 */

import { aeadOpen, aeadSeal, packetNonce } from "../crypto/aead.js";
import { HEADER_PROTECTION_SAMPLE_LENGTH, type HeaderProtection } from "../crypto/header-protection.js";
import type { PacketProtectionKeys } from "../crypto/packet-keys.js";
import { QuicError, TransportErrorCode } from "../errors.js";
import { decodePacketNumber, type PacketNumberLength } from "./packet-number.js";

const LONG_HEADER = 0x80;
// RFC 9001 §5.4.1: the mask covers 4 bits of a long header's first byte, 5 of a short one's.
const LONG_MASK = 0x0f;
const SHORT_MASK = 0x1f;
const LONG_RESERVED = 0x0c;
const SHORT_RESERVED = 0x18;
const KEY_PHASE_BIT = 0x04;
// The sample starts 4 bytes after the packet number offset whatever the packet number length,
// as if it were 4 bytes long (RFC 9001 §5.4.2).
const SAMPLE_OFFSET = 4;

/**
 * Encrypts `payload` under `header` and applies header protection; returns the packet as sent.
 * `header` is the serialised unprotected header ending with the truncated packet number, whose
 * length is read from its first byte. The payload must be long enough for a sample (RFC 9001
 * §5.4.2): packet number length + payload length ≥ 4, which senders meet with PADDING.
 *
 * @alpha
 */
export function protectPacket(
  keys: PacketProtectionKeys,
  header: Uint8Array,
  packetNumber: number,
  payload: Uint8Array,
): Uint8Array {
  const first = header[0];
  if (first === undefined) throw new RangeError("empty header");
  const pnLength = (first & 0x03) + 1;
  const pnOffset = header.length - pnLength;
  if (pnOffset < 1) throw new RangeError("header too short for its packet number");
  if (pnLength + payload.length < SAMPLE_OFFSET) {
    throw new RangeError(`payload of ${payload.length} bytes is too short to sample; pad it`);
  }
  const sealed = aeadSeal(keys.suite, keys.key, packetNonce(keys.iv, packetNumber), header, payload);
  const packet = new Uint8Array(header.length + sealed.length);
  packet.set(header, 0);
  packet.set(sealed, header.length);
  const sampleStart = pnOffset + SAMPLE_OFFSET;
  const mask = keys.headerProtection.mask(
    packet.subarray(sampleStart, sampleStart + HEADER_PROTECTION_SAMPLE_LENGTH),
  );
  packet[0] = first ^ (mask[0]! & ((first & LONG_HEADER) !== 0 ? LONG_MASK : SHORT_MASK));
  for (let i = 0; i < pnLength; i++) packet[pnOffset + i]! ^= mask[1 + i]!;
  return packet;
}

/**
 * A header with protection removed, before the payload is decrypted.
 *
 * @alpha
 */
export interface UnprotectedHeader {
  /** A copy of the header with the first byte and packet number unmasked: the AEAD's associated data. */
  readonly header: Uint8Array;
  /** The unmasked first byte. */
  readonly firstByte: number;
  /** The length of the packet number field, from the unmasked first byte. */
  readonly packetNumberLength: PacketNumberLength;
  /** The full packet number, recovered from the truncated field (RFC 9000 Appendix A.3). */
  readonly packetNumber: number;
  /** The Key Phase bit of a short header; false for long headers. */
  readonly keyPhase: boolean;
}

/**
 * Removes header protection from `packet` (one packet, from its first byte to its end) whose
 * packet number starts at `pnOffset`. `largestPn` is the largest packet number processed in the
 * packet's number space so far. Returns `undefined` when the packet is too short to carry a
 * sample, which RFC 9001 §5.4.2 makes a packet to discard.
 *
 * @alpha
 */
export function removeHeaderProtection(
  headerProtection: HeaderProtection,
  packet: Uint8Array,
  pnOffset: number,
  largestPn: number | undefined,
): UnprotectedHeader | undefined {
  const sampleStart = pnOffset + SAMPLE_OFFSET;
  if (pnOffset < 1 || sampleStart + HEADER_PROTECTION_SAMPLE_LENGTH > packet.length) return undefined;
  const mask = headerProtection.mask(
    packet.subarray(sampleStart, sampleStart + HEADER_PROTECTION_SAMPLE_LENGTH),
  );
  const long = (packet[0]! & LONG_HEADER) !== 0;
  const firstByte = packet[0]! ^ (mask[0]! & (long ? LONG_MASK : SHORT_MASK));
  const pnLength = ((firstByte & 0x03) + 1) as PacketNumberLength;
  // A copy, never a view: the datagram may be a Buffer whose slice() shares memory, and the
  // caller may need the protected bytes again (another key phase, a duplicate).
  const header = new Uint8Array(packet.subarray(0, pnOffset + pnLength));
  header[0] = firstByte;
  let truncated = 0;
  for (let i = 0; i < pnLength; i++) {
    const byte = packet[pnOffset + i]! ^ mask[1 + i]!;
    header[pnOffset + i] = byte;
    truncated = truncated * 256 + byte;
  }
  return {
    header,
    firstByte,
    packetNumberLength: pnLength,
    packetNumber: decodePacketNumber(largestPn, truncated, pnLength),
    keyPhase: !long && (firstByte & KEY_PHASE_BIT) !== 0,
  };
}

/**
 * Decrypts the payload of `packet` once its header is unprotected. Returns `undefined` when
 * authentication fails (RFC 9001 §5.5: discard). A packet that authenticates but has non-zero
 * reserved bits throws PROTOCOL_VIOLATION: RFC 9000 §17.2 and §17.3.1 make that a connection
 * error, checked only after decryption so an attacker cannot trigger it by flipping bits.
 *
 * @alpha
 */
export function decryptPayload(
  keys: PacketProtectionKeys,
  unprotected: UnprotectedHeader,
  packet: Uint8Array,
): Uint8Array | undefined {
  const { header, packetNumber, firstByte } = unprotected;
  const plaintext = aeadOpen(
    keys.suite,
    keys.key,
    packetNonce(keys.iv, packetNumber),
    header,
    packet.subarray(header.length),
  );
  if (plaintext === undefined) return undefined;
  const reserved = (firstByte & LONG_HEADER) !== 0 ? LONG_RESERVED : SHORT_RESERVED;
  if ((firstByte & reserved) !== 0) {
    throw new QuicError(TransportErrorCode.PROTOCOL_VIOLATION, "reserved header bits are not zero");
  }
  return plaintext;
}

/**
 * A packet with all protection removed.
 *
 * @alpha
 */
export interface UnprotectedPacket extends UnprotectedHeader {
  /** The decrypted frames. */
  readonly payload: Uint8Array;
}

/**
 * Removes header protection and decrypts in one go, for packets whose keys do not depend on the
 * key phase (Initial, Handshake, 0-RTT, or 1-RTT with no key update pending). Returns
 * `undefined` for a packet to discard; throws only as `decryptPayload` does.
 *
 * @alpha
 */
export function unprotectPacket(
  keys: PacketProtectionKeys,
  packet: Uint8Array,
  pnOffset: number,
  largestPn: number | undefined,
): UnprotectedPacket | undefined {
  const unprotected = removeHeaderProtection(keys.headerProtection, packet, pnOffset, largestPn);
  if (unprotected === undefined) return undefined;
  const payload = decryptPayload(keys, unprotected, packet);
  return payload === undefined ? undefined : { ...unprotected, payload };
}
