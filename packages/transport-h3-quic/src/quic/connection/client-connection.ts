/**
 * `QuicClientConnection`: a QUIC v1 client connection (RFC 9000, 9001, 9002) with no I/O, no
 * timers and no clock of its own. The owner moves datagrams and time:
 *
 * ```ts
 * const conn = new QuicClientConnection({ serverName, alpnProtocols: ["h3"], verifyCertificate, now });
 * socket.on("message", (d) => { conn.receive(d, clock()); flush(); });
 * function flush() {
 *   for (let d = conn.send(clock()); d; d = conn.send(clock())) socket.send(d);
 *   for (const event of conn.takeEvents()) handle(event);
 *   arm(conn.nextTimerDeadline()); // then conn.onTimer(clock()); flush();
 * }
 * ```
 *
 * What is client-specific lives here: the Initial's connection IDs, Retry (RFC 9000 §17.2.5,
 * checked with its integrity tag, at most one), Version Negotiation (§6.2: this client speaks
 * only v1), and the check of the server's connection ID transport parameters (§7.3). The rest is
 * the role-agnostic `ConnectionCore`.
 *
 * 0-RTT, connection migration, preferred_address and client certificates are not implemented.
 *
 * @packageDocumentation
 */

import { randomBytes, type X509Certificate } from "node:crypto";
import { deriveInitialKeys, QUIC_VERSION_1 } from "../crypto/initial-secrets.js";
import { QuicError, TransportErrorCode } from "../errors.js";
import {
  DEFAULT_TRANSPORT_PARAMETERS,
  decodeTransportParameters,
  encodeTransportParameters,
  type TransportParameters,
  type TransportParametersInit,
} from "../frames/transport-parameters.js";
import type { RetryPacket, VersionNegotiationPacket } from "../packet/header.js";
import { verifyRetryIntegrity } from "../packet/retry.js";
import {
  type EncryptionLevel,
  type HandshakeOutput,
  TlsClientHandshake,
  type TlsClientOptions,
  type TlsSessionTicket,
} from "../tls/client-handshake.js";
import { ConnectionCore, type HandshakeDriver, type HandshakeKeysUpdate } from "./connection-core.js";
import {
  QuicConnectionError,
  type QuicConnectionEvent,
  type QuicConnectionState,
  type QuicConnectionStats,
} from "./connection-events.js";

/**
 * The transport parameters this client sends unless told otherwise.
 *
 * @alpha
 */
export const DEFAULT_CLIENT_TRANSPORT_PARAMETERS: Readonly<TransportParametersInit> = Object.freeze({
  maxIdleTimeout: 30_000,
  maxUdpPayloadSize: 1472,
  initialMaxData: 16 * 1024 * 1024,
  initialMaxStreamDataBidiLocal: 8 * 1024 * 1024,
  initialMaxStreamDataBidiRemote: 8 * 1024 * 1024,
  initialMaxStreamDataUni: 1024 * 1024,
  initialMaxStreamsBidi: 100,
  initialMaxStreamsUni: 100,
  activeConnectionIdLimit: 4,
});

/**
 * How long the handshake may take unless told otherwise, in milliseconds.
 *
 * @alpha
 */
export const DEFAULT_HANDSHAKE_TIMEOUT = 10_000;

/**
 * Options of `QuicClientConnection`.
 *
 * @alpha
 */
export interface QuicClientConnectionOptions {
  /** The server's name: SNI (unless an IP literal) and the name the certificate must match. */
  readonly serverName: string;
  /** ALPN protocols in preference order, e.g. `["h3"]`; at least one. */
  readonly alpnProtocols: readonly string[];
  /** Checks the server's chain and returns its leaf; `certificateVerifier(trust)` makes one. */
  verifyCertificate(chain: readonly Uint8Array[], serverName: string): X509Certificate;
  /**
   * Our transport parameters, over `DEFAULT_CLIENT_TRANSPORT_PARAMETERS`. The connection IDs
   * are set here; server-only parameters are ignored.
   */
  readonly transportParameters?: TransportParametersInit | undefined;
  /** The largest UDP payload to send; 1200 (the minimum every path carries) unless given. */
  readonly maxDatagramSize?: number | undefined;
  /** Milliseconds the handshake may take before the connection gives up; 10 000 unless given. */
  readonly handshakeTimeout?: number | undefined;
  /**
   * Sends a PING after this many milliseconds without a packet from the peer, so an idle
   * connection outlives the idle timeout (at most half of it is used); none unless given.
   */
  readonly keepAliveInterval?: number | undefined;
  /** Random bytes for connection IDs; `crypto.randomBytes` unless given. */
  readonly random?: ((length: number) => Uint8Array) | undefined;
  /** TLS choices passed through to `TlsClientHandshake`. */
  readonly tls?: Pick<TlsClientOptions, "cipherSuites" | "groups" | "verifySignature"> | undefined;
  /** The time of creation, in milliseconds of the clock every later `now` comes from. */
  readonly now: number;
}

const CONNECTION_ID_LENGTH = 8;
const SERVER_ONLY_PARAMETERS = [
  "originalDestinationConnectionId",
  "statelessResetToken",
  "preferredAddress",
  "retrySourceConnectionId",
] as const;

function equalBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function toCode(code: number | bigint): bigint {
  const value = BigInt(code);
  if (value < 0n || value >= 1n << 62n) throw new RangeError(`error code ${code} does not fit 62 bits`);
  return value;
}

interface ConnectionIds {
  readonly originalDcid: Uint8Array;
  readonly scid: Uint8Array;
  retrySourceCid: Uint8Array | undefined;
}

/**
 * `TlsClientHandshake` as the core drives it, checking the server's transport parameters the
 * moment they arrive so a mismatch closes the connection before anything else happens.
 */
class ClientHandshakeDriver implements HandshakeDriver {
  readonly #tls: TlsClientHandshake;
  readonly #check: (params: TransportParameters) => void;
  #peer: TransportParameters | undefined;
  #ticket: TlsSessionTicket | undefined;

  constructor(tls: TlsClientHandshake, check: (params: TransportParameters) => void) {
    this.#tls = tls;
    this.#check = check;
  }

  get complete(): boolean {
    return this.#tls.complete;
  }

  get peerTransportParameters(): TransportParameters | undefined {
    return this.#peer;
  }

  get sessionTicket(): TlsSessionTicket | undefined {
    return this.#ticket;
  }

  receive(level: EncryptionLevel, data: Uint8Array): void {
    this.#tls.receive(level, data);
    // A server may send any number of tickets; only the newest is worth keeping.
    const tickets = this.#tls.takeSessionTickets();
    if (tickets.length > 0) this.#ticket = tickets.at(-1);
    const raw = this.#tls.peerTransportParameters;
    if (this.#peer !== undefined || raw === undefined) return;
    const params = decodeTransportParameters(raw, "server");
    this.#check(params);
    this.#peer = params;
  }

  takeOutgoing(): readonly HandshakeOutput[] {
    return this.#tls.takeOutgoing();
  }

  takeSecrets(): readonly HandshakeKeysUpdate[] {
    return this.#tls.takeSecrets().map((s) => ({
      level: s.level,
      cipherSuite: s.cipherSuite,
      send: s.client,
      receive: s.server,
    }));
  }
}

/**
 * An I/O-free QUIC v1 client connection: datagrams in, datagrams out, time passed in.
 *
 * @alpha
 */
export class QuicClientConnection {
  readonly #core: ConnectionCore;
  readonly #tls: TlsClientHandshake;
  readonly #driver: ClientHandshakeDriver;
  readonly #ids: ConnectionIds;

  /** Builds the connection and queues the ClientHello; the first `send` returns the first Initial. */
  constructor(options: QuicClientConnectionOptions) {
    const random = options.random ?? ((n: number) => new Uint8Array(randomBytes(n)));
    const maxDatagramSize = options.maxDatagramSize ?? 1200;
    if (!Number.isInteger(maxDatagramSize) || maxDatagramSize < 1200 || maxDatagramSize > 65527)
      throw new RangeError(`maxDatagramSize must be an integer in 1200..65527, not ${maxDatagramSize}`);
    // RFC 9000 §7.2: at least 8 unpredictable bytes, which also key the Initial secrets.
    this.#ids = {
      originalDcid: random(CONNECTION_ID_LENGTH).slice(),
      scid: random(CONNECTION_ID_LENGTH).slice(),
      retrySourceCid: undefined,
    };
    if (this.#ids.originalDcid.length < 8 || this.#ids.scid.length !== CONNECTION_ID_LENGTH)
      throw new RangeError("random(n) must return n bytes");
    const ours = this.#transportParameters(options.transportParameters);
    this.#tls = new TlsClientHandshake({
      serverName: options.serverName,
      alpnProtocols: options.alpnProtocols,
      transportParameters: encodeTransportParameters(ours),
      verifyCertificate: options.verifyCertificate,
      ...options.tls,
    });
    const initial = deriveInitialKeys(this.#ids.originalDcid);
    this.#driver = new ClientHandshakeDriver(this.#tls, (params) => this.#checkConnectionIds(params));
    this.#core = new ConnectionCore({
      role: "client",
      handshake: this.#driver,
      localConnectionId: this.#ids.scid,
      peerConnectionId: this.#ids.originalDcid,
      initialKeys: { send: initial.client, receive: initial.server },
      transportParameters: { ...DEFAULT_TRANSPORT_PARAMETERS, ...ours },
      maxDatagramSize,
      handshakeTimeout: options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT,
      keepAliveInterval: options.keepAliveInterval,
      now: options.now,
      hooks: {
        onRetry: (packet) => this.#onRetry(packet),
        onVersionNegotiation: (packet, now) => this.#onVersionNegotiation(packet, now),
      },
    });
    this.#tls.start();
    this.#core.pumpHandshake(options.now);
  }

  #transportParameters(init: TransportParametersInit | undefined): TransportParametersInit {
    const params: { -readonly [K in keyof TransportParametersInit]: TransportParametersInit[K] } = {
      ...DEFAULT_CLIENT_TRANSPORT_PARAMETERS,
      ...init,
      initialSourceConnectionId: this.#ids.scid,
    };
    for (const key of SERVER_ONLY_PARAMETERS) delete params[key];
    return params;
  }

  // RFC 9000 §7.3: the server proves which Initials it saw, so an attacker on the path cannot
  // splice a Retry or its own connection IDs into the handshake.
  #checkConnectionIds(params: TransportParameters): void {
    const fail = (message: string): never => {
      throw new QuicError(TransportErrorCode.TRANSPORT_PARAMETER_ERROR, message);
    };
    const ids = this.#ids;
    if (!equalBytes(params.originalDestinationConnectionId, ids.originalDcid))
      fail("original_destination_connection_id does not match our first Destination Connection ID");
    if (!equalBytes(params.initialSourceConnectionId, this.#core.peerInitialSourceConnectionId))
      fail("initial_source_connection_id does not match the server's Source Connection ID");
    if (ids.retrySourceCid === undefined) {
      if (params.retrySourceConnectionId !== undefined) fail("retry_source_connection_id without a Retry");
    } else if (!equalBytes(params.retrySourceConnectionId, ids.retrySourceCid)) {
      fail("retry_source_connection_id does not match the Retry packet's Source Connection ID");
    }
  }

  // RFC 9000 §17.2.5.2: one Retry at most, before any packet from the server, with a token,
  // and with a tag that proves it answers our Initial; anything else is discarded.
  #onRetry(packet: RetryPacket): void {
    if (this.#ids.retrySourceCid !== undefined || this.#core.receivedValidPacket) return;
    if (packet.token.length === 0 || !verifyRetryIntegrity(this.#ids.originalDcid, packet.packet)) return;
    this.#ids.retrySourceCid = packet.scid.slice();
    const keys = deriveInitialKeys(packet.scid);
    this.#core.applyRetry(packet.scid, packet.token, { send: keys.client, receive: keys.server });
  }

  // RFC 9000 §6.2: a Version Negotiation packet that lists our version, or echoes the wrong
  // connection IDs, is not an answer to our Initial and is ignored.
  #onVersionNegotiation(packet: VersionNegotiationPacket, now: number): void {
    if (!equalBytes(packet.dcid, this.#ids.scid) || !equalBytes(packet.scid, this.#ids.originalDcid)) return;
    if (packet.supportedVersions.includes(QUIC_VERSION_1)) return;
    const offered = packet.supportedVersions.map((v) => `0x${v.toString(16).padStart(8, "0")}`).join(", ");
    const error = new QuicConnectionError(
      "version_negotiation",
      `the server does not support QUIC version 1 (it offers ${offered})`,
    );
    this.#core.closeSilently(error, now);
  }

  // ------------------------------------------------------------------------------------------
  // Datagrams and time

  /** Processes one datagram from the server; never throws for what it contains. */
  receive(datagram: Uint8Array, now: number): void {
    this.#core.receive(datagram, now);
  }

  /** The next datagram to send at `now`; call until undefined. */
  send(now: number): Uint8Array | undefined {
    return this.#core.send(now);
  }

  /** When `onTimer` must next be called, or undefined. */
  nextTimerDeadline(): number | undefined {
    return this.#core.nextTimerDeadline();
  }

  /** Runs the timers due at `now`; call `send` afterwards. */
  onTimer(now: number): void {
    this.#core.onTimer(now);
  }

  /** Events since the last call. */
  takeEvents(): QuicConnectionEvent[] {
    return this.#core.takeEvents();
  }

  // ------------------------------------------------------------------------------------------
  // Streams

  /** Opens a stream, or returns undefined while the server's stream limit (or the handshake) blocks it. */
  openStream(bidirectional: boolean): number | undefined {
    if (!this.#core.isOpen || this.#core.peerTransportParameters === undefined) return undefined;
    return this.#core.streams.openStream(bidirectional);
  }

  /** Queues data (and the end of the stream); throws if the stream cannot send. */
  writeStream(id: number, data: Uint8Array, fin = false): void {
    if (!this.#core.isOpen) throw new Error("the connection is closed");
    this.#core.streams.write(id, data, fin);
  }

  /** How many bytes `writeStream` can take before they wait for flow control credit. */
  streamWritable(id: number): number {
    return this.#core.isOpen ? this.#core.streams.writable(id) : 0;
  }

  /** Reads up to `max` bytes of in-order data; `fin` once the end is reached; undefined if none is ready. */
  readStream(id: number, max?: number): { data: Uint8Array; fin: boolean } | undefined {
    const core = this.#core;
    return core.streams.read(id, max ?? Number.POSITIVE_INFINITY, core.now, core.rtt.smoothedRtt);
  }

  /** Abandons sending on a stream with RESET_STREAM. */
  resetStream(id: number, code: number | bigint): void {
    if (this.#core.isOpen) this.#core.streams.reset(id, toCode(code));
  }

  /** Asks the server to stop sending on a stream with STOP_SENDING. */
  stopSending(id: number, code: number | bigint): void {
    const core = this.#core;
    if (core.isOpen) core.streams.stopSending(id, toCode(code), core.now, core.rtt.smoothedRtt);
  }

  // ------------------------------------------------------------------------------------------
  // Connection

  /**
   * Closes with CONNECTION_CLOSE: 0x1c with a transport error code, or 0x1d with an application
   * one. The connection then stays in the closing state for three PTOs (RFC 9000 §10.2).
   */
  close(code: number | bigint = 0, reason = "", application = false): void {
    this.#core.close(toCode(code), reason, application, this.#core.now);
  }

  /** Starts a key update (RFC 9001 §6); false while one is in progress or before confirmation. */
  updateKeys(): boolean {
    return this.#core.initiateKeyUpdate();
  }

  /** Where the connection is in its life. */
  get state(): QuicConnectionState {
    return this.#core.state;
  }

  /** Whether the handshake is confirmed: HANDSHAKE_DONE arrived (RFC 9001 §4.1.2). */
  get handshakeConfirmed(): boolean {
    return this.#core.handshakeConfirmed;
  }

  /** The protocol the server selected by ALPN. */
  get alpnProtocol(): string | undefined {
    return this.#tls.alpnProtocol;
  }

  /** The server's end-entity certificate. */
  get peerCertificate(): X509Certificate | undefined {
    return this.#tls.peerCertificate;
  }

  /** The server's transport parameters, once the handshake delivered and checked them. */
  get peerTransportParameters(): TransportParameters | undefined {
    return this.#core.peerTransportParameters;
  }

  /** The newest session ticket from the server (resumption is not implemented yet). */
  get sessionTicket(): TlsSessionTicket | undefined {
    return this.#driver.sessionTicket;
  }

  /** The latest NEW_TOKEN from the server. */
  get newToken(): Uint8Array | undefined {
    return this.#core.newToken;
  }

  /** How many key updates took place, by either side. */
  get keyUpdates(): number {
    return this.#core.keyUpdates;
  }

  /** Counters and the current RTT and congestion window. */
  get stats(): QuicConnectionStats {
    return this.#core.stats;
  }

  /** Our Source Connection ID. */
  get sourceConnectionId(): Uint8Array {
    return this.#ids.scid;
  }

  /** The Destination Connection ID of our first Initial, which keyed the Initial secrets. */
  get originalDestinationConnectionId(): Uint8Array {
    return this.#ids.originalDcid;
  }

  /** The Destination Connection ID in use now. */
  get destinationConnectionId(): Uint8Array {
    return this.#core.peerConnectionIds.current;
  }
}
