import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { deriveInitialKeys, QUIC_VERSION_1 } from "../crypto/initial-secrets.js";
import { QuicError, TransportErrorCode } from "../errors.js";
import type { Frame } from "../frames/frame.js";
import { encodeFrames } from "../frames/frame-codec.js";
import {
  parseDatagram,
  serializeLongHeader,
  serializeShortHeader,
  serializeVersionNegotiation,
} from "../packet/header.js";
import { protectPacket } from "../packet/packet-protection.js";
import { buildRetryPacket } from "../packet/retry.js";
import {
  closedEvent,
  confirm,
  SERVER_NAME,
  testClient,
  testPair,
  untrustedServer,
} from "../test-support/quic-fixtures.js";
import { QuicNetwork } from "../test-support/quic-network.js";
import { TlsAlert, TlsAlertError } from "../tls/alert.js";
import { DEFAULT_CLIENT_TRANSPORT_PARAMETERS } from "./client-connection.js";
import { QuicConnectionError } from "./connection-events.js";

const CID_LENGTH = 8;
const text = new TextEncoder();

function kinds(datagram: Uint8Array): string[] {
  return parseDatagram(datagram, CID_LENGTH).packets.map((packet) => packet.kind);
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  return a !== undefined && b !== undefined && Buffer.from(a).equals(Buffer.from(b));
}

/** A server Initial packet with `frames`, protected with the Initial keys the client derives. */
function forgedServerInitial(
  client: ReturnType<typeof testClient>,
  frames: readonly Frame[],
  options: { scid?: Uint8Array; token?: Uint8Array } = {},
): Uint8Array {
  const keys = deriveInitialKeys(client.originalDestinationConnectionId).server;
  const payload = new Uint8Array(Math.max(encodeFrames(frames).length, 1100));
  payload.set(encodeFrames(frames));
  const header = serializeLongHeader({
    type: "initial",
    dcid: client.sourceConnectionId,
    scid: options.scid ?? new Uint8Array(8).fill(7),
    token: options.token ?? new Uint8Array(0),
    packetNumber: 0,
    packetNumberLength: 1,
    payloadLength: payload.length + 16,
  });
  return protectPacket(keys, header, 0, payload);
}

describe("the handshake", () => {
  it("completes with ALPN, both sides' transport parameters and HANDSHAKE_DONE", () => {
    const pair = testPair({ server: { transportParameters: { initialMaxStreamsBidi: 7 } } });
    const { client, server, network } = pair;
    confirm(pair);
    expect(pair.clientEvents()[0]).toEqual({ type: "handshake-complete" });
    expect(client.state).toBe("established");
    expect(client.alpnProtocol).toBe("h3");
    expect(client.peerCertificate?.subjectAltName).toContain(SERVER_NAME);
    expect(client.peerTransportParameters).toMatchObject({
      initialMaxStreamsBidi: 7,
      maxIdleTimeout: 30_000,
    });
    // The server sees our defaults, and our Source Connection ID as initial_source_connection_id.
    expect(server.core.peerTransportParameters).toMatchObject(DEFAULT_CLIENT_TRANSPORT_PARAMETERS);
    expect(
      sameBytes(server.core.peerTransportParameters?.initialSourceConnectionId, client.sourceConnectionId),
    ).toBe(true);
    // Two round trips of 20 ms: Initial → ServerHello…Finished → client Finished → HANDSHAKE_DONE.
    expect(network.now).toBe(40);
    expect(client.stats).toMatchObject({ packetsLost: 0, probeTimeouts: 0 });
    expect(client.stats.smoothedRtt).toBe(20);
    // The scripted server issues no tickets.
    expect(client.sessionTicket).toBeUndefined();
  });

  it("sends a padded Initial with a fresh 8-byte DCID and its SCID", () => {
    const pair = testPair();
    const { client, network } = pair;
    network.flush();
    const first = network.sent.client[0]!;
    expect(first.length).toBeGreaterThanOrEqual(1200);
    const [initial] = parseDatagram(first, CID_LENGTH).packets;
    expect(initial?.kind).toBe("initial");
    if (initial?.kind !== "initial") return;
    expect(initial.dcid.length).toBeGreaterThanOrEqual(8);
    expect(sameBytes(initial.dcid, client.originalDestinationConnectionId)).toBe(true);
    expect(sameBytes(initial.scid, client.sourceConnectionId)).toBe(true);
    expect(initial.token.length).toBe(0);
    // Two clients never pick the same connection IDs.
    expect(
      sameBytes(testClient().originalDestinationConnectionId, client.originalDestinationConnectionId),
    ).toBe(false);
  });

  it("coalesces packets of several spaces and pads every datagram with an Initial", () => {
    const pair = testPair({ server: { openUniStream: text.encode("settings") } });
    const { client, network } = pair;
    network.runUntil(() => client.state === "established");
    // Before the client's reaction leaves: data written now rides with the client's Finished.
    const id = client.openStream(true)!;
    client.writeStream(id, text.encode("GET /"), true);
    confirm(pair);
    const clientKinds = network.sent.client.map(kinds);
    // The Initial ACK, the Finished and the first request in one datagram.
    expect(clientKinds).toContainEqual(["initial", "handshake", "1rtt"]);
    for (const [i, datagram] of network.sent.client.entries())
      if (clientKinds[i]!.includes("initial")) expect(datagram.length).toBeGreaterThanOrEqual(1200);
    // The server's flight: ServerHello in an Initial and the rest in a Handshake packet.
    expect(network.sent.server.map(kinds)[0]).toEqual(["initial", "handshake"]);
  });

  it("drops Initial keys once it sends a Handshake packet, and Handshake keys at HANDSHAKE_DONE", () => {
    const pair = testPair();
    confirm(pair);
    const { client, network } = pair;
    const id = client.openStream(true)!;
    client.writeStream(id, new Uint8Array(5000), true);
    network.runFor(200);
    const clientKinds = network.sent.client.map(kinds);
    const firstHandshake = clientKinds.findIndex((k) => k.includes("handshake"));
    const lastInitial = clientKinds.findLastIndex((k) => k.includes("initial"));
    const lastHandshake = clientKinds.findLastIndex((k) => k.includes("handshake"));
    expect(firstHandshake).toBeGreaterThan(0);
    // The datagram that carries the first Handshake packet may still hold the last Initial.
    expect(lastInitial).toBeLessThanOrEqual(firstHandshake);
    expect(lastHandshake).toBeLessThan(clientKinds.length - 1);
    expect(clientKinds.slice(lastHandshake + 1).every((k) => k.every((kind) => kind === "1rtt"))).toBe(true);
  });
});

describe("Retry", () => {
  it("is followed once: new DCID, the token echoed, the server's retry_source_connection_id checked", () => {
    const pair = testPair({ server: { retry: true } });
    const { client, server, network } = pair;
    confirm(pair);
    expect(server.retriesSent).toBe(1);
    expect(sameBytes(client.destinationConnectionId, client.originalDestinationConnectionId)).toBe(false);
    const [, second] = network.sent.client;
    const [initial] = parseDatagram(second!, CID_LENGTH).packets;
    expect(initial?.kind === "initial" && initial.token.length).toBeGreaterThan(0);
    expect(second!.length).toBeGreaterThanOrEqual(1200);
    expect(
      sameBytes(server.core.peerTransportParameters?.initialSourceConnectionId, client.sourceConnectionId),
    ).toBe(true);
  });

  it("ignores a second Retry", () => {
    const pair = testPair({ server: { retry: true } });
    const { client, server, network } = pair;
    network.runUntil(() => network.sent.client.length >= 2);
    const dcid = client.destinationConnectionId;
    network.inject("client", server.secondRetry(client.sourceConnectionId));
    network.runUntil(() => network.sent.client.length >= 3 || client.state !== "handshaking");
    expect(sameBytes(client.destinationConnectionId, dcid)).toBe(true);
    confirm(pair);
    expect(client.state).toBe("established");
  });

  it("drops a Retry whose integrity tag does not verify, and one without a token", () => {
    const pair = testPair();
    const { client, network } = pair;
    network.flush();
    const forged = buildRetryPacket(
      { dcid: client.sourceConnectionId, scid: new Uint8Array(8).fill(9), token: text.encode("token") },
      client.originalDestinationConnectionId,
    );
    forged[forged.length - 1]! ^= 1;
    const tokenless = buildRetryPacket(
      { dcid: client.sourceConnectionId, scid: new Uint8Array(8).fill(9), token: new Uint8Array(0) },
      client.originalDestinationConnectionId,
    );
    client.receive(forged, 0);
    client.receive(tokenless, 0);
    expect(sameBytes(client.destinationConnectionId, client.originalDestinationConnectionId)).toBe(true);
    confirm(pair);
    expect(client.state).toBe("established");
  });

  it.each([
    [
      "original_destination_connection_id",
      { originalDestinationConnectionId: new Uint8Array(8).fill(1) },
      "original_destination_connection_id does not match",
    ],
    [
      "initial_source_connection_id",
      { initialSourceConnectionId: new Uint8Array(8).fill(2) },
      "initial_source_connection_id does not match",
    ],
    ["retry_source_connection_id", { retrySourceConnectionId: new Uint8Array(8).fill(3) }, "without a Retry"],
  ])("closes with TRANSPORT_PARAMETER_ERROR when the server's %s is wrong", (_name, wrong, message) => {
    const pair = testPair({ server: { rewriteTransportParameters: (params) => ({ ...params, ...wrong }) } });
    pair.network.runUntil(() => pair.client.state !== "handshaking");
    const closed = closedEvent(pair.clientEvents());
    expect(closed?.error).toBeInstanceOf(QuicError);
    expect(closed?.error?.code).toBe(TransportErrorCode.TRANSPORT_PARAMETER_ERROR);
    expect(closed?.error?.message).toContain(message);
    expect(pair.client.state).toBe("closing");
  });

  it("closes with TRANSPORT_PARAMETER_ERROR when retry_source_connection_id is missing after a Retry", () => {
    const pair = testPair({
      server: {
        retry: true,
        rewriteTransportParameters: ({ retrySourceConnectionId: _, ...params }) => params,
      },
    });
    pair.network.runUntil(() => pair.client.state !== "handshaking");
    expect(closedEvent(pair.clientEvents())?.error?.code).toBe(TransportErrorCode.TRANSPORT_PARAMETER_ERROR);
  });
});

describe("Version Negotiation", () => {
  function versionNegotiation(client: ReturnType<typeof testClient>, versions: number[]): Uint8Array {
    return serializeVersionNegotiation({
      dcid: client.sourceConnectionId,
      scid: client.originalDestinationConnectionId,
      supportedVersions: versions,
    });
  }

  it("ends the connection with a clear error when the server offers no version 1", () => {
    const client = testClient();
    client.send(0);
    client.receive(versionNegotiation(client, [0x6b3343cf, 0xff00001d]), 5);
    const closed = closedEvent(client.takeEvents());
    expect(closed?.error).toBeInstanceOf(QuicConnectionError);
    expect((closed?.error as QuicConnectionError | undefined)?.kind).toBe("version_negotiation");
    expect(closed?.error?.message).toBe(
      "the server does not support QUIC version 1 (it offers 0x6b3343cf, 0xff00001d)",
    );
    expect(client.state).toBe("closed");
    expect(client.send(5)).toBeUndefined();
    expect(client.nextTimerDeadline()).toBeUndefined();
  });

  it("ignores one that lists version 1, one with other connection IDs, and one after a valid packet", () => {
    const pair = testPair();
    const { client, network } = pair;
    network.flush();
    client.receive(versionNegotiation(client, [QUIC_VERSION_1, 2]), 0);
    client.receive(
      serializeVersionNegotiation({
        dcid: new Uint8Array(8),
        scid: client.originalDestinationConnectionId,
        supportedVersions: [2],
      }),
      0,
    );
    expect(client.state).toBe("handshaking");
    confirm(pair);
    client.receive(versionNegotiation(client, [2]), network.now);
    expect(client.state).toBe("established");
  });
});

describe("timeouts", () => {
  it("gives up the handshake at the handshake timeout when the server never answers", () => {
    const pair = testPair({ client: { handshakeTimeout: 3_000 } });
    pair.server.silent = true;
    pair.network.runUntil(() => pair.client.state === "closed");
    expect(pair.network.now).toBe(3_000);
    const error = closedEvent(pair.clientEvents())?.error;
    expect(error).toBeInstanceOf(QuicConnectionError);
    expect((error as QuicConnectionError).kind).toBe("handshake_timeout");
    // The anti-deadlock and probe timers resent the Initial meanwhile, with backoff: 1 s, 2 s.
    expect(pair.network.sent.client.length).toBe(5);
    expect(pair.client.stats.probeTimeouts).toBe(2);
  });

  it("closes silently at the idle timeout once the server stops answering", () => {
    const pair = testPair();
    const { client, server, network } = pair;
    confirm(pair);
    network.runFor(100);
    const lastHeard = network.now;
    server.silent = true;
    network.runUntil(() => client.state === "closed", 100_000);
    // Nothing was in flight, so nothing restarted the timer after the last packet received.
    expect(network.now).toBeGreaterThanOrEqual(lastHeard - 100 + 30_000);
    expect(network.now).toBeLessThanOrEqual(lastHeard + 30_000);
    const error = closedEvent(pair.clientEvents())?.error as QuicConnectionError;
    expect(error.kind).toBe("idle_timeout");
    expect(error.message).toMatch(/^no packet from the peer for \d+ ms \(idle timeout\)$/);
  });

  it("keeps an idle connection open with PINGs when asked, and still ends a dead one", () => {
    const pair = testPair({ client: { keepAliveInterval: 5_000 } });
    const { client, server, network } = pair;
    confirm(pair);
    network.runFor(100_000);
    // Three idle timeouts passed with nothing to send: the PINGs (one per 5 s of silence) kept it.
    expect(client.state).toBe("established");
    const pings = server.framesReceived.filter(({ frame }) => frame.type === "ping").length;
    expect(pings).toBeGreaterThanOrEqual(19);
    expect(pings).toBeLessThanOrEqual(21);
    // A server that stops answering gets one PING (resent by loss detection), then the idle timeout.
    server.silent = true;
    const silentAt = network.now;
    network.runUntil(() => client.state === "closed", silentAt + 100_000);
    expect(network.now - silentAt).toBeLessThanOrEqual(30_000 + 5_000);
    const error = closedEvent(pair.clientEvents())?.error as QuicConnectionError | undefined;
    expect(error?.kind).toBe("idle_timeout");
  });

  it("refuses a keep-alive interval that is not positive", () => {
    expect(() => testPair({ client: { keepAliveInterval: 0 } })).toThrow(RangeError);
  });

  it("uses the smaller of the two idle timeouts", () => {
    const pair = testPair({ server: { transportParameters: { maxIdleTimeout: 5_000 } } });
    confirm(pair);
    const confirmedAt = pair.network.now;
    pair.server.silent = true;
    pair.network.runUntil(() => pair.client.state === "closed");
    expect(pair.network.now - confirmedAt).toBeLessThanOrEqual(5_000);
    expect(pair.network.now - confirmedAt).toBeGreaterThan(4_900);
  });
});

describe("what the peer sends", () => {
  it("ignores garbage datagrams in every state", () => {
    const pair = testPair();
    const { client, network } = pair;
    const garbage = (): void => {
      for (let i = 0; i < 20; i++) client.receive(new Uint8Array(randomBytes(1 + i * 60)), network.now);
      // A short header with our DCID but nothing that decrypts.
      client.receive(Uint8Array.from([0x40, ...client.sourceConnectionId, ...randomBytes(40)]), network.now);
    };
    garbage();
    network.flush();
    garbage();
    confirm(pair);
    garbage();
    expect(client.state).toBe("established");
    const id = client.openStream(true)!;
    client.writeStream(id, text.encode("still works"), true);
    let echoed = "";
    network.runUntil(() => {
      const chunk = client.readStream(id);
      if (chunk !== undefined) echoed += Buffer.from(chunk.data).toString();
      return chunk?.fin === true;
    });
    expect(echoed).toBe("still works");
  });

  it("recognises a stateless reset by the token of the server's transport parameters", () => {
    const pair = testPair();
    const { client, server, network } = pair;
    confirm(pair);
    const reset = Uint8Array.from([0x41, ...randomBytes(24), ...server.statelessResetToken]);
    network.inject("client", reset);
    network.runUntil(() => client.state !== "established");
    expect(client.state).toBe("draining");
    const closed = closedEvent(pair.clientEvents());
    expect(closed?.remote).toBe(true);
    expect((closed?.error as QuicConnectionError | undefined)?.kind).toBe("stateless_reset");
    // Draining sends nothing and ends after three PTOs.
    network.runUntil(() => client.state === "closed");
    expect(network.sent.client.length).toBeGreaterThan(0);
  });

  it("does not take a datagram that decrypts for a stateless reset", () => {
    const pair = testPair();
    confirm(pair);
    // A 20-byte datagram ending in the token is too short to be one (RFC 9000 §10.3).
    pair.client.receive(
      Uint8Array.from([0x41, 1, 2, 3, ...pair.server.statelessResetToken]),
      pair.network.now,
    );
    expect(pair.client.state).toBe("established");
  });

  it("surfaces the code and reason of the server's application CONNECTION_CLOSE", () => {
    const pair = testPair();
    confirm(pair);
    pair.server.core.close(0x10cn, "going away", true, pair.network.now);
    pair.network.runUntil(() => pair.client.state !== "established");
    expect(pair.client.state).toBe("draining");
    expect(closedEvent(pair.clientEvents())).toEqual({
      type: "closed",
      error: undefined,
      remote: true,
      applicationCode: 0x10cn,
      reason: "going away",
    });
  });

  it("surfaces the server's transport error as a QuicError", () => {
    const pair = testPair();
    confirm(pair);
    pair.server.core.close(
      BigInt(TransportErrorCode.PROTOCOL_VIOLATION),
      "you broke it",
      false,
      pair.network.now,
    );
    pair.network.runUntil(() => pair.client.state !== "established");
    const closed = closedEvent(pair.clientEvents());
    expect(closed?.remote).toBe(true);
    expect(closed?.reason).toBe("you broke it");
    expect(closed?.error?.code).toBe(TransportErrorCode.PROTOCOL_VIOLATION);
    expect(closed?.error?.message).toBe("PROTOCOL_VIOLATION: the peer closed the connection: you broke it");
  });

  it.each<[string, Frame[], number]>([
    [
      "a STREAM frame in an Initial packet",
      [{ type: "stream", streamId: 1, offset: 0, data: new Uint8Array(3), fin: false }],
      TransportErrorCode.PROTOCOL_VIOLATION,
    ],
    [
      "NEW_TOKEN in an Initial packet",
      [{ type: "newToken", token: new Uint8Array(4) }],
      TransportErrorCode.PROTOCOL_VIOLATION,
    ],
    [
      "HANDSHAKE_DONE in an Initial packet",
      [{ type: "handshakeDone" }],
      TransportErrorCode.PROTOCOL_VIOLATION,
    ],
    [
      "an ACK of a packet never sent",
      [{ type: "ack", ackDelay: 0, ranges: [{ smallest: 0, largest: 40 }] }],
      TransportErrorCode.PROTOCOL_VIOLATION,
    ],
    [
      "CRYPTO data past the crypto buffer",
      [{ type: "crypto", offset: 1_000_000, data: new Uint8Array(10) }],
      TransportErrorCode.CRYPTO_BUFFER_EXCEEDED,
    ],
  ])("closes with the right error for %s", (_name, frames, code) => {
    const client = testClient();
    client.send(0);
    client.receive(forgedServerInitial(client, frames), 10);
    const closed = closedEvent(client.takeEvents());
    expect(closed?.error).toBeInstanceOf(QuicError);
    expect(closed?.error?.code).toBe(code);
    // The CONNECTION_CLOSE goes in an Initial packet, padded like any client Initial.
    const close = client.send(10)!;
    expect(kinds(close)).toEqual(["initial"]);
    expect(close.length).toBeGreaterThanOrEqual(1200);
    expect(client.send(10)).toBeUndefined();
  });

  it("closes with FRAME_ENCODING_ERROR for a frame type it does not know", () => {
    const client = testClient();
    client.send(0);
    const keys = deriveInitialKeys(client.originalDestinationConnectionId).server;
    const payload = new Uint8Array(1100);
    payload.set([0x01, 0x40, 0x21]);
    const header = serializeLongHeader({
      type: "initial",
      dcid: client.sourceConnectionId,
      scid: new Uint8Array(8),
      packetNumber: 0,
      packetNumberLength: 1,
      payloadLength: payload.length + 16,
    });
    client.receive(protectPacket(keys, header, 0, payload), 1);
    expect(closedEvent(client.takeEvents())?.error?.code).toBe(TransportErrorCode.FRAME_ENCODING_ERROR);
  });

  it("drops a server Initial that carries a token", () => {
    const client = testClient();
    client.send(0);
    client.receive(forgedServerInitial(client, [{ type: "ping" }], { token: new Uint8Array(4) }), 1);
    expect(client.state).toBe("handshaking");
    expect(client.takeEvents()).toEqual([]);
  });

  it("answers PATH_CHALLENGE with PATH_RESPONSE and stores NEW_TOKEN", () => {
    const pair = testPair();
    confirm(pair);
    const data = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    pair.server.sendRaw([
      { type: "pathChallenge", data },
      { type: "newToken", token: text.encode("come back") },
    ]);
    pair.network.runFor(100);
    const response = pair.server.framesReceived.find(({ frame }) => frame.type === "pathResponse");
    expect(response?.frame).toEqual({ type: "pathResponse", data });
    expect(Buffer.from(pair.client.newToken!).toString()).toBe("come back");
  });

  it("closes with PROTOCOL_VIOLATION when asked to retire the connection ID in use", () => {
    const pair = testPair();
    confirm(pair);
    pair.server.sendRaw([{ type: "retireConnectionId", sequenceNumber: 0 }]);
    pair.network.runUntil(() => pair.client.state !== "established");
    expect(closedEvent(pair.clientEvents())?.error?.code).toBe(TransportErrorCode.PROTOCOL_VIOLATION);
  });
});

describe("the server's connection IDs", () => {
  it("keeps those of NEW_CONNECTION_ID up to its limit, and retires on Retire Prior To", () => {
    const pair = testPair({ server: { issueConnectionIds: 3 } });
    const { client, server, network } = pair;
    confirm(pair);
    network.runFor(100);
    const frame = (sequenceNumber: number, retirePriorTo: number): Frame => ({
      type: "newConnectionId",
      sequenceNumber,
      retirePriorTo,
      connectionId: new Uint8Array(8).fill(sequenceNumber),
      statelessResetToken: new Uint8Array(16).fill(sequenceNumber),
    });
    server.core.addLocalConnectionId(4, new Uint8Array(8).fill(4));
    server.sendRaw([frame(4, 2)]);
    network.runFor(100);
    const retired = server.framesReceived
      .map(({ frame }) => frame)
      .filter((f) => f.type === "retireConnectionId")
      .map((f) => (f.type === "retireConnectionId" ? f.sequenceNumber : -1));
    expect(retired.sort()).toEqual([0, 1]);
    expect(client.state).toBe("established");
    // Sequence 0 was retired, so the client now sends to sequence 2.
    expect(sameBytes(client.destinationConnectionId, server.core.peerConnectionIds.current)).toBe(false);
    expect(client.destinationConnectionId.length).toBe(8);
  });

  it("closes with CONNECTION_ID_LIMIT_ERROR when the server issues more than active_connection_id_limit", () => {
    const pair = testPair({ server: { issueConnectionIds: 4 } });
    pair.network.runUntil(() => pair.client.state === "closing");
    expect(closedEvent(pair.clientEvents())?.error?.code).toBe(TransportErrorCode.CONNECTION_ID_LIMIT_ERROR);
  });

  it("recognises a stateless reset by a token from NEW_CONNECTION_ID", () => {
    const pair = testPair();
    confirm(pair);
    const token = new Uint8Array(randomBytes(16));
    pair.server.sendRaw([
      {
        type: "newConnectionId",
        sequenceNumber: 1,
        retirePriorTo: 0,
        connectionId: new Uint8Array(8).fill(1),
        statelessResetToken: token,
      },
    ]);
    pair.network.runFor(50);
    pair.network.inject("client", Uint8Array.from([0x5a, ...randomBytes(30), ...token]));
    pair.network.runUntil(() => pair.client.state !== "established");
    expect((closedEvent(pair.clientEvents())?.error as QuicConnectionError | undefined)?.kind).toBe(
      "stateless_reset",
    );
  });
});

describe("certificates", () => {
  it("closes with CRYPTO_ERROR 0x130 (unknown_ca) and tells the server in a long header packet", () => {
    const client = testClient();
    const server = untrustedServer();
    const network = new QuicNetwork(client, server);
    network.runUntil(() => client.state !== "handshaking");
    const closed = closedEvent(client.takeEvents());
    expect(closed?.error).toBeInstanceOf(TlsAlertError);
    expect(closed?.error?.code).toBe(0x130);
    expect((closed?.error as TlsAlertError | undefined)?.alert).toBe(TlsAlert.unknown_ca);
    network.runUntil(() => server.events.some((event) => event.type === "closed"));
    const serverClosed = closedEvent(server.events);
    expect(serverClosed?.remote).toBe(true);
    expect(serverClosed?.error?.code).toBe(0x130);
    const lastClientDatagram = network.sent.client.at(-1)!;
    expect(kinds(lastClientDatagram).every((kind) => kind === "initial" || kind === "handshake")).toBe(true);
  });

  it("closes with CRYPTO_ERROR 0x12a (bad_certificate) for another host name", () => {
    const pair = testPair({ client: { serverName: "other.test" } });
    pair.network.runUntil(() => pair.client.state !== "handshaking");
    const closed = closedEvent(pair.clientEvents());
    expect(closed?.error?.code).toBe(0x12a);
    expect(closed?.error?.message).toContain("bad_certificate");
  });
});

describe("key updates", () => {
  function echo(pair: ReturnType<typeof testPair>, size: number): Uint8Array {
    const { client, network } = pair;
    const id = client.openStream(true)!;
    const data = new Uint8Array(randomBytes(size));
    client.writeStream(id, data, true);
    const chunks: Uint8Array[] = [];
    network.runUntil(() => {
      for (let chunk = client.readStream(id); chunk !== undefined; chunk = client.readStream(id)) {
        chunks.push(chunk.data);
        if (chunk.fin) return true;
      }
      return false;
    });
    expect(Buffer.concat(chunks).equals(Buffer.from(data))).toBe(true);
    return data;
  }

  it("follows a key update the server starts, and answers in the new phase", () => {
    const pair = testPair();
    confirm(pair);
    echo(pair, 20_000);
    expect(pair.server.core.initiateKeyUpdate()).toBe(true);
    echo(pair, 50_000);
    expect(pair.client.keyUpdates).toBe(1);
    expect(pair.server.core.keyUpdates).toBe(1);
    // And a second one, once the first was acknowledged.
    expect(pair.server.core.initiateKeyUpdate()).toBe(true);
    echo(pair, 50_000);
    expect(pair.client.keyUpdates).toBe(2);
  });

  it("starts one itself, which the server follows; not twice in a row", () => {
    const pair = testPair();
    expect(pair.client.updateKeys()).toBe(false);
    confirm(pair);
    echo(pair, 10_000);
    expect(pair.client.updateKeys()).toBe(true);
    expect(pair.client.updateKeys()).toBe(false);
    echo(pair, 50_000);
    expect(pair.server.core.keyUpdates).toBe(1);
    expect(pair.client.keyUpdates).toBe(1);
  });

  it("still opens packets of the old phase that arrive after the update", () => {
    const pair = testPair({ network: { serverToClient: { seed: 3, reorderRate: 0.3, reorderDelay: 15 } } });
    confirm(pair);
    echo(pair, 10_000);
    expect(pair.server.core.initiateKeyUpdate()).toBe(true);
    echo(pair, 200_000);
    expect(pair.client.keyUpdates).toBe(1);
    expect(pair.client.stats.packetsLost).toBeLessThan(20);
  });
});

describe("flow control and streams", () => {
  it("closes with FLOW_CONTROL_ERROR when the server sends past the stream window", () => {
    const pair = testPair({ client: { transportParameters: { initialMaxStreamDataUni: 1000 } } });
    confirm(pair);
    pair.server.sendRaw([{ type: "stream", streamId: 3, offset: 990, data: new Uint8Array(20), fin: false }]);
    pair.network.runUntil(() => pair.client.state !== "established");
    const error = closedEvent(pair.clientEvents())?.error;
    expect(error?.code).toBe(TransportErrorCode.FLOW_CONTROL_ERROR);
    pair.network.runFor(100);
    expect(closedEvent(pair.server.events)?.error?.code).toBe(TransportErrorCode.FLOW_CONTROL_ERROR);
  });

  it("closes with FLOW_CONTROL_ERROR when the server sends past the connection window", () => {
    const pair = testPair({
      client: { transportParameters: { initialMaxData: 1500, initialMaxStreamDataUni: 1000 } },
    });
    confirm(pair);
    pair.server.sendRaw([{ type: "stream", streamId: 3, offset: 0, data: new Uint8Array(800), fin: false }]);
    pair.server.sendRaw([{ type: "stream", streamId: 7, offset: 0, data: new Uint8Array(800), fin: false }]);
    pair.network.runUntil(() => pair.client.state !== "established");
    expect(closedEvent(pair.clientEvents())?.error?.code).toBe(TransportErrorCode.FLOW_CONTROL_ERROR);
  });

  it("closes with STREAM_LIMIT_ERROR when the server opens more streams than allowed", () => {
    const pair = testPair({ client: { transportParameters: { initialMaxStreamsUni: 2 } } });
    confirm(pair);
    pair.server.sendRaw([{ type: "stream", streamId: 11, offset: 0, data: new Uint8Array(1), fin: false }]);
    pair.network.runUntil(() => pair.client.state !== "established");
    expect(closedEvent(pair.clientEvents())?.error?.code).toBe(TransportErrorCode.STREAM_LIMIT_ERROR);
  });

  it("reports streams the server opens, and their data", () => {
    const pair = testPair({ server: { openUniStream: text.encode("\x00\x04\x00") } });
    confirm(pair);
    pair.network.runFor(50);
    const events = pair.clientEvents();
    expect(events).toContainEqual({ type: "stream-opened", id: 3 });
    expect(events).toContainEqual({ type: "stream-readable", id: 3 });
    expect(pair.client.readStream(3)).toEqual({ data: text.encode("\x00\x04\x00"), fin: false });
  });

  it("blocks a stream past the server's limit with STREAMS_BLOCKED until MAX_STREAMS", () => {
    const pair = testPair({ server: { transportParameters: { initialMaxStreamsBidi: 1 } } });
    const { client, server, network } = pair;
    confirm(pair);
    const first = client.openStream(true)!;
    expect(client.openStream(true)).toBeUndefined();
    client.writeStream(first, text.encode("x"), true);
    network.runUntil(() => client.readStream(first)?.fin === true);
    network.runFor(200);
    expect(server.framesReceived.map(({ frame }) => frame)).toContainEqual({
      type: "streamsBlocked",
      bidirectional: true,
      limit: 1,
    });
    expect(client.openStream(true)).toBe(4);
  });

  it("resets a stream and asks the server to stop sending", () => {
    const pair = testPair();
    const { client, server, network } = pair;
    confirm(pair);
    const id = client.openStream(true)!;
    client.writeStream(id, new Uint8Array(1000));
    network.runFor(50);
    client.resetStream(id, 0x42);
    client.stopSending(id, 0x43);
    network.runFor(100);
    expect(server.events).toContainEqual({ type: "stream-reset", id, code: 0x42n });
    expect(server.events).toContainEqual({ type: "stop-sending", id, code: 0x43n });
    // The server answered STOP_SENDING with RESET_STREAM; the client asked for it, so no event.
    expect(pair.clientEvents().some((e) => e.type === "stream-reset")).toBe(false);
    expect(() => client.writeStream(id, new Uint8Array(1))).toThrow(/stream 0 (was reset|is closed)/);
  });

  it("reports the server's RESET_STREAM and STOP_SENDING", () => {
    const pair = testPair();
    const { client, server, network } = pair;
    confirm(pair);
    const id = client.openStream(true)!;
    client.writeStream(id, new Uint8Array(100));
    network.runFor(50);
    server.core.streams.reset(id, 7n);
    server.core.streams.stopSending(id, 8n, network.now, 20);
    network.runFor(100);
    const events = pair.clientEvents();
    expect(events).toContainEqual({ type: "stream-reset", id, code: 7n });
    expect(events).toContainEqual({ type: "stop-sending", id, code: 8n });
    expect(client.streamWritable(id)).toBe(0);
  });

  it("says how much can be written and when more can", () => {
    const pair = testPair({
      server: { echo: false, transportParameters: { initialMaxStreamDataBidiRemote: 10_000 } },
    });
    const { client, server, network } = pair;
    confirm(pair);
    const id = client.openStream(true)!;
    expect(client.streamWritable(id)).toBe(10_000);
    client.writeStream(id, new Uint8Array(10_000));
    expect(client.streamWritable(id)).toBe(0);
    // Written past the credit: it waits, and the server hears that the stream is blocked.
    client.writeStream(id, new Uint8Array(1));
    network.runFor(100);
    // The server reads everything: its window update makes the stream writable again.
    for (let chunk = server.core.streams.read(id, Infinity, network.now, 20); chunk; ) {
      chunk = server.core.streams.read(id, Infinity, network.now, 20);
    }
    network.runFor(100);
    expect(pair.clientEvents()).toContainEqual({ type: "stream-writable", id });
    expect(client.streamWritable(id)).toBeGreaterThan(0);
    expect(server.framesReceived.map(({ frame }) => frame)).toContainEqual({
      type: "streamDataBlocked",
      streamId: id,
      limit: 10_000,
    });
  });
});

describe("closing", () => {
  it("sends CONNECTION_CLOSE, stays closing for three PTOs, and answers the peer's packets sparingly", () => {
    const pair = testPair();
    const { client, server, network } = pair;
    confirm(pair);
    client.close(0x100, "done", true);
    expect(client.state).toBe("closing");
    expect(closedEvent(pair.clientEvents())).toEqual({
      type: "closed",
      error: undefined,
      remote: false,
      applicationCode: 0x100n,
      reason: "done",
    });
    const close = client.send(network.now)!;
    expect(kinds(close)).toEqual(["1rtt"]);
    expect(client.send(network.now)).toBeUndefined();
    const deadline = client.nextTimerDeadline()!;
    expect(deadline).toBeGreaterThan(network.now);
    // Peer packets in the closing state get a CONNECTION_CLOSE on the 1st, 2nd, 4th, 8th…
    const answered = [1, 2, 3, 4, 5, 6, 7, 8].map(() => {
      client.receive(new Uint8Array(100), network.now);
      return client.send(network.now) !== undefined;
    });
    expect(answered).toEqual([true, true, false, true, false, false, false, true]);
    client.onTimer(deadline);
    expect(client.state).toBe("closed");
    expect(client.nextTimerDeadline()).toBeUndefined();
    network.inject("server", close);
    network.runFor(50);
    expect(closedEvent(server.events)).toMatchObject({
      remote: true,
      applicationCode: 0x100n,
      reason: "done",
    });
  });

  it("turns an application close during the handshake into APPLICATION_ERROR", () => {
    const pair = testPair();
    const { client, server, network } = pair;
    network.runUntil(() => server.connected);
    client.close(0x10b, "secret reason", true);
    network.runFor(100);
    const serverClosed = closedEvent(server.events);
    expect(serverClosed?.error?.code).toBe(TransportErrorCode.APPLICATION_ERROR);
    expect(serverClosed?.reason).toBe("");
  });

  it("refuses stream calls once closed", () => {
    const client = testClient();
    client.close();
    expect(client.openStream(true)).toBeUndefined();
    expect(() => client.writeStream(0, new Uint8Array(1))).toThrow(/closed/);
    expect(client.streamWritable(0)).toBe(0);
  });
});

describe("recovery and congestion control", () => {
  it("sends a Handshake probe when the server's Initial acknowledged everything (anti-deadlock)", () => {
    const pair = testPair();
    const { client, server, network } = pair;
    network.flush();
    server.receive(network.sent.client[0]!, 10);
    const serverInitial = parseDatagram(server.send(10)!, CID_LENGTH).packets[0]!;
    expect(serverInitial.kind).toBe("initial");
    client.receive(serverInitial.packet, 20);
    // The client owes an Initial ACK, which elicits nothing; then only its timer is left.
    expect(kinds(client.send(20)!)).toEqual(["initial"]);
    expect(client.send(20)).toBeUndefined();
    const deadline = client.nextTimerDeadline()!;
    client.onTimer(deadline);
    const probe = client.send(deadline)!;
    expect(kinds(probe)).toContain("handshake");
    expect(client.stats.probeTimeouts).toBe(1);
  });

  it("paces a large write: one burst, then a pacing deadline within the round trip", () => {
    const pair = testPair({ server: { echo: false } });
    const { client, network } = pair;
    confirm(pair);
    const id = client.openStream(true)!;
    // Slow start first, so the congestion window is not what stops the burst.
    client.writeStream(id, new Uint8Array(300_000));
    network.runFor(1_000);
    expect(client.stats.congestionWindow).toBeGreaterThan(100_000);
    client.writeStream(id, new Uint8Array(1_000_000));
    let burst = 0;
    while (client.send(network.now) !== undefined) burst++;
    // The pacer's bucket holds the initial window, ten 1200-byte datagrams.
    expect(burst).toBeGreaterThanOrEqual(9);
    expect(burst).toBeLessThanOrEqual(11);
    // Then one datagram every 1200 / (1.25 × cwnd / srtt) ms, a fraction of the 20 ms round trip.
    const deadline = client.nextTimerDeadline()!;
    expect(deadline).toBeGreaterThan(network.now);
    expect(deadline).toBeLessThan(network.now + 2);
    client.onTimer(deadline);
    expect(client.send(deadline)).toBeDefined();
  });

  it("does not let the congestion window limit ACK-only packets", () => {
    const pair = testPair({ server: { echo: false } });
    const { client, network } = pair;
    confirm(pair);
    const id = client.openStream(true)!;
    client.writeStream(id, new Uint8Array(1_000_000));
    // Fill the window: the server's packets keep coming, the client keeps acknowledging.
    while (client.send(network.now) !== undefined);
    pair.server.sendRaw([{ type: "ping" }]);
    pair.server.sendRaw([{ type: "ping" }]);
    const before = network.sent.client.length;
    network.runFor(15);
    expect(network.sent.client.length).toBeGreaterThan(before);
  });
});

describe("a short header packet for another connection", () => {
  it("is dropped", () => {
    const pair = testPair();
    confirm(pair);
    const header = serializeShortHeader({
      dcid: new Uint8Array(8).fill(0xee),
      packetNumber: 1,
      packetNumberLength: 1,
    });
    pair.client.receive(Uint8Array.from([...header, ...randomBytes(40)]), pair.network.now);
    expect(pair.client.state).toBe("established");
  });
});
