/**
 * The three packet number spaces of RFC 9000 §12.3. Packet numbers, acknowledgements and loss
 * detection are separate per space; 0-RTT and 1-RTT packets share "application".
 *
 * @packageDocumentation
 */

/**
 * A packet number space: Initial, Handshake, or application data (0-RTT and 1-RTT).
 *
 * @alpha
 */
export type PacketNumberSpace = "initial" | "handshake" | "application";

/**
 * The packet number spaces in the order RFC 9002 Appendix A walks them, earliest keys first.
 *
 * @alpha
 */
export const PACKET_NUMBER_SPACES: readonly PacketNumberSpace[] = ["initial", "handshake", "application"];
