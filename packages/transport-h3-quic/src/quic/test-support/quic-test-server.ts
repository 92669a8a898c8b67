/**
 * A scripted QUIC v1 server for driving `QuicClientConnection` in tests, with no sockets: the
 * test moves datagrams and time. It runs the connection core in the server role with
 * `TestTlsServer` as its handshake, so its packets, recovery and streams are real, and adds
 * what a test needs to script: a forced Retry, wrong transport parameters, silence, closing,
 * key updates, extra connection IDs, a server-opened stream, and raw 1-RTT packets that break
 * the protocol on purpose.
 *
 * By default it echoes every client bidirectional stream: what it reads it writes back, FIN
 * included.
 *
 * @packageDocumentation
 */

import { randomBytes } from "node:crypto";
import {
  ConnectionCore,
  type HandshakeDriver,
  type HandshakeKeysUpdate,
} from "../connection/connection-core.js";
import type { QuicConnectionEvent } from "../connection/connection-events.js";
import { deriveInitialKeys } from "../crypto/initial-secrets.js";
import type { Frame } from "../frames/frame.js";
import {
  DEFAULT_TRANSPORT_PARAMETERS,
  decodeTransportParameters,
  encodeTransportParameters,
  type TransportParameters,
  type TransportParametersInit,
} from "../frames/transport-parameters.js";
import { type LongHeaderPacket, parseDatagram } from "../packet/header.js";
import { buildRetryPacket } from "../packet/retry.js";
import { isBidirectionalStream, streamInitiator } from "../streams/stream-id.js";
import type { EncryptionLevel, HandshakeOutput } from "../tls/client-handshake.js";
import {
  decodeClientHello,
  ExtensionType,
  findExtension,
  HandshakeReader,
  HandshakeType,
} from "../tls/handshake-messages.js";
import { TestTlsServer, type TestTlsServerOptions } from "./tls-test-server.js";

/** What the scripted server does. */
export interface QuicTestServerOptions
  extends Pick<TestTlsServerOptions, "certificateChain" | "privateKey" | "signatureScheme" | "cipherSuite"> {
  /** The ALPN protocol to select; "test" unless given. */
  readonly alpnProtocol?: string;
  /** The server's limits, over generous defaults. */
  readonly transportParameters?: TransportParametersInit;
  /** Rewrites the finished transport parameters before they are sent, to make them wrong. */
  readonly rewriteTransportParameters?: (params: TransportParametersInit) => TransportParametersInit;
  /** Answers the first Initial with a Retry. */
  readonly retry?: boolean;
  /** Echo client bidirectional streams (true unless given). */
  readonly echo?: boolean;
  /** Data to send on a server-opened unidirectional stream as soon as the handshake completes. */
  readonly openUniStream?: Uint8Array;
  /** How many extra connection IDs to issue with NEW_CONNECTION_ID after the handshake. */
  readonly issueConnectionIds?: number;
  /** The largest UDP payload the server sends. */
  readonly maxDatagramSize?: number;
}

const SERVER_CID_LENGTH = 8;
const RETRY_TOKEN = new TextEncoder().encode("quic-test-server retry token");

const SERVER_DEFAULTS: TransportParametersInit = {
  maxIdleTimeout: 30_000,
  maxUdpPayloadSize: 1472,
  initialMaxData: 16 * 1024 * 1024,
  initialMaxStreamDataBidiLocal: 8 * 1024 * 1024,
  initialMaxStreamDataBidiRemote: 8 * 1024 * 1024,
  initialMaxStreamDataUni: 1024 * 1024,
  initialMaxStreamsBidi: 100,
  initialMaxStreamsUni: 100,
  activeConnectionIdLimit: 4,
};

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** `TestTlsServer` as the connection core drives it. */
class ServerHandshakeDriver implements HandshakeDriver {
  readonly #tls: TestTlsServer;
  readonly #readers = { initial: new HandshakeReader(), handshake: new HandshakeReader() };
  readonly #clientFlight: Uint8Array[] = [];
  #outgoing: HandshakeOutput[] = [];
  #secrets: HandshakeKeysUpdate[] = [];
  #peer: TransportParameters | undefined;
  #complete = false;

  constructor(tls: TestTlsServer) {
    this.#tls = tls;
  }

  get complete(): boolean {
    return this.#complete;
  }

  get peerTransportParameters(): TransportParameters | undefined {
    return this.#peer;
  }

  receive(level: EncryptionLevel, data: Uint8Array): void {
    if (level === "application") return;
    const reader = this.#readers[level];
    reader.push(data);
    for (let message = reader.next(); message !== undefined; message = reader.next()) {
      if (level === "initial") this.#onClientHello(message.raw);
      else this.#onClientMessage(message.type, message.raw);
    }
  }

  #onClientHello(raw: Uint8Array): void {
    const hello = decodeClientHello(raw.subarray(4));
    const params = findExtension(hello.extensions, ExtensionType.quic_transport_parameters);
    if (params !== undefined) this.#peer = decodeTransportParameters(params, "client");
    const flight = this.#tls.serverFlight(raw);
    this.#outgoing.push({ level: "initial", data: flight.serverHello });
    this.#outgoing.push({ level: "handshake", data: flight.handshakeBytes });
    const orient = (level: "handshake" | "application", s: { client: Uint8Array; server: Uint8Array }) => ({
      level,
      cipherSuite: flight.cipherSuite,
      send: s.server,
      receive: s.client,
    });
    this.#secrets.push(orient("handshake", flight.handshakeSecrets));
    this.#secrets.push(orient("application", flight.applicationSecrets));
  }

  #onClientMessage(type: number, raw: Uint8Array): void {
    this.#clientFlight.push(raw);
    if (type !== HandshakeType.finished) return;
    this.#tls.receiveClientFlight(this.#clientFlight);
    this.#complete = true;
  }

  takeOutgoing(): readonly HandshakeOutput[] {
    const out = this.#outgoing;
    this.#outgoing = [];
    return out;
  }

  takeSecrets(): readonly HandshakeKeysUpdate[] {
    const out = this.#secrets;
    this.#secrets = [];
    return out;
  }
}

/** One scripted server connection, created by the first client Initial it accepts. */
export class QuicTestServer {
  readonly options: QuicTestServerOptions;
  /** The stateless reset token the server announces in its transport parameters. */
  readonly statelessResetToken = new Uint8Array(randomBytes(16));
  /** While true, datagrams are dropped and nothing is sent: a server that stopped answering. */
  silent = false;
  /** Every event the server's connection reported, for assertions. */
  readonly events: QuicConnectionEvent[] = [];
  /** How many Retry packets were sent. */
  retriesSent = 0;
  /** Control frames the server received (not STREAM, CRYPTO, ACK or PADDING), with their space. */
  readonly framesReceived: { readonly frame: Frame; readonly space: string }[] = [];
  #core: ConnectionCore | undefined;
  #outbox: Uint8Array[] = [];
  #retryScid: Uint8Array | undefined;
  #originalDcid: Uint8Array | undefined;
  readonly #echoEnded = new Set<number>();

  constructor(options: QuicTestServerOptions) {
    this.options = options;
  }

  /** The server's connection, once a client Initial created it. */
  get core(): ConnectionCore {
    if (this.#core === undefined) throw new Error("no client has connected yet");
    return this.#core;
  }

  /** Whether a client Initial created the connection. */
  get connected(): boolean {
    return this.#core !== undefined;
  }

  /** Takes one datagram from the client. */
  receive(datagram: Uint8Array, now: number): void {
    if (this.silent) return;
    if (this.#core === undefined && !this.#accept(datagram, now)) return;
    this.#core!.receive(datagram, now);
    this.#react(now);
  }

  /** The next datagram the server sends, or undefined. */
  send(now: number): Uint8Array | undefined {
    if (this.silent) return undefined;
    const queued = this.#outbox.shift();
    if (queued !== undefined) return queued;
    return this.#core?.send(now);
  }

  /** When the server's timers next fire. */
  nextTimerDeadline(): number | undefined {
    return this.silent ? undefined : this.#core?.nextTimerDeadline();
  }

  /** Runs the server's timers. */
  onTimer(now: number): void {
    if (this.silent || this.#core === undefined) return;
    this.#core.onTimer(now);
    this.#react(now);
  }

  /** Sends a datagram outside the connection: a garbage datagram, a second Retry, a raw packet. */
  inject(datagram: Uint8Array): void {
    this.#outbox.push(datagram);
  }

  /** Queues a 1-RTT packet carrying exactly `frames`, however wrong. */
  sendRaw(frames: readonly Frame[]): void {
    const packet = this.core.rawOneRttPacket(frames);
    if (packet === undefined) throw new Error("no 1-RTT keys yet");
    this.#outbox.push(packet);
  }

  // The first Initial creates the connection, after a Retry round if scripted.
  #accept(datagram: Uint8Array, now: number): boolean {
    const first = parseDatagram(datagram, SERVER_CID_LENGTH).packets[0];
    if (first?.kind !== "initial" || first.dcid.length < 8) return false;
    if (this.options.retry && this.#retryScid === undefined) {
      this.#sendRetry(first);
      return false;
    }
    if (this.#retryScid !== undefined && !equalBytes(first.token, RETRY_TOKEN)) return false;
    this.#originalDcid ??= first.dcid.slice();
    this.#createCore(first, now);
    return true;
  }

  #sendRetry(initial: LongHeaderPacket): void {
    this.#retryScid = new Uint8Array(randomBytes(SERVER_CID_LENGTH));
    this.#originalDcid = initial.dcid.slice();
    this.retriesSent++;
    this.#outbox.push(
      buildRetryPacket({ dcid: initial.scid, scid: this.#retryScid, token: RETRY_TOKEN }, initial.dcid),
    );
  }

  /** A Retry packet answering the client's first Initial again, with a new SCID: one the client must ignore. */
  secondRetry(clientScid: Uint8Array): Uint8Array {
    return buildRetryPacket(
      { dcid: clientScid, scid: new Uint8Array(randomBytes(SERVER_CID_LENGTH)), token: RETRY_TOKEN },
      this.#originalDcid!,
    );
  }

  #createCore(initial: LongHeaderPacket, now: number): void {
    const scid = this.#retryScid ?? new Uint8Array(randomBytes(SERVER_CID_LENGTH));
    const params = this.#transportParameters(scid);
    const tls = new TestTlsServer({
      certificateChain: this.options.certificateChain,
      privateKey: this.options.privateKey,
      signatureScheme: this.options.signatureScheme,
      cipherSuite: this.options.cipherSuite,
      alpnProtocol: this.options.alpnProtocol ?? "test",
      transportParameters: encodeTransportParameters(params),
    });
    // After a Retry the client derives Initial keys from the DCID the Retry gave it.
    const keys = deriveInitialKeys(initial.dcid);
    this.#core = new ConnectionCore({
      role: "server",
      handshake: new ServerHandshakeDriver(tls),
      localConnectionId: scid,
      peerConnectionId: initial.scid.slice(),
      originalConnectionId: initial.dcid.slice(),
      initialKeys: { send: keys.server, receive: keys.client },
      transportParameters: {
        ...DEFAULT_TRANSPORT_PARAMETERS,
        ...SERVER_DEFAULTS,
        ...this.options.transportParameters,
      },
      maxDatagramSize: this.options.maxDatagramSize ?? 1200,
      handshakeTimeout: undefined,
      now,
      hooks: {
        onFrameReceived: (frame, space) => {
          if (!["stream", "crypto", "ack", "padding"].includes(frame.type))
            this.framesReceived.push({ frame, space });
        },
      },
    });
  }

  #transportParameters(scid: Uint8Array): TransportParametersInit {
    const params: TransportParametersInit = {
      ...SERVER_DEFAULTS,
      ...this.options.transportParameters,
      originalDestinationConnectionId: this.#originalDcid!,
      initialSourceConnectionId: scid,
      statelessResetToken: this.statelessResetToken,
      ...(this.#retryScid === undefined ? {} : { retrySourceConnectionId: this.#retryScid }),
    };
    return this.options.rewriteTransportParameters?.(params) ?? params;
  }

  // What the server application does with its connection's events.
  #react(now: number): void {
    const core = this.#core!;
    for (const event of core.takeEvents()) {
      this.events.push(event);
      if (event.type === "handshake-complete") this.#onHandshakeComplete();
      if (event.type === "stream-readable" && this.options.echo !== false) this.#echo(event.id, now);
    }
  }

  #onHandshakeComplete(): void {
    const core = this.#core!;
    const uni = this.options.openUniStream;
    if (uni !== undefined) {
      const id = core.streams.openStream(false);
      if (id !== undefined) core.streams.write(id, uni, false);
    }
    for (let sequenceNumber = 1; sequenceNumber <= (this.options.issueConnectionIds ?? 0); sequenceNumber++) {
      const connectionId = new Uint8Array(randomBytes(SERVER_CID_LENGTH));
      core.addLocalConnectionId(sequenceNumber, connectionId);
      const frame: Frame = {
        type: "newConnectionId",
        sequenceNumber,
        retirePriorTo: 0,
        connectionId,
        statelessResetToken: new Uint8Array(randomBytes(16)),
      };
      core.queueFrame(frame, true);
    }
  }

  #echo(id: number, now: number): void {
    const core = this.#core!;
    if (!isBidirectionalStream(id) || streamInitiator(id) !== "client" || this.#echoEnded.has(id)) return;
    for (;;) {
      const chunk = core.streams.read(id, Number.POSITIVE_INFINITY, now, core.rtt.smoothedRtt);
      if (chunk === undefined) return;
      core.streams.write(id, chunk.data, chunk.fin);
      if (chunk.fin) {
        this.#echoEnded.add(id);
        return;
      }
    }
  }
}
