import { X509Certificate } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { mutatedBytes } from "../test-support/arbitraries.js";
import { fromHex, toHex } from "../test-support/hex.js";
import { keys, messages } from "../test-support/rfc8448-vectors.js";
import { A2 } from "../test-support/rfc9001-vectors.js";
import { alertOf } from "../test-support/thrown.js";
import { TlsAlert, TlsAlertError } from "./alert.js";
import {
  type ClientHello,
  decodeAlpnProtocols,
  decodeAlpnSelected,
  decodeCertificate,
  decodeCertificateRequest,
  decodeCertificateVerify,
  decodeClientHello,
  decodeCookie,
  decodeEarlyDataIndication,
  decodeEncryptedExtensions,
  decodeFinished,
  decodeKeyShareClientHello,
  decodeKeyShareHelloRetryRequest,
  decodeKeyShareServerHello,
  decodeKeyUpdate,
  decodeNewSessionTicket,
  decodePskKeyExchangeModes,
  decodeServerHello,
  decodeServerName,
  decodeSignatureAlgorithms,
  decodeSupportedGroups,
  decodeSupportedVersionsClientHello,
  decodeSupportedVersionsServerHello,
  ExtensionType,
  encodeAlpnExtension,
  encodeCertificate,
  encodeCertificateRequest,
  encodeCertificateVerify,
  encodeClientHello,
  encodeCookieExtension,
  encodeEarlyDataIndication,
  encodeEncryptedExtensions,
  encodeFinished,
  encodeHandshakeMessage,
  encodeKeyShareClientHelloExtension,
  encodeKeyShareHelloRetryRequestExtension,
  encodeKeyShareServerHelloExtension,
  encodeNewSessionTicket,
  encodePskKeyExchangeModesExtension,
  encodeQuicTransportParametersExtension,
  encodeServerHello,
  encodeServerNameExtension,
  encodeSignatureAlgorithmsExtension,
  encodeSupportedGroupsExtension,
  encodeSupportedVersionsClientHelloExtension,
  encodeSupportedVersionsServerHelloExtension,
  findExtension,
  HandshakeReader,
  HandshakeType,
  HELLO_RETRY_REQUEST_RANDOM,
  isHelloRetryRequest,
  NamedGroup,
  PskKeyExchangeMode,
  SignatureScheme,
  TLS13_VERSION,
} from "./handshake-messages.js";

const msg = (name: keyof typeof messages): Uint8Array => fromHex(messages[name].hex);
const body = (name: keyof typeof messages): Uint8Array => msg(name).subarray(4);

/** The ClientHello inside the RFC 9001 A.2 CRYPTO frame: type 06, offset 0, length 0x40f1. */
function a2ClientHello(): Uint8Array {
  const frame = fromHex(A2.cryptoFrame);
  expect(toHex(frame.subarray(0, 4))).toBe("060040f1");
  return frame.subarray(4, 4 + 0xf1);
}

describe("ClientHello", () => {
  it("rebuilds the RFC 9001 A.2 ClientHello byte for byte from its fields, and decodes it back", () => {
    const expected = a2ClientHello();
    const transportParameters = fromHex(`
      0408ffffffffffffffff05048000ffff07048000ffff0801100104800075300901100f088394c8f03e51570806048000ffff`);
    const hello: ClientHello = {
      random: fromHex("ebf8fa56f12939b9584a3896472ec40bb863cfd3e86804fe3a47f06a2b69484c"),
      legacySessionId: new Uint8Array(0),
      cipherSuites: [0x1301, 0x1302],
      extensions: [
        encodeServerNameExtension("example.com"),
        { type: ExtensionType.renegotiation_info, data: fromHex("00") },
        encodeSupportedGroupsExtension([NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1]),
        encodeAlpnExtension(["alpn"]),
        { type: ExtensionType.status_request, data: fromHex("0100000000") },
        encodeKeyShareClientHelloExtension([
          {
            group: NamedGroup.x25519,
            keyExchange: fromHex("9370b2c9caa47fbabaf4559fedba753de171fa71f50f1ce15d43e994ec74d748"),
          },
        ]),
        encodeSupportedVersionsClientHelloExtension([TLS13_VERSION]),
        encodeSignatureAlgorithmsExtension([
          SignatureScheme.ecdsa_secp256r1_sha256,
          SignatureScheme.ecdsa_secp384r1_sha384,
          SignatureScheme.ecdsa_secp521r1_sha512,
          SignatureScheme.ecdsa_sha1,
          SignatureScheme.rsa_pss_rsae_sha256,
          SignatureScheme.rsa_pss_rsae_sha384,
          SignatureScheme.rsa_pss_rsae_sha512,
        ]),
        encodePskKeyExchangeModesExtension([PskKeyExchangeMode.psk_dhe_ke]),
        { type: ExtensionType.record_size_limit, data: fromHex("4001") },
        encodeQuicTransportParametersExtension(transportParameters),
      ],
    };
    const encoded = encodeClientHello(hello);
    expect(toHex(encoded)).toBe(toHex(expected));

    expect(encoded[0]).toBe(HandshakeType.client_hello);
    const decoded = decodeClientHello(expected.subarray(4));
    expect(decoded).toEqual(hello);
    const ext = (type: number): Uint8Array => findExtension(decoded.extensions, type)!;
    expect(decodeServerName(ext(ExtensionType.server_name))).toBe("example.com");
    expect(decodeSupportedGroups(ext(ExtensionType.supported_groups))).toEqual([0x1d, 0x17, 0x18]);
    expect(decodeAlpnProtocols(ext(ExtensionType.application_layer_protocol_negotiation))).toEqual(["alpn"]);
    expect(decodeKeyShareClientHello(ext(ExtensionType.key_share))).toEqual([
      {
        group: 0x1d,
        keyExchange: fromHex("9370b2c9caa47fbabaf4559fedba753de171fa71f50f1ce15d43e994ec74d748"),
      },
    ]);
    expect(decodeSupportedVersionsClientHello(ext(ExtensionType.supported_versions))).toEqual([0x0304]);
    expect(decodeSignatureAlgorithms(ext(ExtensionType.signature_algorithms))).toHaveLength(7);
    expect(decodePskKeyExchangeModes(ext(ExtensionType.psk_key_exchange_modes))).toEqual([1]);
    expect(toHex(ext(ExtensionType.quic_transport_parameters))).toBe(toHex(transportParameters));
  });

  it("decodes and re-encodes the RFC 8448 §3 ClientHello unchanged", () => {
    const hello = decodeClientHello(body("clientHello"));
    expect(hello.cipherSuites).toEqual([0x1301, 0x1303, 0x1302]);
    expect(hello.legacySessionId).toHaveLength(0);
    expect(hello.extensions.map((e) => e.type)).toEqual([0, 0xff01, 10, 35, 51, 43, 13, 45, 28]);
    expect(decodeServerName(findExtension(hello.extensions, ExtensionType.server_name)!)).toBe("server");
    expect(
      toHex(
        decodeKeyShareClientHello(findExtension(hello.extensions, ExtensionType.key_share)!)[0]!.keyExchange,
      ),
    ).toBe(keys.clientPublic);
    expect(toHex(encodeClientHello(hello))).toBe(toHex(msg("clientHello")));
  });

  it("refuses what TLS 1.3 forbids in a ClientHello", () => {
    const good = msg("clientHello").slice(4);
    const withCompression = good.slice();
    // legacy_compression_methods sits after version, random, an empty session id and 3 suites.
    const compressionAt = 2 + 32 + 1 + 2 + 6;
    expect(withCompression[compressionAt + 1]).toBe(0);
    withCompression[compressionAt + 1] = 1;
    expect(alertOf(() => decodeClientHello(withCompression))).toBe(TlsAlert.illegal_parameter);
    const oldVersion = good.slice();
    oldVersion[1] = 0x01;
    expect(alertOf(() => decodeClientHello(oldVersion))).toBe(TlsAlert.protocol_version);
  });
});

describe("ServerHello and HelloRetryRequest", () => {
  it("decodes the RFC 8448 §3 ServerHello", () => {
    const hello = decodeServerHello(body("serverHello"));
    expect(isHelloRetryRequest(hello)).toBe(false);
    expect(toHex(hello.random)).toBe("a6af06a4121860dc5e6e60249cd34c95930c8ac5cb1434dac155772ed3e26928");
    expect(hello.cipherSuite).toBe(0x1301);
    expect(hello.legacySessionIdEcho).toHaveLength(0);
    expect(hello.extensions.map((e) => e.type)).toEqual([
      ExtensionType.key_share,
      ExtensionType.supported_versions,
    ]);
    const share = decodeKeyShareServerHello(findExtension(hello.extensions, ExtensionType.key_share)!);
    expect(share.group).toBe(NamedGroup.x25519);
    expect(toHex(share.keyExchange)).toBe(keys.serverPublic);
    expect(
      decodeSupportedVersionsServerHello(findExtension(hello.extensions, ExtensionType.supported_versions)!),
    ).toBe(TLS13_VERSION);
    expect(toHex(encodeServerHello(hello))).toBe(toHex(msg("serverHello")));
  });

  it("recognises a HelloRetryRequest by its random, SHA-256 of 'HelloRetryRequest'", () => {
    expect(toHex(HELLO_RETRY_REQUEST_RANDOM)).toBe(
      "cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c",
    );
    const retry = encodeServerHello({
      random: HELLO_RETRY_REQUEST_RANDOM,
      legacySessionIdEcho: new Uint8Array(0),
      cipherSuite: 0x1301,
      extensions: [
        encodeSupportedVersionsServerHelloExtension(TLS13_VERSION),
        encodeKeyShareHelloRetryRequestExtension(NamedGroup.secp256r1),
        encodeCookieExtension(fromHex("c00c1e")),
      ],
    });
    const decoded = decodeServerHello(retry.subarray(4));
    expect(isHelloRetryRequest(decoded)).toBe(true);
    expect(decodeKeyShareHelloRetryRequest(findExtension(decoded.extensions, ExtensionType.key_share)!)).toBe(
      0x17,
    );
    expect(toHex(decodeCookie(findExtension(decoded.extensions, ExtensionType.cookie)!))).toBe("c00c1e");
  });

  it("refuses a compression method, an old legacy_version and repeated extensions", () => {
    const sh = body("serverHello").slice();
    const compressionAt = 2 + 32 + 1 + 2;
    sh[compressionAt] = 1;
    expect(alertOf(() => decodeServerHello(sh))).toBe(TlsAlert.illegal_parameter);
    const old = body("serverHello").slice();
    old[1] = 0x02;
    expect(alertOf(() => decodeServerHello(old))).toBe(TlsAlert.protocol_version);
    const twice = encodeServerHello({
      random: new Uint8Array(32),
      legacySessionIdEcho: new Uint8Array(0),
      cipherSuite: 0x1301,
      extensions: [
        encodeSupportedVersionsServerHelloExtension(TLS13_VERSION),
        encodeSupportedVersionsServerHelloExtension(TLS13_VERSION),
      ],
    });
    expect(alertOf(() => decodeServerHello(twice.subarray(4)))).toBe(TlsAlert.illegal_parameter);
  });
});

describe("the RFC 8448 §3 server flight", () => {
  it("decodes EncryptedExtensions", () => {
    const { extensions } = decodeEncryptedExtensions(body("encryptedExtensions"));
    expect(extensions.map((e) => e.type)).toEqual([
      ExtensionType.supported_groups,
      ExtensionType.record_size_limit,
      ExtensionType.server_name,
    ]);
    expect(decodeSupportedGroups(extensions[0]!.data)).toEqual([
      0x1d, 0x17, 0x18, 0x19, 0x100, 0x101, 0x102, 0x103, 0x104,
    ]);
    expect(decodeServerName(extensions[2]!.data)).toBeUndefined();
    expect(toHex(encodeEncryptedExtensions({ extensions }))).toBe(toHex(msg("encryptedExtensions")));
  });

  it("decodes the Certificate: one RSA certificate, CN=rsa, no entry extensions", () => {
    const certificate = decodeCertificate(body("certificate"));
    expect(certificate.requestContext).toHaveLength(0);
    expect(certificate.entries).toHaveLength(1);
    expect(certificate.entries[0]!.data).toHaveLength(0x1b0);
    expect(certificate.entries[0]!.extensions).toEqual([]);
    const x509 = new X509Certificate(certificate.entries[0]!.data);
    expect(x509.subject).toBe("CN=rsa");
    expect(x509.publicKey.asymmetricKeyType).toBe("rsa");
    expect(toHex(encodeCertificate(certificate))).toBe(toHex(msg("certificate")));
  });

  it("decodes the CertificateVerify: rsa_pss_rsae_sha256 and a 128-byte signature", () => {
    const verify = decodeCertificateVerify(body("certificateVerify"));
    expect(verify.scheme).toBe(SignatureScheme.rsa_pss_rsae_sha256);
    expect(verify.signature).toHaveLength(128);
    expect(toHex(encodeCertificateVerify(verify))).toBe(toHex(msg("certificateVerify")));
  });

  it("decodes the Finished, whose verify_data must be exactly Hash.length", () => {
    const verifyData = decodeFinished(body("serverFinished"), 32);
    expect(toHex(encodeFinished(verifyData))).toBe(toHex(msg("serverFinished")));
    expect(alertOf(() => decodeFinished(body("serverFinished"), 48))).toBe(TlsAlert.decode_error);
  });

  it("decodes the NewSessionTicket", () => {
    const ticket = decodeNewSessionTicket(body("newSessionTicket"));
    expect(ticket.lifetime).toBe(30);
    expect(ticket.ageAdd).toBe(0xfad6aac5);
    expect(toHex(ticket.nonce)).toBe("0000");
    expect(ticket.ticket).toHaveLength(0xb2);
    expect(toHex(ticket.ticket.subarray(0, 4))).toBe("2c035d82");
    expect(ticket.extensions.map((e) => e.type)).toEqual([ExtensionType.early_data]);
    expect(decodeEarlyDataIndication(ticket.extensions[0]!.data)).toBe(1024);
    expect(toHex(encodeNewSessionTicket(ticket))).toBe(toHex(msg("newSessionTicket")));
  });
});

describe("other messages and extensions", () => {
  it("round-trips a CertificateRequest", () => {
    const request = {
      requestContext: new Uint8Array(0),
      extensions: [encodeSignatureAlgorithmsExtension([SignatureScheme.ed25519])],
    };
    const encoded = encodeCertificateRequest(request);
    expect(encoded[0]).toBe(HandshakeType.certificate_request);
    expect(decodeCertificateRequest(encoded.subarray(4))).toEqual(request);
  });

  it("decodes KeyUpdate and refuses a request_update other than 0 or 1", () => {
    expect(decodeKeyUpdate(Uint8Array.of(0))).toEqual({ updateRequested: false });
    expect(decodeKeyUpdate(Uint8Array.of(1))).toEqual({ updateRequested: true });
    expect(alertOf(() => decodeKeyUpdate(Uint8Array.of(2)))).toBe(TlsAlert.illegal_parameter);
    expect(alertOf(() => decodeKeyUpdate(Uint8Array.of(0, 0)))).toBe(TlsAlert.decode_error);
  });

  it("round-trips the server forms of key_share and supported_versions, and early_data", () => {
    const share = { group: NamedGroup.secp256r1, keyExchange: new Uint8Array(65).fill(4) };
    expect(decodeKeyShareServerHello(encodeKeyShareServerHelloExtension(share).data)).toEqual(share);
    expect(decodeSupportedVersionsServerHello(encodeSupportedVersionsServerHelloExtension(0x0304).data)).toBe(
      0x0304,
    );
    expect(decodeEarlyDataIndication(encodeEarlyDataIndication(0xffffffff).data)).toBe(0xffffffff);
  });

  it("takes exactly one ALPN protocol from a server", () => {
    expect(decodeAlpnSelected(encodeAlpnExtension(["h3"]).data)).toBe("h3");
    expect(alertOf(() => decodeAlpnSelected(encodeAlpnExtension(["h3", "h3-29"]).data))).toBe(
      TlsAlert.illegal_parameter,
    );
    expect(alertOf(() => decodeAlpnProtocols(fromHex("0003 00 6833")))).toBe(TlsAlert.decode_error);
  });

  it.each([
    ["a group list of odd length", () => decodeSupportedGroups(fromHex("0003 001d 00"))],
    ["an empty group list", () => decodeSupportedGroups(fromHex("0000"))],
    ["bytes after a list", () => decodeSignatureAlgorithms(fromHex("0002 0804 00"))],
    ["a truncated key share", () => decodeKeyShareServerHello(fromHex("001d 0020 0102"))],
    ["an empty key_exchange", () => decodeKeyShareServerHello(fromHex("001d 0000"))],
    ["an empty cookie", () => decodeCookie(fromHex("0000"))],
    ["an empty cert_data", () => decodeCertificate(fromHex("00 000005 000000 0000"))],
    ["an empty ticket", () => decodeNewSessionTicket(fromHex("0000001e 00000000 00 0000 0000"))],
    ["a non-UTF-8 host name", () => decodeServerName(fromHex("0004 00 0001 ff"))],
    ["a session id of 33 bytes", () => decodeServerHello(new Uint8Array([3, 3, ...new Uint8Array(32), 33]))],
  ])("refuses %s with decode_error", (_, run) => {
    expect(alertOf(run)).toBe(TlsAlert.decode_error);
  });

  it("refuses a group offered twice in key_share, and a ticket lifetime above 7 days", () => {
    const twice = encodeKeyShareClientHelloExtension([
      { group: 0x1d, keyExchange: new Uint8Array(32) },
      { group: 0x1d, keyExchange: new Uint8Array(32) },
    ]);
    expect(alertOf(() => decodeKeyShareClientHello(twice.data))).toBe(TlsAlert.illegal_parameter);
    const ticket = encodeNewSessionTicket({
      lifetime: 604_801,
      ageAdd: 0,
      nonce: new Uint8Array(0),
      ticket: Uint8Array.of(1),
      extensions: [],
    });
    expect(alertOf(() => decodeNewSessionTicket(ticket.subarray(4)))).toBe(TlsAlert.illegal_parameter);
  });

  it("refuses to encode what cannot be encoded", () => {
    expect(() => encodeAlpnExtension([""])).toThrow(RangeError);
    expect(() => encodeAlpnExtension(["x".repeat(256)])).toThrow(RangeError);
    expect(() => encodeHandshakeMessage(256, new Uint8Array(0))).toThrow(RangeError);
    expect(() =>
      encodeClientHello({
        random: new Uint8Array(31),
        legacySessionId: new Uint8Array(0),
        cipherSuites: [1],
        extensions: [],
      }),
    ).toThrow(RangeError);
  });
});

describe("HandshakeReader", () => {
  const flight = [
    msg("encryptedExtensions"),
    msg("certificate"),
    msg("certificateVerify"),
    msg("serverFinished"),
  ];
  const stream = Uint8Array.from(flight.flatMap((m) => [...m]));

  function readAll(reader: HandshakeReader, chunks: readonly Uint8Array[]): string[] {
    const out: string[] = [];
    for (const chunk of chunks) {
      reader.push(chunk);
      for (let m = reader.next(); m !== undefined; m = reader.next()) {
        expect(toHex(m.body)).toBe(toHex(m.raw.subarray(4)));
        expect(m.type).toBe(m.raw[0]);
        out.push(toHex(m.raw));
      }
    }
    return out;
  }

  it("reassembles messages from chunks of any size", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 20 }), (cuts) => {
        const chunks: Uint8Array[] = [];
        let at = 0;
        for (const cut of cuts) {
          if (at >= stream.length) break;
          chunks.push(stream.subarray(at, at + cut));
          at += cut;
        }
        chunks.push(stream.subarray(at));
        const reader = new HandshakeReader();
        expect(readAll(reader, chunks)).toEqual(flight.map(toHex));
        expect(reader.bufferedLength).toBe(0);
      }),
      { numRuns: 300, seed: 8448 },
    );
  });

  it("reassembles a stream fed one byte at a time, and copies what it is given", () => {
    const reader = new HandshakeReader();
    const scratch = new Uint8Array(1);
    const out: string[] = [];
    for (const byte of stream) {
      scratch[0] = byte;
      reader.push(scratch);
      for (let m = reader.next(); m !== undefined; m = reader.next()) out.push(toHex(m.raw));
    }
    expect(out).toEqual(flight.map(toHex));
  });

  it("keeps a partial message until the rest arrives", () => {
    const reader = new HandshakeReader();
    reader.push(stream.subarray(0, 3));
    expect(reader.next()).toBeUndefined();
    reader.push(stream.subarray(3, 20));
    expect(reader.next()).toBeUndefined();
    expect(reader.bufferedLength).toBe(20);
    reader.push(stream.subarray(20, 41));
    expect(reader.next()?.type).toBe(HandshakeType.encrypted_extensions);
    expect(reader.bufferedLength).toBe(1);
  });

  it("refuses a message longer than its limit as soon as the header arrives", () => {
    const reader = new HandshakeReader(1000);
    reader.push(fromHex("0b 0100 00"));
    expect(alertOf(() => reader.next())).toBe(TlsAlert.illegal_parameter);
    const roomy = new HandshakeReader(445);
    roomy.push(msg("certificate"));
    expect(roomy.next()?.type).toBe(HandshakeType.certificate);
  });
});

describe("fuzzing the decoders: a value or a TlsAlertError, nothing else", () => {
  const decoders: [string, (bytes: Uint8Array) => unknown][] = [
    ["ClientHello", decodeClientHello],
    ["ServerHello", decodeServerHello],
    ["EncryptedExtensions", decodeEncryptedExtensions],
    ["CertificateRequest", decodeCertificateRequest],
    ["Certificate", decodeCertificate],
    ["CertificateVerify", decodeCertificateVerify],
    ["Finished", (b) => decodeFinished(b, 32)],
    ["NewSessionTicket", decodeNewSessionTicket],
    ["KeyUpdate", decodeKeyUpdate],
    ["server_name", decodeServerName],
    ["supported_groups", decodeSupportedGroups],
    ["signature_algorithms", decodeSignatureAlgorithms],
    ["key_share (ClientHello)", decodeKeyShareClientHello],
    ["key_share (ServerHello)", decodeKeyShareServerHello],
    ["key_share (HelloRetryRequest)", decodeKeyShareHelloRetryRequest],
    ["supported_versions (ClientHello)", decodeSupportedVersionsClientHello],
    ["supported_versions (ServerHello)", decodeSupportedVersionsServerHello],
    ["ALPN", decodeAlpnProtocols],
    ["ALPN (selected)", decodeAlpnSelected],
    ["psk_key_exchange_modes", decodePskKeyExchangeModes],
    ["cookie", decodeCookie],
    ["early_data", decodeEarlyDataIndication],
  ];
  const samples = [
    ...(
      [
        "clientHello",
        "serverHello",
        "encryptedExtensions",
        "certificate",
        "certificateVerify",
        "newSessionTicket",
      ] as const
    ).map(body),
    a2ClientHello().subarray(4),
    encodeCertificateRequest({
      requestContext: Uint8Array.of(1),
      extensions: [encodeCookieExtension(Uint8Array.of(1))],
    }).subarray(4),
    ...decodeClientHello(body("clientHello")).extensions.map((e) => e.data),
  ];

  function valueOrAlert(run: () => unknown): void {
    const started = performance.now();
    try {
      run();
    } catch (error) {
      if (!(error instanceof TlsAlertError)) throw error;
      expect([TlsAlert.decode_error, TlsAlert.illegal_parameter, TlsAlert.protocol_version]).toContain(
        error.alert,
      );
    }
    expect(performance.now() - started).toBeLessThan(250);
  }

  it("mutated vectors and random bytes into every decoder", () => {
    fc.assert(
      fc.property(mutatedBytes(samples), (bytes) => {
        for (const [, decode] of decoders) valueOrAlert(() => decode(bytes));
      }),
      { numRuns: 1000, seed: 8446 },
    );
  });

  it("mutated streams into HandshakeReader", () => {
    const stream = Uint8Array.from(samples.slice(0, 6).flatMap((b) => [...encodeHandshakeMessage(2, b)]));
    fc.assert(
      fc.property(mutatedBytes([stream]), fc.integer({ min: 1, max: 600 }), (bytes, chunk) => {
        valueOrAlert(() => {
          const reader = new HandshakeReader(2000);
          for (let at = 0; at < bytes.length; at += chunk) {
            reader.push(bytes.subarray(at, at + chunk));
            while (reader.next() !== undefined);
          }
        });
      }),
      { numRuns: 1000, seed: 9001 },
    );
  });

  it("round-trips any ClientHello", () => {
    const extension = fc.record({
      type: fc.integer({ min: 0, max: 0xffff }),
      data: fc.uint8Array({ maxLength: 40 }),
    });
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 32 }),
        fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 1, maxLength: 8 }),
        fc.uniqueArray(extension, { selector: (e) => e.type, maxLength: 8 }),
        (random, legacySessionId, cipherSuites, extensions) => {
          const hello = { random, legacySessionId, cipherSuites, extensions };
          expect(decodeClientHello(encodeClientHello(hello).subarray(4))).toEqual(hello);
        },
      ),
      { numRuns: 500, seed: 1 },
    );
  });
});
