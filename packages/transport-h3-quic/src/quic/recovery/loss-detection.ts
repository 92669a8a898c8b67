/**
 * Loss detection (RFC 9002 §6, Appendix A): sent packets per packet number space, what an ACK
 * frame newly acknowledges, which packets are lost by the packet and time thresholds, the probe
 * timeout with exponential backoff, and persistent congestion (§7.6).
 *
 * Nothing here owns a timer or a socket. Every call takes `now` (milliseconds from the
 * connection's monotonic clock); afterwards `timerDeadline` says when `onLossDetectionTimeout`
 * must be called next, and the returned values say what to do: retransmit the frames of lost
 * packets, or send probe packets in a given space. Each sent packet carries an opaque `frames`
 * value that comes back unchanged, so the connection can tell what to send again.
 *
 * ```
 *   onPacketSent ──► sent packets ──► onAckReceived ──► acked, lost ──► CongestionController
 *                         │                                  ▲
 *                         └──► timerDeadline ──► onLossDetectionTimeout ──► lost | probe
 * ```
 *
 * @packageDocumentation
 */

import { QuicError, TransportErrorCode } from "../errors.js";
import { type AckFrame, FrameType } from "../frames/frame.js";
import { type CongestionController, NewReno } from "./congestion-control.js";
import { PACKET_NUMBER_SPACES, type PacketNumberSpace } from "./packet-number-space.js";
import { GRANULARITY, RttEstimator } from "./rtt-estimator.js";

/**
 * kPacketThreshold (RFC 9002 §6.1.1): a packet this many below an acknowledged one is lost.
 *
 * @alpha
 */
export const PACKET_THRESHOLD = 3;

/**
 * kTimeThreshold (RFC 9002 §6.1.2): a packet older than this many RTTs, when a later one was acknowledged, is lost.
 *
 * @alpha
 */
export const TIME_THRESHOLD = 9 / 8;

/**
 * One packet handed to `LossDetection.onPacketSent`, with the connection's own record of its frames.
 *
 * @alpha
 */
export interface SentPacket<F = unknown> {
  /** The full packet number. */
  readonly packetNumber: number;
  /** The packet number space it was sent in. */
  readonly space: PacketNumberSpace;
  /** When it was sent, in milliseconds. */
  readonly timeSent: number;
  /** Its size on the wire in bytes, UDP payload only. */
  readonly size: number;
  /** Whether it carries a frame other than ACK, PADDING and CONNECTION_CLOSE. */
  readonly ackEliciting: boolean;
  /** Whether it counts toward bytes in flight: ack-eliciting or carrying PADDING (RFC 9002 §2). */
  readonly inFlight: boolean;
  /** Whatever the connection needs to retransmit it; never read here. */
  readonly frames: F;
}

/**
 * What an ACK frame did, from `LossDetection.onAckReceived`.
 *
 * @alpha
 */
export interface AckOutcome<F = unknown> {
  /** The packets it newly acknowledged, lowest packet number first. */
  readonly acked: readonly SentPacket<F>[];
  /** The packets declared lost because of it, lowest first; their frames need sending again. */
  readonly lost: readonly SentPacket<F>[];
  /** Whether it gave an RTT sample (RFC 9002 §5.1). */
  readonly rttSampled: boolean;
  /** Whether the losses established persistent congestion (RFC 9002 §7.6). */
  readonly persistentCongestion: boolean;
}

/**
 * What `LossDetection.onLossDetectionTimeout` asks the connection to do.
 *
 * @alpha
 */
export type LossDetectionTimeout<F = unknown> =
  /** The timer was not due (called early, or state changed since it was read): nothing to do. */
  | { readonly kind: "none" }
  /** Time-threshold loss: these packets are lost; send their frames again. */
  | {
      readonly kind: "lost";
      readonly space: PacketNumberSpace;
      readonly lost: readonly SentPacket<F>[];
      readonly persistentCongestion: boolean;
    }
  /**
   * Probe timeout: send `count` ack-eliciting packets in `space`, even beyond the congestion
   * window (§6.2.4): new data, else data of outstanding packets, else a PING. A count of 1 is a
   * client's anti-deadlock probe (§6.2.2.1), an Initial padded to 1200 bytes or a Handshake packet.
   */
  | { readonly kind: "probe"; readonly space: PacketNumberSpace; readonly count: 1 | 2 };

/**
 * Options of `LossDetection`.
 *
 * @alpha
 */
export interface LossDetectionOptions {
  /** Which end this is: a server counts the client's address as validated from the start. */
  readonly role: "client" | "server";
  /** The RTT estimator to share; a new one with the RFC defaults unless given. */
  readonly rtt?: RttEstimator;
  /** The congestion controller to feed; NewReno with 1200-byte datagrams unless given. */
  readonly congestionController?: CongestionController;
}

interface SpaceState<F> {
  // Insertion order is packet number order, because packet numbers only increase.
  readonly sent: Map<number, SentPacket<F>>;
  largestSent: number;
  largestAcked: number;
  lossTime: number | undefined;
  lastAckElicitingTime: number | undefined;
  ackElicitingInFlight: number;
  ecnCe: number;
  discarded: boolean;
}

function newSpace<F>(): SpaceState<F> {
  return {
    sent: new Map(),
    largestSent: -1,
    largestAcked: -1,
    lossTime: undefined,
    lastAckElicitingTime: undefined,
    ackElicitingInFlight: 0,
    ecnCe: 0,
    discarded: false,
  };
}

const NOTHING_ACKED: AckOutcome<never> = {
  acked: [],
  lost: [],
  rttSampled: false,
  persistentCongestion: false,
};

/**
 * RFC 9002 loss detection across the three packet number spaces of one connection.
 *
 * @alpha
 */
export class LossDetection<F = unknown> {
  /** Which end this is. */
  readonly role: "client" | "server";
  /** The RTT estimate, updated from ACK frames. */
  readonly rtt: RttEstimator;
  /** The congestion controller, told about every sent, acknowledged, lost and discarded packet. */
  readonly congestion: CongestionController;
  readonly #spaces: Record<PacketNumberSpace, SpaceState<F>> = {
    initial: newSpace(),
    handshake: newSpace(),
    application: newSpace(),
  };
  #ptoCount = 0;
  #timerDeadline: number | undefined;
  #handshakeConfirmed = false;
  #hasHandshakeKeys = false;
  #protectedPacketAcked = false;
  #amplificationLimited = false;

  constructor(options: LossDetectionOptions) {
    this.role = options.role;
    this.rtt = options.rtt ?? new RttEstimator();
    this.congestion = options.congestionController ?? new NewReno();
  }

  /** When `onLossDetectionTimeout` must next be called, or undefined when no timer is needed. */
  get timerDeadline(): number | undefined {
    return this.#timerDeadline;
  }

  /** How many probe timeouts fired without an acknowledgement in between: the backoff exponent. */
  get ptoCount(): number {
    return this.#ptoCount;
  }

  /** The congestion controller's bytes in flight. */
  get bytesInFlight(): number {
    return this.congestion.bytesInFlight;
  }

  /** Whether `onHandshakeConfirmed` was called. */
  get handshakeConfirmed(): boolean {
    return this.#handshakeConfirmed;
  }

  /**
   * Whether the peer has certainly validated our address (A.6): always for a server; for a
   * client once a Handshake or 1-RTT packet of ours was acknowledged or the handshake confirmed.
   */
  get peerCompletedAddressValidation(): boolean {
    return this.role === "server" || this.#protectedPacketAcked || this.#handshakeConfirmed;
  }

  /** The largest packet number the peer acknowledged in a space, or -1. */
  largestAcked(space: PacketNumberSpace): number {
    return this.#spaces[space].largestAcked;
  }

  /** The packets of a space neither acknowledged, lost nor discarded, lowest first. */
  outstanding(space: PacketNumberSpace): SentPacket<F>[] {
    return [...this.#spaces[space].sent.values()];
  }

  /** Whether any ack-eliciting packet is in flight, in one space or in any. */
  hasAckElicitingInFlight(space?: PacketNumberSpace): boolean {
    if (space !== undefined) return this.#spaces[space].ackElicitingInFlight > 0;
    return PACKET_NUMBER_SPACES.some((s) => this.#spaces[s].ackElicitingInFlight > 0);
  }

  /**
   * Records a sent packet (A.5). Packet numbers must increase within a space, and a space's
   * packets cannot be sent after its keys were discarded: both would be bugs in the caller.
   */
  onPacketSent(packet: SentPacket<F>): void {
    const state = this.#spaces[packet.space];
    if (state.discarded) throw new RangeError(`the ${packet.space} packet number space was discarded`);
    if (!Number.isSafeInteger(packet.packetNumber) || packet.packetNumber <= state.largestSent)
      throw new RangeError(`packet numbers must increase: ${packet.packetNumber} after ${state.largestSent}`);
    if (!Number.isSafeInteger(packet.size) || packet.size < 0)
      throw new RangeError("packet size must be a non-negative integer");
    if (packet.ackEliciting && !packet.inFlight) throw new RangeError("an ack-eliciting packet is in flight");
    state.largestSent = packet.packetNumber;
    state.sent.set(packet.packetNumber, packet);
    if (!packet.inFlight) return;
    if (packet.ackEliciting) {
      state.lastAckElicitingTime = packet.timeSent;
      state.ackElicitingInFlight++;
    }
    this.congestion.onPacketSent(packet, packet.timeSent);
    this.#setTimer(packet.timeSent);
  }

  /**
   * Processes an ACK frame received in `space` (A.7). `ackDelay` is its ACK Delay already
   * decoded to milliseconds with the peer's ack_delay_exponent (see `decodeAckDelay`).
   * Acknowledging a packet number that was never sent is a PROTOCOL_VIOLATION (RFC 9000 §13.1).
   */
  onAckReceived(
    space: PacketNumberSpace,
    ack: Pick<AckFrame, "ranges" | "ecn">,
    ackDelay: number,
    now: number,
  ): AckOutcome<F> {
    const state = this.#spaces[space];
    // Keys for a discarded space are gone, so such an ACK cannot have been decrypted; if the
    // connection still hands one over, there is nothing left for it to acknowledge.
    if (state.discarded) return NOTHING_ACKED;
    const largest = ack.ranges[0]?.largest;
    if (largest === undefined) throw new RangeError("an ACK frame acknowledges at least one range");
    if (largest > state.largestSent) {
      throw new QuicError(
        TransportErrorCode.PROTOCOL_VIOLATION,
        `ACK of ${space} packet ${largest}, but the largest sent is ${state.largestSent}`,
        { frameType: ack.ecn === undefined ? FrameType.ACK : FrameType.ACK_ECN },
      );
    }
    // Only the server could have decrypted a Handshake or 1-RTT packet, so an ACK for one
    // shows the server has validated this client's address (A.6).
    if (space !== "initial") this.#protectedPacketAcked = true;
    state.largestAcked = Math.max(state.largestAcked, largest);

    const acked = this.#removeAcked(state, ack.ranges);
    const newest = acked[acked.length - 1];
    if (newest === undefined) return NOTHING_ACKED;

    // §5.1: only the largest acknowledged packet's delay is reported by the peer, and an ACK of
    // only non-ack-eliciting packets may have been held back for any length of time.
    let rttSampled = false;
    if (newest.packetNumber === largest && acked.some((p) => p.ackEliciting)) {
      // §5.3: Initial ACKs are never delayed on purpose, and their delay may be encoded with an
      // ack_delay_exponent not yet known, so it is ignored.
      const delay = space === "initial" ? 0 : ackDelay;
      this.rtt.update(now - newest.timeSent, delay, now, this.#handshakeConfirmed);
      rttSampled = true;
    }
    if (ack.ecn !== undefined && ack.ecn.ce > state.ecnCe) {
      state.ecnCe = ack.ecn.ce;
      this.congestion.onCongestionEvent(newest.timeSent, now);
    }

    const lost = this.#removeLost(state, now);
    const persistentCongestion = lost.length > 0 && this.#onPacketsLost(lost, now);
    this.congestion.onPacketsAcked(acked, now, this.rtt);
    // A client whose address the server may not have validated keeps backing off: the server
    // may be blocked by its anti-amplification limit, and probing faster would not unblock it.
    if (this.peerCompletedAddressValidation) this.#ptoCount = 0;
    this.#setTimer(now);
    return { acked, lost, rttSampled, persistentCongestion };
  }

  /** Handles the loss detection timer firing at `now` (A.9); see `LossDetectionTimeout`. */
  onLossDetectionTimeout(now: number): LossDetectionTimeout<F> {
    if (this.#timerDeadline === undefined || now < this.#timerDeadline) return { kind: "none" };
    const loss = this.#earliestLossTime();
    if (loss !== undefined) {
      const lost = this.#removeLost(this.#spaces[loss.space], now);
      const persistentCongestion = lost.length > 0 && this.#onPacketsLost(lost, now);
      this.#setTimer(now);
      // The RTT may have grown since the loss time was set, so nothing need be lost yet.
      return lost.length === 0
        ? { kind: "none" }
        : { kind: "lost", space: loss.space, lost, persistentCongestion };
    }
    let outcome: LossDetectionTimeout<F>;
    if (!this.hasAckElicitingInFlight()) {
      outcome = { kind: "probe", space: this.#antiDeadlockSpace(), count: 1 };
    } else {
      const pto = this.#ptoTimeAndSpace(now);
      if (pto === undefined) {
        this.#setTimer(now);
        return { kind: "none" };
      }
      outcome = { kind: "probe", space: pto.space, count: 2 };
    }
    this.#ptoCount++;
    this.#setTimer(now);
    return outcome;
  }

  /**
   * Forgets a space whose keys were discarded (§6.4, A.11): its packets leave bytes in flight
   * without being acknowledged or lost, and are returned so their frames can be dropped.
   * Application data keys are never discarded this way.
   */
  discardSpace(space: Exclude<PacketNumberSpace, "application">, now: number): SentPacket<F>[] {
    const state = this.#spaces[space];
    if (state.discarded) return [];
    const packets = [...state.sent.values()];
    this.congestion.onPacketsDiscarded(packets);
    state.sent.clear();
    state.discarded = true;
    state.ackElicitingInFlight = 0;
    state.lastAckElicitingTime = undefined;
    state.lossTime = undefined;
    this.#ptoCount = 0;
    this.#setTimer(now);
    return packets;
  }

  /** Records that Handshake keys exist, so a client's anti-deadlock probe is a Handshake packet. */
  onHandshakeKeysAvailable(): void {
    this.#hasHandshakeKeys = true;
  }

  /**
   * Records handshake confirmation (RFC 9001 §4.1.2): application data gets a PTO from now on,
   * and reported ack delays are capped by max_ack_delay.
   */
  onHandshakeConfirmed(now: number): void {
    if (this.#handshakeConfirmed) return;
    this.#handshakeConfirmed = true;
    this.#setTimer(now);
  }

  /**
   * Tells a server whether it is at its anti-amplification limit (RFC 9000 §8.1): while it is,
   * it cannot send probes, so no PTO is armed; when a datagram lifts the limit the PTO is armed
   * again, or the two ends could wait on each other forever.
   */
  setAmplificationLimited(limited: boolean, now: number): void {
    if (this.#amplificationLimited === limited) return;
    this.#amplificationLimited = limited;
    this.#setTimer(now);
  }

  #removeAcked(state: SpaceState<F>, ranges: AckFrame["ranges"]): SentPacket<F>[] {
    const acked: SentPacket<F>[] = [];
    // Ranges come highest first; walking them backwards yields packets lowest first.
    for (let i = ranges.length - 1; i >= 0; i--) {
      const { smallest, largest } = ranges[i]!;
      if (state.sent.size === 0) break;
      // A peer may acknowledge a huge range while few packets are outstanding, or the reverse;
      // the cheaper side bounds the work either way.
      if (largest - smallest < state.sent.size) {
        for (let pn = smallest; pn <= largest; pn++) {
          const packet = state.sent.get(pn);
          if (packet !== undefined) acked.push(this.#remove(state, packet));
        }
      } else {
        for (const [pn, packet] of state.sent) {
          if (pn > largest) break;
          if (pn >= smallest) acked.push(this.#remove(state, packet));
        }
      }
    }
    return acked;
  }

  #removeLost(state: SpaceState<F>, now: number): SentPacket<F>[] {
    state.lossTime = undefined;
    const lost: SentPacket<F>[] = [];
    if (state.largestAcked < 0) return lost;
    const lossDelay = Math.max(
      TIME_THRESHOLD * Math.max(this.rtt.latestRtt, this.rtt.smoothedRtt),
      GRANULARITY,
    );
    for (const [pn, packet] of state.sent) {
      if (pn > state.largestAcked) break;
      // `timeSent + lossDelay` is computed the same way for the verdict and for lossTime, so a
      // timer firing exactly at lossTime always finds the packet lost despite rounding.
      const lostAt = packet.timeSent + lossDelay;
      if (lostAt <= now || state.largestAcked >= pn + PACKET_THRESHOLD) {
        lost.push(this.#remove(state, packet));
      } else {
        state.lossTime = state.lossTime === undefined ? lostAt : Math.min(state.lossTime, lostAt);
      }
    }
    return lost;
  }

  #remove(state: SpaceState<F>, packet: SentPacket<F>): SentPacket<F> {
    state.sent.delete(packet.packetNumber);
    if (packet.ackEliciting) state.ackElicitingInFlight--;
    return packet;
  }

  #onPacketsLost(lost: readonly SentPacket<F>[], now: number): boolean {
    const persistent = this.#inPersistentCongestion(lost);
    this.congestion.onPacketsLost(lost, now, persistent);
    if (persistent) this.rtt.onPersistentCongestion();
    return persistent;
  }

  // §7.6.2 asks for two ack-eliciting lost packets, both sent after the first RTT sample, more
  // than the persistent congestion duration apart, with nothing in between acknowledged. Lost
  // packets come from one space, lowest first; consecutive packet numbers guarantee that nothing
  // between them was acknowledged. A packet number gap may hide an earlier loss rather than an
  // acknowledgement, so this can miss persistent congestion but never invents it within a space.
  // Other spaces are not consulted, which §7.6.2 allows.
  #inPersistentCongestion(lost: readonly SentPacket<F>[]): boolean {
    const firstSample = this.rtt.firstSampleTime;
    if (firstSample === undefined) return false;
    const duration = this.rtt.persistentCongestionDuration();
    let start: SentPacket<F> | undefined;
    let previous: number | undefined;
    for (const packet of lost) {
      if (previous !== undefined && packet.packetNumber !== previous + 1) start = undefined;
      previous = packet.packetNumber;
      if (!packet.ackEliciting || packet.timeSent <= firstSample) continue;
      if (start === undefined) start = packet;
      else if (packet.timeSent - start.timeSent > duration) return true;
    }
    return false;
  }

  #earliestLossTime(): { time: number; space: PacketNumberSpace } | undefined {
    let earliest: { time: number; space: PacketNumberSpace } | undefined;
    for (const space of PACKET_NUMBER_SPACES) {
      const time = this.#spaces[space].lossTime;
      if (time !== undefined && (earliest === undefined || time < earliest.time)) earliest = { time, space };
    }
    return earliest;
  }

  #antiDeadlockSpace(): PacketNumberSpace {
    // A Handshake packet proves the client owns its address; without Handshake keys, a padded
    // Initial at least earns the server more anti-amplification credit (A.9).
    return this.#hasHandshakeKeys || this.#spaces.initial.discarded ? "handshake" : "initial";
  }

  #ptoTimeAndSpace(now: number): { time: number; space: PacketNumberSpace } | undefined {
    const backoff = 2 ** this.#ptoCount;
    const duration = this.rtt.probeTimeout(false) * backoff;
    // With nothing in flight the client still has to arm a timer, from now, so a server stuck
    // at its amplification limit hears from it again (§6.2.2.1).
    if (!this.hasAckElicitingInFlight()) return { time: now + duration, space: this.#antiDeadlockSpace() };
    let best: { time: number; space: PacketNumberSpace } | undefined;
    for (const space of PACKET_NUMBER_SPACES) {
      const state = this.#spaces[space];
      if (state.ackElicitingInFlight === 0 || state.lastAckElicitingTime === undefined) continue;
      let timeout = duration;
      if (space === "application") {
        // §6.2.1: before confirmation the peer may lack 1-RTT keys and could not acknowledge a
        // probe anyway; afterwards its acknowledgements may be delayed by max_ack_delay.
        if (!this.#handshakeConfirmed) break;
        timeout += this.rtt.maxAckDelay * backoff;
      }
      const time = state.lastAckElicitingTime + timeout;
      if (best === undefined || time < best.time) best = { time, space };
    }
    return best;
  }

  #setTimer(now: number): void {
    const loss = this.#earliestLossTime();
    if (loss !== undefined) {
      this.#timerDeadline = loss.time;
      return;
    }
    // A server at its amplification limit could not send a probe anyway (A.8).
    if (this.#amplificationLimited) {
      this.#timerDeadline = undefined;
      return;
    }
    if (!this.hasAckElicitingInFlight() && this.peerCompletedAddressValidation) {
      this.#timerDeadline = undefined;
      return;
    }
    this.#timerDeadline = this.#ptoTimeAndSpace(now)?.time;
  }
}
