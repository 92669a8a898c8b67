import { createPrivateKey, X509Certificate } from "node:crypto";
import { createTestPki, type TestKeyType } from "@nq/testkit";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { QuicError, TransportErrorCode } from "../errors.js";
import { mutatedBytes } from "../test-support/arbitraries.js";
import { fromHex, toHex } from "../test-support/hex.js";
import { keys, messages, secrets } from "../test-support/rfc8448-vectors.js";
import { alertOf } from "../test-support/thrown.js";
import { concatBytes, TestTlsServer, type TestTlsServerOptions } from "../test-support/tls-test-server.js";
import { TlsAlert, TlsAlertError } from "./alert.js";
import { certificateVerifier, TrustStore } from "./certificate-verifier.js";
import { type EncryptionLevel, TlsClientHandshake, type TlsClientOptions } from "./client-handshake.js";
import {
  decodeAlpnProtocols,
  decodeClientHello,
  decodeCookie,
  decodeKeyShareClientHello,
  decodePskKeyExchangeModes,
  decodeServerName,
  decodeSignatureAlgorithms,
  decodeSupportedGroups,
  decodeSupportedVersionsClientHello,
  ExtensionType,
  encodeAlpnExtension,
  encodeCertificate,
  encodeCertificateVerify,
  encodeEarlyDataIndication,
  encodeFinished,
  encodeHandshakeMessage,
  encodeKeyShareServerHelloExtension,
  encodeNewSessionTicket,
  encodeServerHello,
  encodeSupportedVersionsServerHelloExtension,
  findExtension,
  HandshakeType,
  NamedGroup,
  SignatureScheme,
  type TlsExtension,
} from "./handshake-messages.js";
import { generateKeyShare } from "./key-share.js";

const msg = (name: keyof typeof messages): Uint8Array => fromHex(messages[name].hex);
const h = (text: string): string => toHex(fromHex(text));

// ---------------------------------------------------------------------------------------------
// RFC 8448 §3

const traceHello = decodeClientHello(msg("clientHello").subarray(4));

function traceClient(overrides: Partial<TlsClientOptions> = {}): TlsClientHandshake {
  return new TlsClientHandshake({
    serverName: "server",
    alpnProtocols: [],
    cipherSuites: [0x1301, 0x1303, 0x1302],
    groups: ["x25519"],
    random: traceHello.random,
    keySharePrivateKeys: { x25519: fromHex(keys.clientPrivate) },
    rewriteClientHelloExtensions: (defaults) => {
      // The trace's key_share is exactly what the client makes from the injected key; the
      // rest of the trace's list (ffdhe groups, PKCS#1 schemes…) is the trace's own choice.
      expect(findExtension(defaults, ExtensionType.key_share)).toEqual(
        findExtension(traceHello.extensions, ExtensionType.key_share),
      );
      return traceHello.extensions;
    },
    verifyCertificate: (chain) => new X509Certificate(chain[0]!),
    ...overrides,
  });
}

const TRACE_FLIGHT = ["encryptedExtensions", "certificate", "certificateVerify", "serverFinished"] as const;
const traceFlightBytes = concatBytes(...TRACE_FLIGHT.map(msg));

describe("the RFC 8448 §3 Simple 1-RTT Handshake, replayed through TlsClientHandshake", () => {
  it("sends the trace's ClientHello, installs the trace's secrets and sends the trace's Finished", () => {
    const chains: [readonly Uint8Array[], string][] = [];
    const client = traceClient({
      verifyCertificate: (chain, name) => {
        chains.push([chain, name]);
        return new X509Certificate(chain[0]!);
      },
    });
    client.start();
    expect(client.takeOutgoing()).toEqual([{ level: "initial", data: msg("clientHello") }]);

    client.receive("initial", msg("serverHello"));
    expect(client.takeOutgoing()).toEqual([]);
    const [handshake, ...none] = client.takeSecrets();
    expect(none).toEqual([]);
    expect(handshake?.level).toBe("handshake");
    expect(handshake?.cipherSuite.name).toBe("TLS_AES_128_GCM_SHA256");
    expect(toHex(handshake!.client)).toBe(h(secrets.clientHandshakeTraffic));
    expect(toHex(handshake!.server)).toBe(h(secrets.serverHandshakeTraffic));

    for (const name of TRACE_FLIGHT) {
      expect(client.complete).toBe(false);
      client.receive("handshake", msg(name));
    }
    expect(client.complete).toBe(true);
    expect(chains.map(([chain, name]) => [chain.length, name])).toEqual([[1, "server"]]);
    expect(client.peerCertificate?.subject).toBe("CN=rsa");
    expect(client.alpnProtocol).toBeUndefined();
    expect(client.peerTransportParameters).toBeUndefined();

    const [application] = client.takeSecrets();
    expect(application?.level).toBe("application");
    expect(toHex(application!.client)).toBe(h(secrets.clientApplicationTraffic));
    expect(toHex(application!.server)).toBe(h(secrets.serverApplicationTraffic));
    expect(client.takeOutgoing()).toEqual([{ level: "handshake", data: msg("clientFinished") }]);

    client.receive("application", msg("newSessionTicket"));
    const [ticket, ...more] = client.takeSessionTickets();
    expect(more).toEqual([]);
    expect(ticket).toMatchObject({
      lifetime: 30,
      ageAdd: 0xfad6aac5,
      maxEarlyDataSize: 1024,
      serverName: "server",
    });
    expect(toHex(ticket!.nonce)).toBe("0000");
    expect(toHex(ticket!.ticket)).toBe(
      toHex(msg("newSessionTicket").subarray(4 + 4 + 4 + 3 + 2, 4 + 4 + 4 + 3 + 2 + 0xb2)),
    );
    expect(toHex(ticket!.resumptionSecret)).toBe(h(secrets.ticketPsk));
    expect(ticket!.cipherSuite.id).toBe(0x1301);
    expect(client.takeSessionTickets()).toEqual([]);
  });

  it("gives the same result however the handshake bytes are cut", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 12 }), (cuts) => {
        const client = traceClient();
        client.start();
        client.takeOutgoing();
        client.receive("initial", msg("serverHello").subarray(0, 10));
        client.receive("initial", msg("serverHello").subarray(10));
        let at = 0;
        for (const cut of [...cuts, traceFlightBytes.length]) {
          client.receive("handshake", traceFlightBytes.subarray(at, at + cut));
          at = Math.min(traceFlightBytes.length, at + cut);
        }
        expect(client.complete).toBe(true);
        expect(client.takeOutgoing()).toEqual([{ level: "handshake", data: msg("clientFinished") }]);
      }),
      { numRuns: 50, seed: 8448 },
    );
  });

  it("refuses a tampered server Finished with decrypt_error", () => {
    const client = traceClient();
    client.start();
    client.takeOutgoing();
    client.receive("initial", msg("serverHello"));
    for (const name of TRACE_FLIGHT.slice(0, 3)) client.receive("handshake", msg(name));
    const finished = msg("serverFinished");
    finished[20]! ^= 1;
    expect(alertOf(() => client.receive("handshake", finished))).toBe(TlsAlert.decrypt_error);
    expect(client.complete).toBe(false);
    expect(client.takeOutgoing()).toEqual([]);
    expect(client.takeSecrets().map((s) => s.level)).toEqual(["handshake"]);
  });

  it("refuses a tampered CertificateVerify with decrypt_error", () => {
    const client = traceClient();
    client.start();
    client.receive("initial", msg("serverHello"));
    client.receive("handshake", msg("encryptedExtensions"));
    client.receive("handshake", msg("certificate"));
    const verify = msg("certificateVerify");
    verify[40]! ^= 0x80;
    expect(alertOf(() => client.receive("handshake", verify))).toBe(TlsAlert.decrypt_error);
  });

  it("stays failed: every later call throws the same alert", () => {
    const client = traceClient();
    client.start();
    client.receive("initial", msg("serverHello"));
    let first: unknown;
    try {
      client.receive("handshake", msg("certificate"));
    } catch (error) {
      first = error;
    }
    expect(first).toBeInstanceOf(TlsAlertError);
    expect((first as TlsAlertError).alert).toBe(TlsAlert.unexpected_message);
    expect(() => client.receive("handshake", msg("encryptedExtensions"))).toThrow(first as Error);
  });

  it("drops a ticket whose lifetime is zero and refuses KeyUpdate", () => {
    const client = traceClient();
    client.start();
    client.receive("initial", msg("serverHello"));
    client.receive("handshake", traceFlightBytes);
    client.receive(
      "application",
      encodeNewSessionTicket({
        lifetime: 0,
        ageAdd: 1,
        nonce: Uint8Array.of(1),
        ticket: Uint8Array.of(2),
        extensions: [],
      }),
    );
    expect(client.takeSessionTickets()).toEqual([]);
    expect(
      alertOf(() =>
        client.receive("application", encodeHandshakeMessage(HandshakeType.key_update, Uint8Array.of(0))),
      ),
    ).toBe(TlsAlert.unexpected_message);
  });
});

// ---------------------------------------------------------------------------------------------
// QUIC mode against the test server

const TRANSPORT_PARAMETERS = fromHex("0104 80007530 0f04 01020304");
const SERVER_TRANSPORT_PARAMETERS = fromHex(
  "0104 80007530 0f04 05060708 0010 0102030405060708090a0b0c0d0e0f10",
);

const leaves = new Map<
  TestKeyType,
  { chain: Uint8Array[]; options: Pick<TestTlsServerOptions, "certificateChain" | "privateKey"> }
>();
function leaf(keyType: TestKeyType) {
  let entry = leaves.get(keyType);
  if (entry === undefined) {
    const issued = createTestPki({ keyType }).issue({ hosts: ["server.test"], keyType });
    const chain = [new Uint8Array(new X509Certificate(issued.cert).raw)];
    entry = { chain, options: { certificateChain: chain, privateKey: createPrivateKey(issued.key) } };
    leaves.set(keyType, entry);
  }
  return entry;
}

const SCHEME_FOR: Record<TestKeyType, number> = {
  ec: SignatureScheme.ecdsa_secp256r1_sha256,
  rsa: SignatureScheme.rsa_pss_rsae_sha256,
  ed25519: SignatureScheme.ed25519,
};

function testServer(keyType: TestKeyType = "ec", options: Partial<TestTlsServerOptions> = {}): TestTlsServer {
  return new TestTlsServer({
    ...leaf(keyType).options,
    signatureScheme: SCHEME_FOR[keyType],
    alpnProtocol: "h3",
    transportParameters: SERVER_TRANSPORT_PARAMETERS,
    ...options,
  });
}

function quicClient(overrides: Partial<TlsClientOptions> = {}): TlsClientHandshake {
  return new TlsClientHandshake({
    serverName: "server.test",
    alpnProtocols: ["h3"],
    transportParameters: TRANSPORT_PARAMETERS,
    verifyCertificate: (chain) => new X509Certificate(chain[0]!),
    ...overrides,
  });
}

/** Starts the client and returns its ClientHello. */
function started(client: TlsClientHandshake): Uint8Array {
  client.start();
  const [hello, ...rest] = client.takeOutgoing();
  expect(rest).toEqual([]);
  expect(hello?.level).toBe("initial");
  return hello!.data;
}

function sent(client: TlsClientHandshake, level: EncryptionLevel): Uint8Array[] {
  const out = client.takeOutgoing();
  expect(out.every((o) => o.level === level)).toBe(true);
  return out.map((o) => o.data);
}

/** Splits concatenated handshake messages. */
function splitMessages(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; ) {
    const length = 4 + ((bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!);
    out.push(bytes.subarray(at, at + length));
    at += length;
  }
  return out;
}

describe("QUIC handshakes against a test server", () => {
  it.each<{ keyType: TestKeyType; suite: number; name: string; group: "x25519" | "secp256r1" }>([
    { keyType: "ec", suite: 0x1301, name: "TLS_AES_128_GCM_SHA256", group: "x25519" },
    { keyType: "rsa", suite: 0x1302, name: "TLS_AES_256_GCM_SHA384", group: "secp256r1" },
    { keyType: "ed25519", suite: 0x1303, name: "TLS_CHACHA20_POLY1305_SHA256", group: "x25519" },
  ])("completes with a $keyType certificate, $name and $group", ({ keyType, suite, group }) => {
    const client = quicClient({
      groups: group === "x25519" ? ["x25519", "secp256r1"] : ["secp256r1", "x25519"],
    });
    const server = testServer(keyType, { cipherSuite: suite });
    const flight = server.serverFlight(started(client));

    client.receive("initial", flight.serverHello);
    expect(client.cipherSuite?.id).toBe(suite);
    const [handshake] = client.takeSecrets();
    expect([handshake?.level, toHex(handshake!.client), toHex(handshake!.server)]).toEqual([
      "handshake",
      toHex(flight.handshakeSecrets.client),
      toHex(flight.handshakeSecrets.server),
    ]);

    client.receive("handshake", flight.handshakeBytes);
    expect(client.complete).toBe(true);
    const [application] = client.takeSecrets();
    expect([application?.level, toHex(application!.client), toHex(application!.server)]).toEqual([
      "application",
      toHex(flight.applicationSecrets.client),
      toHex(flight.applicationSecrets.server),
    ]);
    const clientFlight = sent(client, "handshake");
    expect(clientFlight.map((m) => m[0])).toEqual([HandshakeType.finished]);
    server.receiveClientFlight(clientFlight);

    expect(client.alpnProtocol).toBe("h3");
    expect(toHex(client.peerTransportParameters!)).toBe(toHex(SERVER_TRANSPORT_PARAMETERS));
    expect(client.peerCertificate?.raw.equals(leaf(keyType).chain[0]!)).toBe(true);

    // RFC 9001 §4.6.1: a QUIC server that allows 0-RTT says 0xffffffff.
    const nonce = Uint8Array.of(9, 9);
    client.receive(
      "application",
      encodeNewSessionTicket({
        lifetime: 3600,
        ageAdd: 7,
        nonce,
        ticket: Uint8Array.of(1, 2, 3),
        extensions: [encodeEarlyDataIndication(0xffffffff)],
      }),
    );
    const [ticket] = client.takeSessionTickets();
    expect(ticket).toMatchObject({
      lifetime: 3600,
      ageAdd: 7,
      maxEarlyDataSize: 0xffffffff,
      alpnProtocol: "h3",
    });
    expect(toHex(ticket!.resumptionSecret)).toBe(toHex(server.ticketPsk(nonce)));
    expect(toHex(ticket!.transportParameters!)).toBe(toHex(SERVER_TRANSPORT_PARAMETERS));
  });

  it("closes with PROTOCOL_VIOLATION on a QUIC ticket whose early data size is not 0xffffffff", () => {
    const client = quicClient();
    const flight = testServer().serverFlight(started(client));
    client.receive("initial", flight.serverHello);
    client.receive("handshake", flight.handshakeBytes);
    const ticket = encodeNewSessionTicket({
      lifetime: 60,
      ageAdd: 0,
      nonce: new Uint8Array(0),
      ticket: Uint8Array.of(1),
      extensions: [encodeEarlyDataIndication(16384)],
    });
    let error: unknown;
    try {
      client.receive("application", ticket);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(QuicError);
    expect(error).not.toBeInstanceOf(TlsAlertError);
    expect((error as QuicError).code).toBe(TransportErrorCode.PROTOCOL_VIOLATION);
  });

  it("builds the ClientHello QUIC needs", () => {
    const client = quicClient({ alpnProtocols: ["h3", "h3-29"] });
    const hello = decodeClientHello(started(client).subarray(4));
    expect(hello.legacySessionId).toHaveLength(0);
    expect(hello.random).toHaveLength(32);
    expect(hello.cipherSuites).toEqual([0x1301, 0x1302, 0x1303]);
    expect(hello.extensions.map((e) => e.type)).toEqual([
      ExtensionType.server_name,
      ExtensionType.supported_groups,
      ExtensionType.signature_algorithms,
      ExtensionType.application_layer_protocol_negotiation,
      ExtensionType.key_share,
      ExtensionType.supported_versions,
      ExtensionType.psk_key_exchange_modes,
      ExtensionType.quic_transport_parameters,
    ]);
    const ext = (type: number): Uint8Array => findExtension(hello.extensions, type)!;
    expect(decodeServerName(ext(ExtensionType.server_name))).toBe("server.test");
    expect(decodeSupportedGroups(ext(ExtensionType.supported_groups))).toEqual([
      NamedGroup.x25519,
      NamedGroup.secp256r1,
    ]);
    expect(decodeSignatureAlgorithms(ext(ExtensionType.signature_algorithms))).toContain(
      SignatureScheme.rsa_pss_rsae_sha256,
    );
    expect(decodeAlpnProtocols(ext(ExtensionType.application_layer_protocol_negotiation))).toEqual([
      "h3",
      "h3-29",
    ]);
    const shares = decodeKeyShareClientHello(ext(ExtensionType.key_share));
    expect(shares.map((s) => [s.group, s.keyExchange.length])).toEqual([[NamedGroup.x25519, 32]]);
    expect(decodeSupportedVersionsClientHello(ext(ExtensionType.supported_versions))).toEqual([0x0304]);
    expect(decodePskKeyExchangeModes(ext(ExtensionType.psk_key_exchange_modes))).toEqual([1]);
    expect(toHex(ext(ExtensionType.quic_transport_parameters))).toBe(toHex(TRANSPORT_PARAMETERS));
  });

  it.each(["192.0.2.1", "2001:db8::1", "[::1]", ""])(
    "sends no SNI for %j but still checks the name",
    (name) => {
      const names: string[] = [];
      const client = quicClient({
        serverName: name,
        verifyCertificate: (chain, serverName) => {
          names.push(serverName);
          return new X509Certificate(chain[0]!);
        },
      });
      const hello = started(client);
      expect(
        findExtension(decodeClientHello(hello.subarray(4)).extensions, ExtensionType.server_name),
      ).toBeUndefined();
      const flight = testServer().serverFlight(hello);
      client.receive("initial", flight.serverHello);
      client.receive("handshake", flight.handshakeBytes);
      expect(names).toEqual([name]);
    },
  );

  it("sends SNI without a trailing dot", () => {
    const hello = decodeClientHello(started(quicClient({ serverName: "example.com." })).subarray(4));
    expect(decodeServerName(findExtension(hello.extensions, ExtensionType.server_name)!)).toBe("example.com");
  });

  it("refuses options it cannot honour", () => {
    expect(() => quicClient({ alpnProtocols: [] })).toThrow(RangeError);
    expect(() => quicClient({ cipherSuites: [0x1304] })).toThrow(RangeError);
    expect(() => quicClient({ cipherSuites: [] })).toThrow(RangeError);
    expect(() => quicClient({ groups: [] })).toThrow(RangeError);
    expect(() => quicClient({ random: new Uint8Array(16) })).toThrow(RangeError);
    const client = quicClient();
    expect(() => client.receive("initial", Uint8Array.of(2))).toThrow(/start/);
    client.start();
    expect(() => client.start()).toThrow(/already/);
  });

  it("answers a CertificateRequest with an empty Certificate, then its Finished", () => {
    const client = quicClient();
    const server = testServer("ec", { requestClientCertificate: true });
    const flight = server.serverFlight(started(client));
    client.receive("initial", flight.serverHello);
    client.receive("handshake", flight.handshakeBytes);
    expect(client.complete).toBe(true);
    const clientFlight = splitMessages(concatBytes(...sent(client, "handshake")));
    expect(clientFlight.map(toHex)).toEqual([
      toHex(encodeCertificate({ requestContext: new Uint8Array(0), entries: [] })),
      expect.stringMatching(/^14000020/),
    ]);
    // The server's check of the Finished covers the empty Certificate in the transcript.
    server.receiveClientFlight(clientFlight);
    expect(toHex(client.takeSecrets()[1]!.client)).toBe(toHex(flight.applicationSecrets.client));
  });
});

// ---------------------------------------------------------------------------------------------
// What the client refuses

/** A client that has sent its ClientHello, and a ServerHello builder answering it. */
function clientAwaitingServerHello(overrides: Partial<TlsClientOptions> = {}) {
  const client = quicClient(overrides);
  const hello = decodeClientHello(started(client).subarray(4));
  const serverShare = generateKeyShare("x25519");
  const serverHello = (
    change: {
      cipherSuite?: number;
      legacySessionIdEcho?: Uint8Array;
      extensions?: (defaults: TlsExtension[]) => TlsExtension[];
    } = {},
  ): Uint8Array => {
    const defaults = [
      encodeSupportedVersionsServerHelloExtension(0x0304),
      encodeKeyShareServerHelloExtension({ group: NamedGroup.x25519, keyExchange: serverShare.publicKey }),
    ];
    return encodeServerHello({
      random: new Uint8Array(32).fill(1),
      legacySessionIdEcho: change.legacySessionIdEcho ?? hello.legacySessionId,
      cipherSuite: change.cipherSuite ?? 0x1301,
      extensions: change.extensions?.(defaults) ?? defaults,
    });
  };
  return { client, hello, serverHello };
}

describe("the ServerHello", () => {
  it.each<[string, number, Parameters<ReturnType<typeof clientAwaitingServerHello>["serverHello"]>[0]]>([
    ["no supported_versions (TLS 1.2)", TlsAlert.protocol_version, { extensions: (d) => d.slice(1) }],
    [
      "supported_versions selecting TLS 1.2",
      TlsAlert.illegal_parameter,
      { extensions: (d) => [encodeSupportedVersionsServerHelloExtension(0x0303), d[1]!] },
    ],
    ["a cipher suite not offered", TlsAlert.illegal_parameter, { cipherSuite: 0x1304 }],
    [
      "a non-empty legacy_session_id echo",
      TlsAlert.illegal_parameter,
      { legacySessionIdEcho: Uint8Array.of(1) },
    ],
    ["no key_share", TlsAlert.missing_extension, { extensions: (d) => d.slice(0, 1) }],
    [
      "a key share for a group the client sent no share for",
      TlsAlert.illegal_parameter,
      {
        extensions: (d) => [
          d[0]!,
          encodeKeyShareServerHelloExtension({
            group: NamedGroup.secp256r1,
            keyExchange: generateKeyShare("secp256r1").publicKey,
          }),
        ],
      },
    ],
    [
      "an x25519 share of the wrong size",
      TlsAlert.illegal_parameter,
      {
        extensions: (d) => [
          d[0]!,
          encodeKeyShareServerHelloExtension({ group: NamedGroup.x25519, keyExchange: new Uint8Array(31) }),
        ],
      },
    ],
    [
      "an offered extension that has no place there (ALPN)",
      TlsAlert.illegal_parameter,
      { extensions: (d) => [...d, encodeAlpnExtension(["h3"])] },
    ],
    [
      "an extension the client never offered (pre_shared_key)",
      TlsAlert.unsupported_extension,
      { extensions: (d) => [...d, { type: ExtensionType.pre_shared_key, data: Uint8Array.of(0, 0) }] },
    ],
    [
      "a cookie outside a HelloRetryRequest",
      TlsAlert.unsupported_extension,
      { extensions: (d) => [...d, { type: ExtensionType.cookie, data: Uint8Array.of(0, 1, 1) }] },
    ],
  ])("with %s is refused", (_, alert, change) => {
    const { client, serverHello } = clientAwaitingServerHello();
    expect(alertOf(() => client.receive("initial", serverHello(change)))).toBe(alert);
    expect(client.takeSecrets()).toEqual([]);
  });
});

describe("message order and encryption levels", () => {
  function afterServerHello() {
    const client = quicClient();
    const flight = testServer().serverFlight(started(client));
    client.receive("initial", flight.serverHello);
    return { client, flight };
  }

  it("refuses a ServerHello at the handshake level and anything but a ServerHello first", () => {
    const { client, serverHello } = clientAwaitingServerHello();
    expect(alertOf(() => client.receive("handshake", serverHello()))).toBe(TlsAlert.unexpected_message);
    const second = clientAwaitingServerHello();
    expect(alertOf(() => second.client.receive("initial", msg("encryptedExtensions")))).toBe(
      TlsAlert.unexpected_message,
    );
    const third = clientAwaitingServerHello();
    expect(alertOf(() => third.client.receive("application", msg("newSessionTicket")))).toBe(
      TlsAlert.unexpected_message,
    );
  });

  it("refuses bytes that follow the ServerHello at the initial level, in the same chunk or later", () => {
    const { client, serverHello } = clientAwaitingServerHello();
    const sh = serverHello();
    expect(alertOf(() => client.receive("initial", concatBytes(sh, Uint8Array.of(8))))).toBe(
      TlsAlert.unexpected_message,
    );
    const { client: later } = afterServerHello();
    expect(alertOf(() => later.receive("initial", msg("encryptedExtensions")))).toBe(
      TlsAlert.unexpected_message,
    );
  });

  it("refuses handshake messages out of order", () => {
    const cases: ((f: ReturnType<typeof afterServerHello>["flight"]) => Uint8Array)[] = [
      (f) => f.certificate,
      (f) => concatBytes(f.encryptedExtensions, f.certificateVerify),
      (f) => concatBytes(f.encryptedExtensions, f.certificate, f.finished),
      (f) => concatBytes(f.encryptedExtensions, f.encryptedExtensions),
      (f) => concatBytes(f.encryptedExtensions, f.serverHello),
    ];
    for (const bytes of cases) {
      const { client, flight } = afterServerHello();
      expect(alertOf(() => client.receive("handshake", bytes(flight)))).toBe(TlsAlert.unexpected_message);
    }
  });

  it("refuses handshake-level bytes after the server Finished, and application bytes before it", () => {
    const { client, flight } = afterServerHello();
    expect(
      alertOf(() => client.receive("handshake", concatBytes(flight.handshakeBytes, Uint8Array.of(4, 0)))),
    ).toBe(TlsAlert.unexpected_message);
    const early = afterServerHello();
    expect(alertOf(() => early.client.receive("application", msg("newSessionTicket")))).toBe(
      TlsAlert.unexpected_message,
    );
    const done = afterServerHello();
    done.client.receive("handshake", done.flight.handshakeBytes);
    expect(alertOf(() => done.client.receive("handshake", done.flight.finished))).toBe(
      TlsAlert.unexpected_message,
    );
  });

  it("ignores empty chunks at any level", () => {
    const { client, flight } = afterServerHello();
    client.receive("initial", new Uint8Array(0));
    client.receive("application", new Uint8Array(0));
    client.receive("handshake", flight.handshakeBytes);
    expect(client.complete).toBe(true);
  });
});

describe("EncryptedExtensions, Certificate and CertificateVerify", () => {
  function run(
    server: TestTlsServer,
    overrides: Partial<TlsClientOptions> = {},
  ): { client: TlsClientHandshake; finish: () => void } {
    const client = quicClient(overrides);
    const flight = server.serverFlight(started(client));
    client.receive("initial", flight.serverHello);
    return { client, finish: () => client.receive("handshake", flight.handshakeBytes) };
  }

  it("refuses an ALPN protocol that was not offered, and a missing one", () => {
    expect(alertOf(run(testServer("ec", { alpnProtocol: "h2" })).finish)).toBe(
      TlsAlert.no_application_protocol,
    );
    expect(alertOf(run(testServer("ec", { alpnProtocol: undefined })).finish)).toBe(
      TlsAlert.no_application_protocol,
    );
    const twoNames = testServer("ec", {
      encryptedExtensions: (e) =>
        e.map((x) =>
          x.type === ExtensionType.application_layer_protocol_negotiation
            ? encodeAlpnExtension(["h3", "h3"])
            : x,
        ),
    });
    expect(alertOf(run(twoNames).finish)).toBe(TlsAlert.illegal_parameter);
  });

  it("selects the server's ALPN choice among several offered", () => {
    const { client, finish } = run(testServer("ec", { alpnProtocol: "h3-29" }), {
      alpnProtocols: ["h3", "h3-29"],
    });
    finish();
    expect(client.alpnProtocol).toBe("h3-29");
  });

  it("requires the server's transport parameters in QUIC mode (missing_extension, 0x016d)", () => {
    let error: unknown;
    try {
      run(testServer("ec", { transportParameters: undefined })).finish();
    } catch (e) {
      error = e;
    }
    expect((error as TlsAlertError).alert).toBe(TlsAlert.missing_extension);
    expect((error as TlsAlertError).code).toBe(0x016d);
  });

  it("does not send or accept transport parameters in plain TLS mode", () => {
    const plain = { transportParameters: undefined };
    const { client, finish } = run(testServer("ec", { transportParameters: undefined }), plain);
    finish();
    expect(client.complete).toBe(true);
    expect(client.peerTransportParameters).toBeUndefined();
    expect(alertOf(run(testServer(), plain).finish)).toBe(TlsAlert.unsupported_extension);
  });

  it("refuses extensions in EncryptedExtensions that were not offered or do not belong there", () => {
    const withEarlyData = testServer("ec", {
      encryptedExtensions: (e) => [...e, { type: 42, data: new Uint8Array(0) }],
    });
    expect(alertOf(run(withEarlyData).finish)).toBe(TlsAlert.unsupported_extension);
    const withKeyShare = testServer("ec", {
      encryptedExtensions: (e) => [
        ...e,
        encodeKeyShareServerHelloExtension({ group: 0x1d, keyExchange: new Uint8Array(32) }),
      ],
    });
    expect(alertOf(run(withKeyShare).finish)).toBe(TlsAlert.illegal_parameter);
  });

  it("passes the chain and the server name to verifyCertificate and keeps its alert", () => {
    const seen: [number, string][] = [];
    const refusing = run(testServer(), {
      verifyCertificate: (chain, name) => {
        seen.push([chain.length, name]);
        throw new TlsAlertError(TlsAlert.unknown_ca, "not trusted");
      },
    });
    expect(alertOf(refusing.finish)).toBe(TlsAlert.unknown_ca);
    expect(seen).toEqual([[1, "server.test"]]);
    const crashing = run(testServer(), {
      verifyCertificate: () => {
        throw new TypeError("boom");
      },
    });
    expect(alertOf(crashing.finish)).toBe(TlsAlert.bad_certificate);
  });

  it("uses a verifySignature override, whose plain errors become decrypt_error", () => {
    const calls: number[] = [];
    const accepting = run(testServer(), {
      verifySignature: (_leaf, scheme, _signature, content) => {
        calls.push(scheme);
        expect(new TextDecoder().decode(content.subarray(64, 97))).toBe("TLS 1.3, server CertificateVerify");
      },
    });
    accepting.finish();
    expect(calls).toEqual([SignatureScheme.ecdsa_secp256r1_sha256]);
    const refusing = run(testServer(), {
      verifySignature: () => {
        throw new Error("no");
      },
    });
    expect(alertOf(refusing.finish)).toBe(TlsAlert.decrypt_error);
  });

  it("refuses a CertificateVerify scheme that was not offered, or that does not fit the key", () => {
    // rsa_pkcs1_sha256 is offered, but for certificate signatures only.
    expect(
      alertOf(run(testServer("rsa", { signatureScheme: SignatureScheme.rsa_pkcs1_sha256 })).finish),
    ).toBe(TlsAlert.illegal_parameter);
    for (const scheme of [SignatureScheme.ed448, SignatureScheme.ed25519]) {
      const client = quicClient();
      const flight = testServer("ec").serverFlight(started(client));
      client.receive("initial", flight.serverHello);
      client.receive("handshake", concatBytes(flight.encryptedExtensions, flight.certificate));
      const verify = encodeCertificateVerify({ scheme, signature: new Uint8Array(64) });
      expect(alertOf(() => client.receive("handshake", verify))).toBe(TlsAlert.illegal_parameter);
    }
  });

  it("refuses an empty server Certificate with decode_error", () => {
    const client = quicClient();
    const flight = testServer().serverFlight(started(client));
    client.receive("initial", flight.serverHello);
    client.receive("handshake", flight.encryptedExtensions);
    expect(
      alertOf(() =>
        client.receive("handshake", encodeCertificate({ requestContext: new Uint8Array(0), entries: [] })),
      ),
    ).toBe(TlsAlert.decode_error);
  });

  it("refuses a Finished of the wrong length with decode_error", () => {
    const client = quicClient();
    const flight = testServer().serverFlight(started(client));
    client.receive("initial", flight.serverHello);
    client.receive(
      "handshake",
      concatBytes(flight.encryptedExtensions, flight.certificate, flight.certificateVerify),
    );
    expect(alertOf(() => client.receive("handshake", encodeFinished(new Uint8Array(31))))).toBe(
      TlsAlert.decode_error,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// certificateVerifier: the chain verifier as verifyCertificate

describe("certificateVerifier in a full handshake", () => {
  const pki = createTestPki();
  const stranger = createTestPki();
  const intermediate = pki.issue({ isCa: true });
  const issued = intermediate.issue({ hosts: ["server.test"] });
  const chain = (
    issued.chain.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []
  ).map((pem) => new Uint8Array(new X509Certificate(pem).raw));

  /** Runs the server's whole flight into a client that checks the chain with `certificateVerifier(trust)`. */
  function handshake(serverName: string, trust: Parameters<typeof certificateVerifier>[0]) {
    const client = quicClient({ serverName, verifyCertificate: certificateVerifier(trust) });
    const server = testServer("ec", { certificateChain: chain, privateKey: createPrivateKey(issued.key) });
    const flight = server.serverFlight(started(client));
    client.receive("initial", flight.serverHello);
    return { client, server, finish: () => client.receive("handshake", flight.handshakeBytes) };
  }

  function refusal(run: () => void): { alert: number; code: string | undefined } {
    try {
      run();
    } catch (error) {
      expect(error).toBeInstanceOf(TlsAlertError);
      const { alert, cause } = error as TlsAlertError;
      return { alert, code: (cause as { code?: string } | undefined)?.code };
    }
    throw new Error("the handshake was not refused");
  }

  it.each([
    ["a TrustStore", () => new TrustStore(pki.ca.cert)],
    ["a list of PEM anchors", () => [pki.ca.cert]],
    ["a store that also holds other roots", () => new TrustStore([stranger.ca.cert, pki.ca.cert])],
  ])("completes when the chain leads to a trusted CA (%s)", (_name, trust) => {
    const { client, server, finish } = handshake("server.test", trust());
    finish();
    expect(client.complete).toBe(true);
    expect(client.peerCertificate?.raw.equals(chain[0]!)).toBe(true);
    server.receiveClientFlight(sent(client, "handshake"));
  });

  it("refuses another host name with bad_certificate", () => {
    const { client, finish } = handshake("other.test", new TrustStore(pki.ca.cert));
    expect(refusal(finish)).toEqual({
      alert: TlsAlert.bad_certificate,
      code: "ERR_TLS_CERT_ALTNAME_INVALID",
    });
    expect(client.complete).toBe(false);
    expect(client.takeOutgoing()).toEqual([]);
  });

  it("refuses a chain from an unknown CA with unknown_ca", () => {
    const { client, finish } = handshake("server.test", new TrustStore(stranger.ca.cert));
    expect(refusal(finish)).toEqual({
      alert: TlsAlert.unknown_ca,
      code: "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
    });
    // The failure sticks: the next call throws the same alert.
    expect(refusal(() => client.receive("handshake", new Uint8Array(1))).alert).toBe(TlsAlert.unknown_ca);
  });

  it("accepts any chain, for any name, with trust: 'any'", () => {
    const { client, finish } = handshake("other.test", "any");
    finish();
    expect(client.complete).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// HelloRetryRequest

describe("HelloRetryRequest", () => {
  it("switches to the server's group, echoes the cookie, and hashes ClientHello1 as message_hash", () => {
    const client = quicClient({ groups: ["x25519", "secp256r1"] });
    const server = testServer("ec");
    const clientHello1 = started(client);
    const cookie = fromHex("c0 ff ee 00 11 22");
    const retry = server.helloRetryRequest(clientHello1, { group: NamedGroup.secp256r1, cookie });
    client.receive("initial", retry);
    expect(client.takeSecrets()).toEqual([]);
    const [clientHello2, ...rest] = sent(client, "initial");
    expect(rest).toEqual([]);

    const hello1 = decodeClientHello(clientHello1.subarray(4));
    const hello2 = decodeClientHello(clientHello2!.subarray(4));
    expect(hello2.random).toEqual(hello1.random);
    expect(hello2.cipherSuites).toEqual(hello1.cipherSuites);
    // The same extensions in the same order, the key share replaced and the cookie added.
    expect(hello2.extensions.map((e) => e.type)).toEqual([
      ...hello1.extensions.map((e) => e.type),
      ExtensionType.cookie,
    ]);
    for (const [i, extension] of hello1.extensions.entries())
      if (extension.type !== ExtensionType.key_share) expect(hello2.extensions[i]).toEqual(extension);
    const shares = decodeKeyShareClientHello(findExtension(hello2.extensions, ExtensionType.key_share)!);
    expect(shares.map((s) => [s.group, s.keyExchange.length, s.keyExchange[0]])).toEqual([
      [NamedGroup.secp256r1, 65, 4],
    ]);
    expect(toHex(decodeCookie(findExtension(hello2.extensions, ExtensionType.cookie)!))).toBe(toHex(cookie));

    // The server's transcript is message_hash(ClientHello1), HelloRetryRequest, ClientHello2, …
    // built by hand; agreeing on secrets and both Finished messages proves the client's is too.
    const flight = server.serverFlight(clientHello2!);
    client.receive("initial", flight.serverHello);
    expect(toHex(client.takeSecrets()[0]!.client)).toBe(toHex(flight.handshakeSecrets.client));
    client.receive("handshake", flight.handshakeBytes);
    expect(client.complete).toBe(true);
    server.receiveClientFlight(sent(client, "handshake"));
    expect(toHex(client.takeSecrets()[0]!.server)).toBe(toHex(flight.applicationSecrets.server));
  });

  it("keeps its key share when the HelloRetryRequest only carries a cookie", () => {
    const client = quicClient();
    const server = testServer("ec");
    const clientHello1 = started(client);
    client.receive("initial", server.helloRetryRequest(clientHello1, { cookie: Uint8Array.of(1) }, 0x1302));
    const [clientHello2] = sent(client, "initial");
    const share = (m: Uint8Array) =>
      findExtension(decodeClientHello(m.subarray(4)).extensions, ExtensionType.key_share);
    expect(share(clientHello2!)).toEqual(share(clientHello1));
    const flight = server.serverFlight(clientHello2!);
    expect(flight.cipherSuite.id).toBe(0x1302);
    client.receive("initial", flight.serverHello);
    client.receive("handshake", flight.handshakeBytes);
    server.receiveClientFlight(sent(client, "handshake"));
    expect(client.cipherSuite?.name).toBe("TLS_AES_256_GCM_SHA384");
  });

  it("refuses a second HelloRetryRequest with unexpected_message", () => {
    const client = quicClient();
    const server = testServer();
    client.receive("initial", server.helloRetryRequest(started(client), { group: NamedGroup.secp256r1 }));
    const [clientHello2] = sent(client, "initial");
    const again = new TestTlsServer(server.options).helloRetryRequest(clientHello2!, {
      cookie: Uint8Array.of(1),
    });
    expect(alertOf(() => client.receive("initial", again))).toBe(TlsAlert.unexpected_message);
  });

  it.each<[string, { group?: number; cookie?: Uint8Array }]>([
    ["changes nothing", {}],
    ["asks for the group already sent", { group: NamedGroup.x25519 }],
    ["asks for a group not offered", { group: NamedGroup.secp384r1 }],
  ])("refuses a HelloRetryRequest that %s with illegal_parameter", (_, request) => {
    const client = quicClient();
    const retry = testServer().helloRetryRequest(started(client), request);
    expect(alertOf(() => client.receive("initial", retry))).toBe(TlsAlert.illegal_parameter);
  });

  it("refuses a ServerHello that changes the HelloRetryRequest's cipher suite or group", () => {
    const client = quicClient();
    const server = testServer();
    client.receive(
      "initial",
      server.helloRetryRequest(started(client), { group: NamedGroup.secp256r1 }, 0x1301),
    );
    const [clientHello2] = sent(client, "initial");
    const otherSuite = new TestTlsServer({ ...server.options, cipherSuite: 0x1303 }).serverFlight(
      clientHello2!,
    );
    expect(alertOf(() => client.receive("initial", otherSuite.serverHello))).toBe(TlsAlert.illegal_parameter);

    const second = quicClient();
    const hello = started(second);
    second.receive("initial", testServer().helloRetryRequest(hello, { group: NamedGroup.secp256r1 }));
    second.takeOutgoing();
    const x25519Hello = encodeServerHello({
      random: new Uint8Array(32),
      legacySessionIdEcho: new Uint8Array(0),
      cipherSuite: 0x1301,
      extensions: [
        encodeSupportedVersionsServerHelloExtension(0x0304),
        encodeKeyShareServerHelloExtension({
          group: NamedGroup.x25519,
          keyExchange: generateKeyShare("x25519").publicKey,
        }),
      ],
    });
    expect(alertOf(() => second.receive("initial", x25519Hello))).toBe(TlsAlert.illegal_parameter);
  });
});

// ---------------------------------------------------------------------------------------------
// Fuzzing

describe("fuzzing the client: a TlsAlertError or success, never another exception", () => {
  const helloRetryRequestSample = encodeServerHello({
    random: fromHex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c"),
    legacySessionIdEcho: new Uint8Array(0),
    cipherSuite: 0x1301,
    extensions: [
      encodeSupportedVersionsServerHelloExtension(0x0304),
      { type: ExtensionType.key_share, data: Uint8Array.of(0, 0x17) },
    ],
  });

  function onlyAlerts(run: () => void): void {
    try {
      run();
    } catch (error) {
      if (!(error instanceof QuicError)) throw error;
    }
  }

  it("mutated ServerHellos", () => {
    const samples = [msg("serverHello"), helloRetryRequestSample];
    fc.assert(
      fc.property(mutatedBytes(samples), (bytes) => {
        const client = traceClient({ rewriteClientHelloExtensions: () => traceHello.extensions });
        client.start();
        onlyAlerts(() => client.receive("initial", bytes));
      }),
      { numRuns: 500, seed: 1 },
    );
  });

  it("mutated server flights after a valid ServerHello", () => {
    const samples = [traceFlightBytes, ...TRACE_FLIGHT.map(msg)];
    fc.assert(
      fc.property(mutatedBytes(samples), fc.integer({ min: 1, max: 1000 }), (bytes, chunk) => {
        const client = traceClient({ rewriteClientHelloExtensions: () => traceHello.extensions });
        client.start();
        client.receive("initial", msg("serverHello"));
        onlyAlerts(() => {
          for (let at = 0; at < bytes.length; at += chunk)
            client.receive("handshake", bytes.subarray(at, at + chunk));
        });
      }),
      { numRuns: 500, seed: 2 },
    );
  });
});
