/**
 * The I/O-free engine of a QUIC v1 connection (RFC 9000, 9001, 9002), shared by both ends: the
 * client connection wraps it with a TLS client, the scripted test server with a test TLS server.
 *
 * ```
 *   receive(datagram) ─► parse ─► open (keys per space, key phases) ─► frames ─► streams, TLS, recovery
 *   send() ◄─ coalesce Initial + Handshake + 1-RTT ◄─ ACK, CRYPTO, control, STREAM frames ◄─ cwnd, pacing
 *   nextTimerDeadline() / onTimer() ─► loss detection and PTO, ACK delay, pacing, idle, handshake, closing
 * ```
 *
 * Nothing the peer sends makes a method throw: a packet that does not parse or authenticate is
 * dropped, and a protocol error closes the connection with the code the RFC names. Every call
 * takes `now` in milliseconds; after `receive`, `onTimer` or an application call, the owner
 * calls `send(now)` until it returns undefined.
 *
 * The role matters in few places, each marked: which key discard a Handshake packet triggers
 * (RFC 9001 §4.9.1), who confirms the handshake (§4.1.2), the Initial token and padding
 * (RFC 9000 §14.1), and which frames each end may receive.
 *
 * The work is split by direction: `packet-receipt.ts` opens packets, `frame-processing.ts`
 * applies their frames, `packet-assembly.ts` builds datagrams, all on the shared
 * `ConnectionContext`. This class makes the transitions: keys installed and discarded, the
 * handshake completed and confirmed, closing, draining, timers.
 *
 * @packageDocumentation
 */

import type { CipherSuite } from "../crypto/cipher-suite.js";
import { derivePacketProtectionKeys, type PacketProtectionKeys } from "../crypto/packet-keys.js";
import type { QuicError } from "../errors.js";
import { type ConnectionCloseFrame, type Frame, isAckEliciting } from "../frames/frame.js";
import { decodeFrames } from "../frames/frame-codec.js";
import type { TransportParameters } from "../frames/transport-parameters.js";
import type { RetryPacket, VersionNegotiationPacket } from "../packet/header.js";
import { PACKET_NUMBER_SPACES, type PacketNumberSpace } from "../recovery/packet-number-space.js";
import type { RttEstimator } from "../recovery/rtt-estimator.js";
import type { EncryptionLevel, HandshakeOutput } from "../tls/client-handshake.js";
import { asQuicError, type CloseFrames, closeFrames, peerCloseInfo } from "./connection-close.js";
import { ConnectionContext, newRecovery } from "./connection-context.js";
import {
  type QuicCloseInfo,
  QuicConnectionError,
  type QuicConnectionEvent,
  type QuicConnectionState,
  type QuicConnectionStats,
} from "./connection-events.js";
import { type FrameTransitions, onPacketsLost, processFrames, requeue } from "./frame-processing.js";
import { OneRttKeys } from "./one-rtt-keys.js";
import {
  assembleCloseDatagram,
  assembleDatagram,
  hasDataToSend,
  MIN_INITIAL_DATAGRAM,
  padForSample,
  sealPacket,
} from "./packet-assembly.js";
import { PacketPayload } from "./packet-payload.js";
import { type OpenedPacket, type PacketSink, receiveDatagram, replayHeldPackets } from "./packet-receipt.js";
import { LEVEL_OF_SPACE } from "./packet-space.js";
import type { PeerConnectionIds } from "./peer-connection-ids.js";
import type { StreamManager } from "./stream-manager.js";

/**
 * Traffic secrets from the handshake, oriented: ours to send with, the peer's to receive with.
 *
 * @internal
 */
export interface HandshakeKeysUpdate {
  readonly level: "handshake" | "application";
  readonly cipherSuite: CipherSuite;
  readonly send: Uint8Array;
  readonly receive: Uint8Array;
}

/**
 * The TLS handshake as the core drives it, whichever end this is.
 *
 * @internal
 */
export interface HandshakeDriver {
  /** Handshake bytes received at a level, in order; throws TlsAlertError or QuicError. */
  receive(level: EncryptionLevel, data: Uint8Array): void;
  /** Bytes to send since the last call. */
  takeOutgoing(): readonly HandshakeOutput[];
  /** Secrets to install since the last call. */
  takeSecrets(): readonly HandshakeKeysUpdate[];
  /** Whether this end's handshake is complete. */
  readonly complete: boolean;
  /** The peer's transport parameters, decoded and validated, once they arrived. */
  readonly peerTransportParameters: TransportParameters | undefined;
}

/**
 * What a role adds to the core: the client handles Retry and Version Negotiation.
 *
 * @internal
 */
export interface ConnectionCoreHooks {
  onRetry?(packet: RetryPacket, now: number): void;
  onVersionNegotiation?(packet: VersionNegotiationPacket, now: number): void;
  /** Sees every frame of every opened packet before it is processed: for test peers' assertions. */
  onFrameReceived?(frame: Frame, space: PacketNumberSpace): void;
}

/**
 * Options of `ConnectionCore`.
 *
 * @internal
 */
export interface ConnectionCoreOptions {
  readonly role: "client" | "server";
  readonly handshake: HandshakeDriver;
  /** The connection ID the peer sends to. */
  readonly localConnectionId: Uint8Array;
  /** The connection ID we send to first: the client's random one, or the client's SCID. */
  readonly peerConnectionId: Uint8Array;
  /** A server's: the client's first DCID, which its Initial and Handshake packets may still carry. */
  readonly originalConnectionId?: Uint8Array;
  readonly initialKeys: { readonly send: PacketProtectionKeys; readonly receive: PacketProtectionKeys };
  /** Our transport parameters, with defaults applied. */
  readonly transportParameters: TransportParameters;
  /** The largest datagram we send before the peer's max_udp_payload_size is known to allow it. */
  readonly maxDatagramSize: number;
  /** Milliseconds the handshake may take; none when undefined. */
  readonly handshakeTimeout: number | undefined;
  /** Milliseconds of silence from the peer after which an established connection PINGs it. */
  readonly keepAliveInterval?: number | undefined;
  readonly now: number;
  readonly hooks?: ConnectionCoreHooks;
}

// Start a key update this many packets before the suite's confidentiality limit (RFC 9001 §6.6).
const CONFIDENTIALITY_MARGIN = 1024;

/**
 * One QUIC connection's transitions and timers, over the shared context.
 *
 * @internal
 */
export class ConnectionCore {
  readonly #ctx: ConnectionContext;
  readonly #handshake: HandshakeDriver;
  readonly #hooks: ConnectionCoreHooks;
  readonly #sink: PacketSink;
  readonly #transitions: FrameTransitions;
  readonly #keepAliveInterval: number | undefined;

  constructor(options: ConnectionCoreOptions) {
    this.#ctx = new ConnectionContext({
      role: options.role,
      localConnectionId: options.localConnectionId,
      peerConnectionId: options.peerConnectionId,
      originalConnectionId: options.originalConnectionId,
      initialKeys: options.initialKeys,
      transportParameters: options.transportParameters,
      maxDatagramSize: options.maxDatagramSize,
      now: options.now,
    });
    if (options.handshakeTimeout !== undefined)
      this.#ctx.handshakeDeadline = options.now + options.handshakeTimeout;
    const keepAlive = options.keepAliveInterval;
    if (keepAlive !== undefined && !(keepAlive > 0))
      throw new RangeError(`keepAliveInterval must be positive, not ${keepAlive}`);
    this.#keepAliveInterval = keepAlive;
    this.#handshake = options.handshake;
    const hooks = options.hooks ?? {};
    this.#hooks = hooks;
    this.#sink = {
      onPacket: (packet, now) => this.#onPacket(packet, now),
      ...(hooks.onRetry === undefined ? {} : { onRetry: hooks.onRetry }),
      ...(hooks.onVersionNegotiation === undefined
        ? {}
        : { onVersionNegotiation: hooks.onVersionNegotiation }),
    };
    this.#transitions = {
      onCrypto: (space, offset, data, now) => this.#onCrypto(space, offset, data, now),
      onPeerClose: (frame, now) => this.#onPeerClose(frame, now),
      onHandshakeDone: (now) => this.#confirmHandshake(now),
    };
  }

  // ------------------------------------------------------------------------------------------
  // State the wrappers read

  /** Which end this is. */
  get role(): "client" | "server" {
    return this.#ctx.role;
  }

  /** The connection's streams. */
  get streams(): StreamManager {
    return this.#ctx.streams;
  }

  /** The connection IDs the peer gave us. */
  get peerConnectionIds(): PeerConnectionIds {
    return this.#ctx.peerConnectionIds;
  }

  /** Where the connection is in its life. */
  get state(): QuicConnectionState {
    return this.#ctx.state;
  }

  /** Whether the connection is handshaking or established: it can still send and receive data. */
  get isOpen(): boolean {
    return this.#ctx.isOpen;
  }

  /** The peer's transport parameters, once applied. */
  get peerTransportParameters(): TransportParameters | undefined {
    return this.#ctx.peer;
  }

  /** Whether any packet from the peer was opened: Version Negotiation is ignored after that (RFC 9000 §6.2). */
  get receivedValidPacket(): boolean {
    return this.#ctx.receivedValidPacket;
  }

  /** The Source Connection ID of the peer's first Initial, which its initial_source_connection_id must repeat. */
  get peerInitialSourceConnectionId(): Uint8Array | undefined {
    return this.#ctx.peerInitialScid;
  }

  /** Whether the handshake is confirmed (RFC 9001 §4.1.2). */
  get handshakeConfirmed(): boolean {
    return this.#ctx.handshakeConfirmed;
  }

  /** The latest NEW_TOKEN the server gave, for a future connection's Initial. */
  get newToken(): Uint8Array | undefined {
    return this.#ctx.receivedToken;
  }

  /** How many key updates took place. */
  get keyUpdates(): number {
    return this.#ctx.oneRtt?.updates ?? 0;
  }

  /** The RTT estimate. */
  get rtt(): RttEstimator {
    return this.#ctx.recovery.loss.rtt;
  }

  /** The time `now` of the latest call, for application calls that take none. */
  get now(): number {
    return this.#ctx.now;
  }

  /** Counters. */
  get stats(): QuicConnectionStats {
    const { loss, congestion } = this.#ctx.recovery;
    return {
      ...this.#ctx.counters,
      smoothedRtt: loss.rtt.smoothedRtt,
      congestionWindow: congestion.congestionWindow,
    };
  }

  /** Events since the last call, in order. */
  takeEvents(): QuicConnectionEvent[] {
    const ctx = this.#ctx;
    ctx.drainStreamEvents();
    const events = ctx.events;
    ctx.events = [];
    return events;
  }

  // ------------------------------------------------------------------------------------------
  // Wrapper controls

  /** Queues the handshake bytes and secrets the driver has ready, e.g. the ClientHello. */
  pumpHandshake(now: number): void {
    this.#ctx.now = now;
    this.#guard(() => this.#afterHandshakeProgress(now));
  }

  /**
   * Restarts the Initial exchange after a Retry (RFC 9000 §17.2.5.3, RFC 9002 §6.3): new DCID,
   * new Initial keys, the token echoed, the ClientHello resent, recovery state reset but for
   * the RTT estimate. Packet numbers carry on.
   */
  applyRetry(scid: Uint8Array, token: Uint8Array, initialKeys: ConnectionCoreOptions["initialKeys"]): void {
    const ctx = this.#ctx;
    ctx.token = token.slice();
    ctx.peerConnectionIds.replaceInitial(scid.slice());
    const initial = ctx.spaces.initial;
    initial.sendKeys = initialKeys.send;
    initial.receiveKeys = initialKeys.receive;
    for (const packet of ctx.recovery.loss.outstanding("initial"))
      for (const record of packet.frames) requeue(ctx, "initial", record);
    ctx.recovery = newRecovery(ctx.role, ctx.configuredDatagramSize, ctx.recovery.loss.rtt);
    ctx.probe = undefined;
  }

  /** Ends the connection without sending anything: a timeout or a failed version negotiation. */
  closeSilently(error: QuicError, now: number): void {
    const ctx = this.#ctx;
    ctx.now = now;
    if (!ctx.isOpen) return;
    ctx.state = "closed";
    ctx.events.push({ type: "closed", error, remote: false });
  }

  /** Starts a key update from our side, if allowed now (RFC 9001 §6.1); returns whether it did. */
  initiateKeyUpdate(): boolean {
    const keys = this.#ctx.oneRtt;
    if (!this.#ctx.handshakeConfirmed || keys === undefined || !keys.canUpdate) return false;
    keys.update();
    return true;
  }

  /** Queues a frame to send in a 1-RTT packet, resent as is if lost: for the test server's extras. */
  queueFrame(frame: Frame, retransmit: boolean): void {
    this.#ctx.controlFrames.push({ frame, record: retransmit ? { kind: "frame", frame } : undefined });
  }

  /** Adds a connection ID the peer may send to, issued with NEW_CONNECTION_ID by the owner. */
  addLocalConnectionId(sequenceNumber: number, connectionId: Uint8Array): void {
    if (connectionId.length !== this.#ctx.localCidLength)
      throw new RangeError("every local connection ID must have the same length");
    this.#ctx.localConnectionIds.set(sequenceNumber, connectionId);
  }

  /** Asks for a PING in the next 1-RTT packet. */
  ping(): void {
    this.#ctx.pingPending = true;
  }

  /**
   * A 1-RTT packet holding exactly `frames`, bypassing every check: for a test peer that must
   * break the protocol on purpose. Loss detection counts it, so its acknowledgement is valid,
   * but nothing in it is ever resent.
   */
  rawOneRttPacket(frames: readonly Frame[]): Uint8Array | undefined {
    const ctx = this.#ctx;
    const keys = ctx.oneRtt;
    if (keys === undefined) return undefined;
    const info = ctx.headerInfo("application");
    const payload = new PacketPayload(ctx.maxDatagramSize);
    for (const frame of frames) payload.add(frame);
    padForSample(payload, info.packetNumberLength);
    ctx.spaces.application.takePacketNumber();
    const packet = sealPacket(info, keys.send, payload.bytes());
    ctx.recovery.loss.onPacketSent({
      packetNumber: info.packetNumber,
      space: "application",
      timeSent: ctx.now,
      size: packet.length,
      ackEliciting: payload.ackEliciting,
      inFlight: payload.ackEliciting || payload.hasPadding,
      frames: [],
    });
    return packet;
  }

  // ------------------------------------------------------------------------------------------
  // Closing

  /** Closes with CONNECTION_CLOSE and enters the closing state for three PTOs (RFC 9000 §10.2). */
  close(code: bigint, reason: string, application: boolean, now: number): void {
    this.#ctx.now = now;
    if (!this.#ctx.isOpen) return;
    const info: QuicCloseInfo = application
      ? { error: undefined, remote: false, applicationCode: code, reason }
      : { error: undefined, remote: false, reason };
    this.#enterClosing(closeFrames(code, reason, application, undefined), info, now);
  }

  #fail(error: unknown, now: number): void {
    if (!this.#ctx.isOpen) return;
    const quicError = asQuicError(error);
    const frames = closeFrames(BigInt(quicError.code), quicError.message, false, quicError.frameType);
    this.#enterClosing(frames, { error: quicError, remote: false }, now);
  }

  #enterClosing(frames: CloseFrames, info: QuicCloseInfo, now: number): void {
    const ctx = this.#ctx;
    ctx.state = "closing";
    ctx.closing = { frames, pending: true, deadline: now + ctx.threePto, packetsReceived: 0 };
    ctx.held.clear();
    ctx.events.push({ type: "closed", ...info });
  }

  // RFC 9000 §10.2.2: a peer that closed reads nothing more, so draining sends nothing.
  #enterDraining(info: QuicCloseInfo, now: number): void {
    const ctx = this.#ctx;
    if (!ctx.isOpen) return;
    ctx.state = "draining";
    ctx.closing = { frames: undefined, pending: false, deadline: now + ctx.threePto, packetsReceived: 0 };
    ctx.held.clear();
    ctx.events.push({ type: "closed", ...info });
  }

  #onPeerClose(frame: ConnectionCloseFrame, now: number): void {
    this.#enterDraining(peerCloseInfo(frame), now);
  }

  // Runs processing of the peer's bytes: any error closes the connection instead of escaping.
  #guard(run: () => void): void {
    try {
      run();
    } catch (error) {
      this.#fail(error, this.#ctx.now);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Receiving

  /** Processes one UDP datagram from the peer. */
  receive(datagram: Uint8Array, now: number): void {
    const ctx = this.#ctx;
    ctx.now = now;
    ctx.counters.bytesReceived += datagram.length;
    if (ctx.state === "closing") {
      this.#onDatagramWhileClosing();
      return;
    }
    if (!ctx.isOpen) return;
    this.#guard(() => {
      if (
        !receiveDatagram(ctx, datagram, now, this.#sink) &&
        ctx.peerConnectionIds.isStatelessReset(datagram)
      ) {
        const error = new QuicConnectionError(
          "stateless_reset",
          "the peer reset the connection (stateless reset)",
        );
        return this.#enterDraining({ error, remote: true }, now);
      }
      replayHeldPackets(ctx, now, this.#sink);
    });
  }

  // RFC 9000 §10.2.1: answer a peer that keeps sending, but ever more rarely, so the closing
  // state cannot be turned into an amplifier.
  #onDatagramWhileClosing(): void {
    const closing = this.#ctx.closing!;
    const n = ++closing.packetsReceived;
    if ((n & (n - 1)) === 0) closing.pending = true;
  }

  #onPacket(packet: OpenedPacket, now: number): void {
    const ctx = this.#ctx;
    const frames = decodeFrames(packet.payload, packet.packetType);
    ctx.counters.packetsReceived++;
    ctx.receivedValidPacket = true;
    ctx.lastActivity = now;
    ctx.ackElicitingSinceActivity = false;
    if (this.#hooks.onFrameReceived !== undefined)
      for (const frame of frames) this.#hooks.onFrameReceived(frame, packet.space);
    processFrames(ctx, frames, packet, now, this.#transitions);
    ctx.drainStreamEvents();
    if (!ctx.isOpen) return;
    ctx.spaces[packet.space].acks.onPacketReceived(packet.packetNumber, now, isAckEliciting(frames));
    // RFC 9001 §4.9.1: a server is done with Initial keys once the client uses Handshake keys.
    if (packet.space === "handshake" && ctx.role === "server") this.#discardSpace("initial", now);
  }

  #onCrypto(space: PacketNumberSpace, offset: number, data: Uint8Array, now: number): void {
    const buffer = this.#ctx.spaces[space].cryptoReceive;
    buffer.push(offset, data);
    const bytes = buffer.readAll();
    if (bytes.length === 0) return;
    this.#handshake.receive(LEVEL_OF_SPACE[space], bytes);
    this.#afterHandshakeProgress(now);
  }

  // ------------------------------------------------------------------------------------------
  // Handshake progress and keys

  #afterHandshakeProgress(now: number): void {
    const ctx = this.#ctx;
    for (const out of this.#handshake.takeOutgoing()) ctx.spaces[out.level].cryptoSend.write(out.data);
    for (const secrets of this.#handshake.takeSecrets()) this.#installKeys(secrets);
    const peer = this.#handshake.peerTransportParameters;
    if (ctx.peer === undefined && peer !== undefined) this.#applyPeerParameters(peer);
    if (!ctx.handshakeComplete && this.#handshake.complete) this.#onHandshakeComplete(now);
  }

  #installKeys(secrets: HandshakeKeysUpdate): void {
    const ctx = this.#ctx;
    const send = derivePacketProtectionKeys(secrets.cipherSuite, secrets.send);
    const receive = derivePacketProtectionKeys(secrets.cipherSuite, secrets.receive);
    if (secrets.level === "application") {
      ctx.oneRtt = new OneRttKeys(send, receive);
      return;
    }
    const space = ctx.spaces.handshake;
    space.sendKeys = send;
    space.receiveKeys = receive;
    ctx.recovery.loss.onHandshakeKeysAvailable();
  }

  #applyPeerParameters(peer: TransportParameters): void {
    const ctx = this.#ctx;
    ctx.peer = peer;
    ctx.streams.applyPeerParameters(peer);
    ctx.recovery.loss.rtt.maxAckDelay = peer.maxAckDelay;
    ctx.maxDatagramSize = Math.max(
      MIN_INITIAL_DATAGRAM,
      Math.min(ctx.configuredDatagramSize, peer.maxUdpPayloadSize),
    );
    // RFC 9000 §10.1: the smaller of the two non-zero timeouts; zero means none from that side.
    const ours = ctx.local.maxIdleTimeout;
    const theirs = peer.maxIdleTimeout;
    ctx.idleTimeout = ours === 0 ? theirs : theirs === 0 ? ours : Math.min(ours, theirs);
    if (peer.statelessResetToken !== undefined)
      ctx.peerConnectionIds.setInitialResetToken(peer.statelessResetToken.slice());
  }

  #onHandshakeComplete(now: number): void {
    const ctx = this.#ctx;
    ctx.handshakeComplete = true;
    ctx.handshakeDeadline = undefined;
    ctx.state = "established";
    ctx.events.push({ type: "handshake-complete" });
    // RFC 9001 §4.1.2: the server's handshake is confirmed as it completes; it tells the client.
    if (ctx.role === "server") {
      this.queueFrame({ type: "handshakeDone" }, true);
      this.#confirmHandshake(now);
    }
  }

  #confirmHandshake(now: number): void {
    const ctx = this.#ctx;
    if (ctx.handshakeConfirmed) return;
    ctx.handshakeConfirmed = true;
    ctx.recovery.loss.onHandshakeConfirmed(now);
    // RFC 9001 §4.9.2: Handshake keys go once the handshake is confirmed.
    this.#discardSpace("handshake", now);
  }

  #discardSpace(space: "initial" | "handshake", now: number): void {
    const ctx = this.#ctx;
    const ps = ctx.spaces[space];
    if (ps.discarded) return;
    ps.discard();
    ctx.recovery.loss.discardSpace(space, now);
    if (ctx.probe?.space === space) ctx.probe = undefined;
  }

  // ------------------------------------------------------------------------------------------
  // Timers

  /** When `onTimer` must next be called, or undefined when no timer is needed. */
  nextTimerDeadline(): number | undefined {
    const ctx = this.#ctx;
    if (ctx.state === "closed") return undefined;
    if (!ctx.isOpen) return ctx.closing?.deadline;
    let deadline = ctx.recovery.loss.timerDeadline;
    const consider = (time: number | undefined): void => {
      if (time !== undefined && (deadline === undefined || time < deadline)) deadline = time;
    };
    consider(this.#idleDeadline());
    consider(this.#keepAliveDeadline());
    consider(ctx.handshakeDeadline);
    for (const space of PACKET_NUMBER_SPACES)
      if (ctx.canSendIn(space)) consider(ctx.spaces[space].acks.ackDeadline);
    if (hasDataToSend(ctx)) consider(ctx.pacingDeadline);
    return deadline;
  }

  #idleDeadline(): number | undefined {
    const ctx = this.#ctx;
    if (ctx.idleTimeout <= 0) return undefined;
    // RFC 9000 §10.1: never shorter than three PTOs, so loss alone cannot end the connection.
    return ctx.lastActivity + Math.max(ctx.idleTimeout, ctx.threePto);
  }

  // One PING per silence: once it is out, the connection waits for any packet back (the PING is
  // ack-eliciting, so loss detection resends it), and the idle timer still ends a dead peer.
  #keepAliveDeadline(): number | undefined {
    const ctx = this.#ctx;
    const interval = this.#keepAliveInterval;
    if (interval === undefined || ctx.state !== "established" || ctx.ackElicitingSinceActivity)
      return undefined;
    const usable = ctx.idleTimeout > 0 ? Math.min(interval, ctx.idleTimeout / 2) : interval;
    return ctx.lastActivity + usable;
  }

  /** Handles every timer due at `now`. */
  onTimer(now: number): void {
    const ctx = this.#ctx;
    ctx.now = now;
    if (ctx.state === "closed") return;
    if (!ctx.isOpen) {
      if (now >= (ctx.closing?.deadline ?? now)) ctx.state = "closed";
      return;
    }
    if (ctx.handshakeDeadline !== undefined && now >= ctx.handshakeDeadline) {
      const error = new QuicConnectionError(
        "handshake_timeout",
        "the QUIC handshake did not complete in time",
      );
      this.closeSilently(error, now);
      return;
    }
    const idle = this.#idleDeadline();
    if (idle !== undefined && now >= idle) {
      const silence = Math.round(now - ctx.lastActivity);
      const error = new QuicConnectionError(
        "idle_timeout",
        `no packet from the peer for ${silence} ms (idle timeout)`,
      );
      this.closeSilently(error, now);
      return;
    }
    const keepAlive = this.#keepAliveDeadline();
    if (keepAlive !== undefined && now >= keepAlive) this.ping();
    this.#guard(() => this.#onLossDetectionTimer(now));
  }

  #onLossDetectionTimer(now: number): void {
    const ctx = this.#ctx;
    const deadline = ctx.recovery.loss.timerDeadline;
    if (deadline === undefined || now < deadline) return;
    const outcome = ctx.recovery.loss.onLossDetectionTimeout(now);
    if (outcome.kind === "lost") onPacketsLost(ctx, outcome.space, outcome.lost);
    else if (outcome.kind === "probe") this.#armProbe(outcome.space, outcome.count);
  }

  // RFC 9002 §6.2.4: a probe carries new data if there is any, else data that may be lost,
  // else a PING. Queuing outstanding data again costs nothing if it turns out acknowledged:
  // send buffers drop acknowledged ranges from what they resend.
  #armProbe(space: PacketNumberSpace, count: number): void {
    const ctx = this.#ctx;
    ctx.counters.probeTimeouts++;
    ctx.probe = { space, count };
    const outstanding = ctx.recovery.loss.outstanding(space).filter((packet) => packet.ackEliciting);
    if (space === "application" && ctx.streams.hasPendingFrames) return;
    const resend = space === "application" ? outstanding.slice(0, count) : outstanding;
    for (const packet of resend)
      for (const record of packet.frames)
        if (space === "application" || record.kind === "crypto") requeue(ctx, space, record);
  }

  // ------------------------------------------------------------------------------------------
  // Sending

  /** The next datagram to send at `now`, or undefined when there is nothing to send now. */
  send(now: number): Uint8Array | undefined {
    const ctx = this.#ctx;
    ctx.now = now;
    if (ctx.state === "closing") return assembleCloseDatagram(ctx);
    if (!ctx.isOpen) return undefined;
    try {
      this.#updateKeysBeforeLimit();
      const out = assembleDatagram(ctx, now);
      // RFC 9001 §4.9.1: a client is done with Initial keys once it sends a Handshake packet.
      if (out?.handshakeSent && ctx.role === "client") this.#discardSpace("initial", now);
      return out?.datagram;
    } catch (error) {
      this.#fail(error, now);
      return assembleCloseDatagram(ctx);
    }
  }

  #updateKeysBeforeLimit(): void {
    const keys = this.#ctx.oneRtt;
    if (
      keys !== undefined &&
      keys.packetsSentInPhase >= keys.send.suite.confidentialityLimit - CONFIDENTIALITY_MARGIN
    )
      this.initiateKeyUpdate();
  }
}
