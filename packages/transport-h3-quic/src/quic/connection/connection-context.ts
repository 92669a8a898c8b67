/**
 * The state one connection's parts share: packet number spaces and keys, recovery, streams,
 * connection IDs, timers' inputs, events and counters. `ConnectionCore` owns it and makes the
 * state transitions; packet receipt, frame processing and packet assembly read and update it.
 * Keeping it in one plain object is what lets those parts live in their own files.
 *
 * @packageDocumentation
 */

import type { PacketProtectionKeys } from "../crypto/packet-keys.js";
import type { Frame } from "../frames/frame.js";
import type { TransportParameters } from "../frames/transport-parameters.js";
import { NewReno } from "../recovery/congestion-control.js";
import { LossDetection } from "../recovery/loss-detection.js";
import { Pacer } from "../recovery/pacer.js";
import type { PacketNumberSpace } from "../recovery/packet-number-space.js";
import type { RttEstimator } from "../recovery/rtt-estimator.js";
import type { CloseFrames } from "./connection-close.js";
import type { QuicConnectionEvent, QuicConnectionState } from "./connection-events.js";
import { sameConnectionId } from "./connection-id.js";
import type { OneRttKeys } from "./one-rtt-keys.js";
import { type PacketHeaderInfo, packetNumberLengthFor } from "./packet-assembly.js";
import { UndecryptablePackets } from "./packet-receipt.js";
import { PacketSpace } from "./packet-space.js";
import { PeerConnectionIds } from "./peer-connection-ids.js";
import type { SentFrame } from "./sent-frame.js";
import { StreamManager } from "./stream-manager.js";

// Largest auto-tuned windows: what one stream, and the whole connection, may make us buffer.
const MAX_STREAM_WINDOW = 32 * 1024 * 1024;
const MAX_CONNECTION_WINDOW = 48 * 1024 * 1024;

/**
 * What the context is built from.
 *
 * @internal
 */
export interface ConnectionContextOptions {
  readonly role: "client" | "server";
  readonly localConnectionId: Uint8Array;
  readonly peerConnectionId: Uint8Array;
  readonly originalConnectionId: Uint8Array | undefined;
  readonly initialKeys: { readonly send: PacketProtectionKeys; readonly receive: PacketProtectionKeys };
  readonly transportParameters: TransportParameters;
  readonly maxDatagramSize: number;
  readonly now: number;
}

/**
 * A probe the loss detection timer asked for: `count` ack-eliciting packets in `space`.
 *
 * @internal
 */
export interface ProbeRequest {
  readonly space: PacketNumberSpace;
  count: number;
}

/**
 * The closing or draining state: when it ends, and in closing, the CONNECTION_CLOSE to repeat.
 *
 * @internal
 */
export interface ClosingState {
  /** Undefined while draining, which sends nothing. */
  readonly frames: CloseFrames | undefined;
  pending: boolean;
  deadline: number;
  packetsReceived: number;
}

/**
 * Counters behind `QuicConnectionStats`.
 *
 * @internal
 */
export interface ConnectionCounters {
  packetsSent: number;
  packetsReceived: number;
  packetsLost: number;
  bytesSent: number;
  bytesReceived: number;
  probeTimeouts: number;
}

/**
 * Loss detection, congestion control and pacing, replaced together after a Retry.
 *
 * @internal
 */
export interface Recovery {
  readonly loss: LossDetection<SentFrame[]>;
  readonly congestion: NewReno;
  readonly pacer: Pacer;
}

/**
 * Recovery state for a new path, keeping the RTT estimate if one is given.
 *
 * @internal
 */
export function newRecovery(
  role: "client" | "server",
  maxDatagramSize: number,
  rtt?: RttEstimator,
): Recovery {
  const congestion = new NewReno({ maxDatagramSize });
  const loss = new LossDetection<SentFrame[]>({
    role,
    congestionController: congestion,
    ...(rtt === undefined ? {} : { rtt }),
  });
  return { loss, congestion, pacer: new Pacer({ maxDatagramSize }) };
}

/**
 * The shared state of one connection.
 *
 * @internal
 */
export class ConnectionContext {
  readonly role: "client" | "server";
  readonly local: TransportParameters;
  readonly spaces: Record<PacketNumberSpace, PacketSpace>;
  readonly streams: StreamManager;
  readonly peerConnectionIds: PeerConnectionIds;
  /** Our connection IDs by sequence number; long headers carry sequence 0. */
  readonly localConnectionIds = new Map<number, Uint8Array>();
  readonly localCidLength: number;
  /** A server's: the client's first DCID, still valid on its Initial and Handshake packets. */
  readonly originalConnectionId: Uint8Array | undefined;
  readonly held = new UndecryptablePackets();
  readonly configuredDatagramSize: number;
  readonly counters: ConnectionCounters = {
    packetsSent: 0,
    packetsReceived: 0,
    packetsLost: 0,
    bytesSent: 0,
    bytesReceived: 0,
    probeTimeouts: 0,
  };
  events: QuicConnectionEvent[] = [];
  state: QuicConnectionState = "handshaking";
  now: number;
  recovery: Recovery;
  oneRtt: OneRttKeys | undefined;
  maxDatagramSize: number;
  peer: TransportParameters | undefined;
  /** A client's Initial token: from a Retry. */
  token = new Uint8Array(0);
  receivedToken: Uint8Array | undefined;
  handshakeComplete = false;
  handshakeConfirmed = false;
  receivedValidPacket = false;
  peerInitialScid: Uint8Array | undefined;
  probe: ProbeRequest | undefined;
  pacingDeadline: number | undefined;
  handshakeDeadline: number | undefined;
  idleTimeout: number;
  lastActivity: number;
  ackElicitingSinceActivity = false;
  /** Frames for 1-RTT packets; a record makes them retransmittable. */
  controlFrames: { frame: Frame; record: SentFrame | undefined }[] = [];
  pingPending = false;
  ackOnlyPackets = 0;
  integrityFailures = 0;
  closing: ClosingState | undefined;

  constructor(options: ConnectionContextOptions) {
    this.role = options.role;
    this.local = options.transportParameters;
    this.now = options.now;
    this.lastActivity = options.now;
    this.configuredDatagramSize = options.maxDatagramSize;
    this.maxDatagramSize = options.maxDatagramSize;
    this.idleTimeout = options.transportParameters.maxIdleTimeout;
    this.localConnectionIds.set(0, options.localConnectionId);
    this.localCidLength = options.localConnectionId.length;
    this.originalConnectionId = options.originalConnectionId;
    const maxAckDelay = options.transportParameters.maxAckDelay;
    this.spaces = {
      initial: new PacketSpace("initial", maxAckDelay),
      handshake: new PacketSpace("handshake", maxAckDelay),
      application: new PacketSpace("application", maxAckDelay),
    };
    this.spaces.initial.sendKeys = options.initialKeys.send;
    this.spaces.initial.receiveKeys = options.initialKeys.receive;
    this.peerConnectionIds = new PeerConnectionIds(
      options.peerConnectionId,
      options.transportParameters.activeConnectionIdLimit,
    );
    this.streams = new StreamManager({
      role: options.role,
      local: options.transportParameters,
      maxStreamWindow: MAX_STREAM_WINDOW,
      maxConnectionWindow: MAX_CONNECTION_WINDOW,
    });
    this.recovery = newRecovery(options.role, options.maxDatagramSize);
  }

  /** Whether the connection can still send and receive data. */
  get isOpen(): boolean {
    return this.state === "handshaking" || this.state === "established";
  }

  /** Three PTOs: how long closing and draining last, and old key phases are kept (RFC 9000 §10.2, RFC 9001 §6.5). */
  get threePto(): number {
    return 3 * this.recovery.loss.rtt.probeTimeout(true);
  }

  /** Moves stream events into the connection's event list, keeping their order with the rest. */
  drainStreamEvents(): void {
    for (const event of this.streams.takeEvents()) this.events.push(event);
  }

  /** Whether packets of a space can be sent now: keys installed and not discarded. */
  canSendIn(space: PacketNumberSpace): boolean {
    if (space === "application") return this.oneRtt !== undefined;
    const ps = this.spaces[space];
    return !ps.discarded && ps.sendKeys !== undefined;
  }

  /** The keys to protect a packet of `space` with. */
  sendKeys(space: PacketNumberSpace): PacketProtectionKeys | undefined {
    return space === "application" ? this.oneRtt?.send : this.spaces[space].sendKeys;
  }

  /** The header of the next packet of `space`. */
  headerInfo(space: PacketNumberSpace): PacketHeaderInfo {
    const packetNumber = this.spaces[space].nextPacketNumber;
    return {
      space,
      packetNumber,
      packetNumberLength: packetNumberLengthFor(packetNumber, this.recovery.loss.largestAcked(space)),
      dcid: this.peerConnectionIds.current,
      scid: this.localConnectionIds.get(0) ?? this.localConnectionIds.values().next().value!,
      token: this.role === "client" ? this.token : new Uint8Array(0),
      keyPhase: this.oneRtt?.sendPhase ?? false,
    };
  }

  /** Whether a packet sent to `dcid` is for this connection. */
  isLocalConnectionId(dcid: Uint8Array): boolean {
    for (const cid of this.localConnectionIds.values()) if (sameConnectionId(cid, dcid)) return true;
    return false;
  }
}
