/**
 * Packet number encoding and decoding (RFC 9000 §17.1, Appendix A.2 and A.3).
 *
 * A packet carries only the low 1–4 bytes of its 62-bit packet number. The sender picks enough
 * bytes to cover twice the range of packets the peer may not have acknowledged yet, and the
 * receiver picks the candidate closest to the next packet it expects.
 *
 * Packet numbers are JavaScript numbers: a connection would need 2^53 packets to leave the safe
 * integer range, which is millions of years at any real packet rate.
 *
 * @packageDocumentation
 */

/** The largest packet number QUIC allows, 2^62−1; kept as the RFC's bound in the decoder. */
const MAX_PACKET_NUMBER = 2 ** 62 - 1;

/**
 * The number of bytes a packet number field can have.
 *
 * @alpha
 */
export type PacketNumberLength = 1 | 2 | 3 | 4;

function checkPacketNumber(pn: number, what: string): void {
  if (!Number.isSafeInteger(pn) || pn < 0) throw new RangeError(`${what} is not a packet number: ${pn}`);
}

/**
 * The fewest bytes that encode `fullPn` unambiguously given the largest packet number the peer
 * acknowledged in this number space (RFC 9000 Appendix A.2): the field must represent at least
 * twice the number of unacknowledged packets, counting this one. With nothing acknowledged yet
 * every packet from 0 counts.
 *
 * @alpha
 */
export function packetNumberLength(fullPn: number, largestAcked: number | undefined): PacketNumberLength {
  checkPacketNumber(fullPn, "fullPn");
  let unacked: number;
  if (largestAcked === undefined) {
    unacked = fullPn + 1;
  } else {
    checkPacketNumber(largestAcked, "largestAcked");
    if (largestAcked >= fullPn)
      throw new RangeError("a new packet number must exceed the largest acknowledged");
    unacked = fullPn - largestAcked;
  }
  // min_bits = log2(unacked) + 1, i.e. the window 2^(8·n) must be at least 2·unacked.
  if (unacked * 2 <= 0x100) return 1;
  if (unacked * 2 <= 0x10000) return 2;
  if (unacked * 2 <= 0x1000000) return 3;
  if (unacked * 2 <= 0x100000000) return 4;
  throw new RangeError(`${unacked} unacknowledged packets cannot be encoded in 4 bytes`);
}

/**
 * The low `length` bytes of `fullPn`, the value written in the Packet Number field.
 *
 * @alpha
 */
export function truncatePacketNumber(fullPn: number, length: PacketNumberLength): number {
  checkPacketNumber(fullPn, "fullPn");
  return fullPn % 2 ** (8 * length);
}

/**
 * Recovers a full packet number from the `length`-byte field value `truncated` (RFC 9000
 * Appendix A.3), given the largest packet number successfully processed in this number space
 * (`undefined` before the first). The result is the candidate nearest to largest + 1.
 *
 * @alpha
 */
export function decodePacketNumber(
  largestPn: number | undefined,
  truncated: number,
  length: PacketNumberLength,
): number {
  const expected = largestPn === undefined ? 0 : largestPn + 1;
  const window = 2 ** (8 * length);
  const halfWindow = window / 2;
  if (!Number.isInteger(truncated) || truncated < 0 || truncated >= window) {
    throw new RangeError(`truncated packet number ${truncated} does not fit in ${length} bytes`);
  }
  // Arithmetic instead of the pseudocode's bit masks: JavaScript bit operators are 32-bit.
  const candidate = expected - (expected % window) + truncated;
  if (candidate <= expected - halfWindow && candidate < MAX_PACKET_NUMBER + 1 - window) {
    return candidate + window;
  }
  if (candidate > expected + halfWindow && candidate >= window) {
    return candidate - window;
  }
  return candidate;
}
