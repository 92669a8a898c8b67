/**
 * The TLS 1.3 client handshake (RFC 8446) the way QUIC drives it (RFC 9001 §4.1): there are no
 * records. The connection hands in the handshake bytes it received at each encryption level
 * and takes out the bytes to send at each level and the traffic secrets to install, in order.
 * The class does no I/O, keeps no timers and is synchronous, so the whole handshake can be
 * replayed from a published trace.
 *
 * ```
 *   initial      →  ClientHello
 *   initial      ←  ServerHello                 (or HelloRetryRequest, then ClientHello again)
 *                   install handshake secrets
 *   handshake    ←  EncryptedExtensions, [CertificateRequest], Certificate, CertificateVerify, Finished
 *   handshake    →  [Certificate (empty)], Finished
 *                   install application secrets; complete
 *   application  ←  NewSessionTicket*
 * ```
 *
 * Every failure is a `TlsAlertError` naming the alert RFC 8446 (or RFC 9001) prescribes, and the
 * handshake stays failed: later calls throw the same error. The one exception is RFC 9001
 * §4.6.1's rule on a ticket's early_data size, a `QuicError` PROTOCOL_VIOLATION as that RFC says.
 *
 * Client certificates are not implemented: a CertificateRequest is answered with an empty
 * Certificate, which is how TLS 1.3 declines (RFC 8446 §4.4.2); the server then continues or
 * fails with certificate_required.
 *
 * @packageDocumentation
 */

import { randomBytes, timingSafeEqual, type X509Certificate } from "node:crypto";
import { type CipherSuite, cipherSuiteById } from "../crypto/cipher-suite.js";
import { hashLength, hkdfExpandLabel } from "../crypto/hkdf.js";
import { QuicError, TransportErrorCode } from "../errors.js";
import { TlsAlert, TlsAlertError } from "./alert.js";
import {
  certificateVerifyContent,
  DEFAULT_SIGNATURE_SCHEMES,
  verifyCertificateVerifySignature,
} from "./certificate-verify.js";
import {
  type ClientHello,
  decodeAlpnSelected,
  decodeCertificate,
  decodeCertificateRequest,
  decodeCertificateVerify,
  decodeCookie,
  decodeEarlyDataIndication,
  decodeEncryptedExtensions,
  decodeFinished,
  decodeKeyShareHelloRetryRequest,
  decodeKeyShareServerHello,
  decodeKeyUpdate,
  decodeNewSessionTicket,
  decodeServerHello,
  decodeSignatureAlgorithms,
  decodeSupportedVersionsServerHello,
  ExtensionType,
  encodeAlpnExtension,
  encodeCertificate,
  encodeClientHello,
  encodeCookieExtension,
  encodeFinished,
  encodeKeyShareClientHelloExtension,
  encodePskKeyExchangeModesExtension,
  encodeQuicTransportParametersExtension,
  encodeServerNameExtension,
  encodeSignatureAlgorithmsExtension,
  encodeSupportedGroupsExtension,
  encodeSupportedVersionsClientHelloExtension,
  equalBytes,
  findExtension,
  type HandshakeMessage,
  HandshakeReader,
  HandshakeType,
  isHelloRetryRequest,
  PskKeyExchangeMode,
  type ServerHello,
  TLS13_VERSION,
  type TlsExtension,
} from "./handshake-messages.js";
import { finishedVerifyData, KeySchedule, type TrafficSecrets, TranscriptHash } from "./key-schedule.js";
import {
  type EphemeralKeyShare,
  generateKeyShare,
  type KeyExchangeGroup,
  keyExchangeGroupByCode,
  keyShareFromPrivateKey,
  namedGroupCode,
} from "./key-share.js";

/**
 * The QUIC encryption levels that carry handshake bytes (0-RTT carries none).
 *
 * @alpha
 */
export type EncryptionLevel = "initial" | "handshake" | "application";

/**
 * Options of `TlsClientHandshake`.
 *
 * @alpha
 */
export interface TlsClientOptions {
  /**
   * The server's name: sent as SNI unless it is an IP literal, and handed to
   * `verifyCertificate` either way.
   */
  readonly serverName: string;
  /**
   * ALPN protocols in preference order, e.g. `["h3"]`. When any are offered the server must
   * select one of them (no_application_protocol otherwise); QUIC requires at least one.
   */
  readonly alpnProtocols: readonly string[];
  /**
   * This endpoint's encoded QUIC transport parameters. When given the handshake runs in QUIC
   * mode and the server's parameters are required; when absent the extension is neither sent
   * nor accepted (plain TLS 1.3, for a TLS-over-TCP harness).
   */
  readonly transportParameters?: Uint8Array | undefined;
  /** Offered cipher suites in preference order; 0x1301, 0x1302, 0x1303 by default. */
  readonly cipherSuites?: readonly number[] | undefined;
  /**
   * Supported groups in preference order; `["x25519", "secp256r1"]` by default. A key share is
   * sent for the first only; a HelloRetryRequest may ask for another of them.
   */
  readonly groups?: readonly KeyExchangeGroup[] | undefined;
  /**
   * Validates the server's chain (end-entity first) for `serverName` and returns the
   * end-entity certificate, or throws a `TlsAlertError` (any other error becomes bad_certificate).
   * `certificateVerifier(trust)` makes the usual one from a `TrustStore`, such as one built from
   * `tls.rootCertificates`, or from a list of anchors.
   */
  verifyCertificate(chain: readonly Uint8Array[], serverName: string): X509Certificate;
  /**
   * Checks the CertificateVerify signature over `content`; by default
   * `verifyCertificateVerifySignature`. Throws a `TlsAlertError` (any other error becomes
   * decrypt_error).
   */
  verifySignature?(leaf: X509Certificate, scheme: number, signature: Uint8Array, content: Uint8Array): void;
  /** Test only: the ClientHello random instead of 32 fresh random bytes. */
  readonly random?: Uint8Array | undefined;
  /** Test only: private keys for the key shares instead of fresh ones. */
  readonly keySharePrivateKeys?: Readonly<Partial<Record<KeyExchangeGroup, Uint8Array>>> | undefined;
  /**
   * Test only: rewrites the ClientHello's extension list, so a published ClientHello can be
   * reproduced exactly. What the server may select is then judged against the rewritten list.
   */
  readonly rewriteClientHelloExtensions?:
    | ((extensions: readonly TlsExtension[]) => readonly TlsExtension[])
    | undefined;
}

/**
 * Handshake bytes to send at one encryption level, in CRYPTO frames of that level's packets.
 *
 * @alpha
 */
export interface HandshakeOutput {
  /** The encryption level whose packets carry the bytes. */
  readonly level: EncryptionLevel;
  /** The bytes, which continue that level's crypto stream. */
  readonly data: Uint8Array;
}

/**
 * A pair of traffic secrets for one encryption level, ready for `derivePacketProtectionKeys`.
 *
 * @alpha
 */
export interface LevelTrafficSecrets extends TrafficSecrets {
  /** The level the secrets protect. */
  readonly level: "handshake" | "application";
  /** The negotiated cipher suite. */
  readonly cipherSuite: CipherSuite;
}

/**
 * A session ticket from a NewSessionTicket, with the PSK it stands for (RFC 8446 §4.6.1).
 *
 * @alpha
 */
export interface TlsSessionTicket {
  /** The opaque ticket, the PSK identity when resuming. */
  readonly ticket: Uint8Array;
  /** Seconds the ticket may be used for, counted from when it was received. */
  readonly lifetime: number;
  /** Added to the ticket age sent when resuming. */
  readonly ageAdd: number;
  /** The ticket_nonce. */
  readonly nonce: Uint8Array;
  /** max_early_data_size from the early_data extension, if the server allows 0-RTT. */
  readonly maxEarlyDataSize: number | undefined;
  /** HKDF-Expand-Label(resumption_master_secret, "resumption", ticket_nonce, Hash.length). */
  readonly resumptionSecret: Uint8Array;
  /** The cipher suite of the session: a resumption must use one with the same hash. */
  readonly cipherSuite: CipherSuite;
  /** The server name the session was authenticated for. */
  readonly serverName: string;
  /** The negotiated ALPN protocol, which 0-RTT must repeat. */
  readonly alpnProtocol: string | undefined;
  /** The server's transport parameters, which 0-RTT is bound by (RFC 9001 §4.6.3). */
  readonly transportParameters: Uint8Array | undefined;
}

type HandshakeState =
  | "start"
  | "wait_server_hello"
  | "wait_encrypted_extensions"
  | "wait_certificate_or_request"
  | "wait_certificate"
  | "wait_certificate_verify"
  | "wait_finished"
  | "connected"
  | "failed";

const LEVEL_OF_STATE: Record<HandshakeState, EncryptionLevel | undefined> = {
  start: undefined,
  wait_server_hello: "initial",
  wait_encrypted_extensions: "handshake",
  wait_certificate_or_request: "handshake",
  wait_certificate: "handshake",
  wait_certificate_verify: "handshake",
  wait_finished: "handshake",
  connected: "application",
  failed: undefined,
};

const DEFAULT_CIPHER_SUITES: readonly number[] = [0x1301, 0x1302, 0x1303];
const DEFAULT_GROUPS: readonly KeyExchangeGroup[] = ["x25519", "secp256r1"];

const SERVER_HELLO_EXTENSIONS = new Set<number>([
  ExtensionType.supported_versions,
  ExtensionType.key_share,
  ExtensionType.pre_shared_key,
]);
const HELLO_RETRY_REQUEST_EXTENSIONS = new Set<number>([
  ExtensionType.supported_versions,
  ExtensionType.key_share,
  ExtensionType.cookie,
]);
// RFC 8446 §4.2 table: the extensions that have a place in a ClientHello but not in
// EncryptedExtensions. Unknown types the client offered are left to the server.
const NOT_IN_ENCRYPTED_EXTENSIONS = new Set<number>([
  ExtensionType.status_request,
  ExtensionType.signature_algorithms,
  ExtensionType.signed_certificate_timestamp,
  ExtensionType.padding,
  ExtensionType.pre_shared_key,
  ExtensionType.supported_versions,
  ExtensionType.cookie,
  ExtensionType.psk_key_exchange_modes,
  ExtensionType.certificate_authorities,
  ExtensionType.oid_filters,
  ExtensionType.post_handshake_auth,
  ExtensionType.signature_algorithms_cert,
  ExtensionType.key_share,
]);
const CERTIFICATE_ENTRY_EXTENSIONS = new Set<number>([
  ExtensionType.status_request,
  ExtensionType.signed_certificate_timestamp,
]);

/** RFC 9001 §4.6.1: a QUIC server that allows 0-RTT says so with exactly this size. */
const QUIC_MAX_EARLY_DATA_SIZE = 0xffffffff;

function alert(code: number, message: string): TlsAlertError {
  return new TlsAlertError(code, message);
}

/** Runs a check the caller supplied: its TlsAlertError stands, any other error becomes `fallback`. */
function callerCheck<T>(fallback: TlsAlert, message: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof TlsAlertError) throw error;
    throw new TlsAlertError(fallback, message, { cause: error });
  }
}

function hex16(value: number): string {
  return `0x${value.toString(16).padStart(4, "0")}`;
}

function handshakeTypeName(type: number): string {
  for (const [name, value] of Object.entries(HandshakeType)) if (value === type) return name;
  return `handshake type ${type}`;
}

/** IP literals get no SNI (RFC 6066 §3); the certificate check still sees them. */
function isIpLiteral(name: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(name) || name.includes(":");
}

/**
 * The client side of a TLS 1.3 handshake for QUIC, driven by bytes per encryption level.
 *
 * @alpha
 */
export class TlsClientHandshake {
  readonly #options: TlsClientOptions;
  readonly #quic: boolean;
  readonly #groups: readonly KeyExchangeGroup[];
  readonly #offeredSignatureSchemes: readonly number[];
  readonly #readers = {
    initial: new HandshakeReader(),
    handshake: new HandshakeReader(),
    application: new HandshakeReader(),
  };
  #offeredExtensionTypes: Set<number>;
  #clientHello: ClientHello;
  #clientHelloMessage: Uint8Array;
  #keyShare: EphemeralKeyShare;
  #state: HandshakeState = "start";
  #failure: Error | undefined;

  #retried = false;
  #retryCipherSuite: CipherSuite | undefined;
  #cipherSuite: CipherSuite | undefined;
  #transcript: TranscriptHash | undefined;
  #keySchedule: KeySchedule | undefined;
  #handshakeSecrets: TrafficSecrets | undefined;
  #resumptionMasterSecret: Uint8Array | undefined;
  #certificateRequestContext: Uint8Array | undefined;

  #alpnProtocol: string | undefined;
  #peerTransportParameters: Uint8Array | undefined;
  #peerCertificate: X509Certificate | undefined;

  #outgoing: HandshakeOutput[] = [];
  #secrets: LevelTrafficSecrets[] = [];
  #tickets: TlsSessionTicket[] = [];

  /** Builds the ClientHello (so bad options fail here); `start` queues it. */
  constructor(options: TlsClientOptions) {
    this.#options = options;
    this.#quic = options.transportParameters !== undefined;
    if (this.#quic && options.alpnProtocols.length === 0)
      throw new RangeError("QUIC requires at least one ALPN protocol (RFC 9001 §8.1)");

    const cipherSuites = options.cipherSuites ?? DEFAULT_CIPHER_SUITES;
    if (cipherSuites.length === 0) throw new RangeError("no cipher suites to offer");
    for (const id of cipherSuites)
      if (cipherSuiteById(id) === undefined)
        throw new RangeError(`cipher suite ${hex16(id)} is not implemented`);

    this.#groups = options.groups ?? DEFAULT_GROUPS;
    const firstGroup = this.#groups[0];
    if (firstGroup === undefined) throw new RangeError("no key exchange groups to offer");
    if (new Set(this.#groups).size !== this.#groups.length) throw new RangeError("a group is listed twice");
    this.#keyShare = this.#newKeyShare(firstGroup);

    const random = options.random ?? new Uint8Array(randomBytes(32));
    if (random.length !== 32)
      throw new RangeError(`the ClientHello random is 32 bytes, not ${random.length}`);

    const defaults = this.#defaultExtensions();
    const extensions = options.rewriteClientHelloExtensions?.(defaults) ?? defaults;
    this.#clientHello = { random, legacySessionId: new Uint8Array(0), cipherSuites, extensions };
    this.#clientHelloMessage = encodeClientHello(this.#clientHello);
    this.#offeredExtensionTypes = new Set(extensions.map((extension) => extension.type));
    const signatureAlgorithms = findExtension(extensions, ExtensionType.signature_algorithms);
    this.#offeredSignatureSchemes =
      signatureAlgorithms === undefined ? [] : decodeSignatureAlgorithms(signatureAlgorithms);
  }

  /** True once the client's Finished is queued: both sides are authenticated. */
  get complete(): boolean {
    return this.#state === "connected";
  }

  /** The negotiated cipher suite, once the ServerHello is in. */
  get cipherSuite(): CipherSuite | undefined {
    return this.#cipherSuite;
  }

  /** The protocol the server selected by ALPN. */
  get alpnProtocol(): string | undefined {
    return this.#alpnProtocol;
  }

  /** The server's encoded quic_transport_parameters, for `decodeTransportParameters(…, "server")`. */
  get peerTransportParameters(): Uint8Array | undefined {
    return this.#peerTransportParameters;
  }

  /** The server's end-entity certificate, as `verifyCertificate` returned it. */
  get peerCertificate(): X509Certificate | undefined {
    return this.#peerCertificate;
  }

  /** Queues the ClientHello at the initial level. */
  start(): void {
    if (this.#state !== "start") throw new Error("the handshake has already started");
    this.#queue("initial", this.#clientHelloMessage);
    this.#state = "wait_server_hello";
  }

  /**
   * Takes handshake bytes received at a level, in stream order and in any chunking, and
   * processes every message they complete. Throws `TlsAlertError` if the server broke the
   * protocol; the handshake is then failed for good.
   */
  receive(level: EncryptionLevel, data: Uint8Array): void {
    if (this.#state === "start") throw new Error("start() the handshake before receive()");
    if (this.#failure !== undefined) throw this.#failure;
    try {
      this.#receive(level, data);
    } catch (error) {
      this.#failure =
        error instanceof QuicError
          ? error
          : new TlsAlertError(TlsAlert.internal_error, "the handshake failed unexpectedly", { cause: error });
      this.#state = "failed";
      throw this.#failure;
    }
  }

  /** The bytes to send since the last call, per level, in order. */
  takeOutgoing(): HandshakeOutput[] {
    const outgoing = this.#outgoing;
    this.#outgoing = [];
    return outgoing;
  }

  /** Traffic secrets that became available since the last call, to install in this order. */
  takeSecrets(): LevelTrafficSecrets[] {
    const secrets = this.#secrets;
    this.#secrets = [];
    return secrets;
  }

  /** Session tickets received since the last call. */
  takeSessionTickets(): TlsSessionTicket[] {
    const tickets = this.#tickets;
    this.#tickets = [];
    return tickets;
  }

  #newKeyShare(group: KeyExchangeGroup): EphemeralKeyShare {
    const privateKey = this.#options.keySharePrivateKeys?.[group];
    return privateKey === undefined ? generateKeyShare(group) : keyShareFromPrivateKey(group, privateKey);
  }

  #defaultExtensions(): TlsExtension[] {
    const options = this.#options;
    const extensions: TlsExtension[] = [];
    const host = options.serverName.replace(/^\[(.*)\]$/, "$1").replace(/\.$/, "");
    if (host !== "" && !isIpLiteral(host)) extensions.push(encodeServerNameExtension(host));
    extensions.push(
      encodeSupportedGroupsExtension(this.#groups.map(namedGroupCode)),
      encodeSignatureAlgorithmsExtension(DEFAULT_SIGNATURE_SCHEMES),
    );
    if (options.alpnProtocols.length > 0) extensions.push(encodeAlpnExtension(options.alpnProtocols));
    extensions.push(
      this.#keyShareExtension(),
      encodeSupportedVersionsClientHelloExtension([TLS13_VERSION]),
      // Without it a server may not issue tickets we can use (RFC 8446 §4.2.9).
      encodePskKeyExchangeModesExtension([PskKeyExchangeMode.psk_dhe_ke]),
    );
    if (options.transportParameters !== undefined)
      extensions.push(encodeQuicTransportParametersExtension(options.transportParameters));
    return extensions;
  }

  #keyShareExtension(): TlsExtension {
    return encodeKeyShareClientHelloExtension([
      { group: this.#keyShare.namedGroup, keyExchange: this.#keyShare.publicKey },
    ]);
  }

  #queue(level: EncryptionLevel, data: Uint8Array): void {
    this.#outgoing.push({ level, data });
  }

  #receive(level: EncryptionLevel, data: Uint8Array): void {
    if (data.length === 0) return;
    const expected = LEVEL_OF_STATE[this.#state];
    if (level !== expected)
      throw alert(
        TlsAlert.unexpected_message,
        `handshake bytes at the ${level} level while the handshake expects the ${expected} level`,
      );
    const reader = this.#readers[level];
    reader.push(data);
    for (let message = reader.next(); message !== undefined; message = reader.next()) {
      this.#handle(message);
      // RFC 8446 §5.1: a message that precedes a key change must end where the old keys end.
      if (LEVEL_OF_STATE[this.#state] !== level) {
        if (reader.bufferedLength > 0)
          throw alert(
            TlsAlert.unexpected_message,
            `${reader.bufferedLength} bytes follow the ${handshakeTypeName(message.type)} at the ${level} level, past a key change`,
          );
        return;
      }
    }
  }

  #handle(message: HandshakeMessage): void {
    const expect = (...types: number[]): void => {
      if (!types.includes(message.type))
        throw alert(
          TlsAlert.unexpected_message,
          `received ${handshakeTypeName(message.type)} while expecting ${types.map(handshakeTypeName).join(" or ")}`,
        );
    };
    switch (this.#state) {
      case "wait_server_hello":
        expect(HandshakeType.server_hello);
        this.#onServerHello(message);
        break;
      case "wait_encrypted_extensions":
        expect(HandshakeType.encrypted_extensions);
        this.#onEncryptedExtensions(message);
        break;
      case "wait_certificate_or_request":
        expect(HandshakeType.certificate, HandshakeType.certificate_request);
        if (message.type === HandshakeType.certificate) this.#onCertificate(message);
        else this.#onCertificateRequest(message);
        break;
      case "wait_certificate":
        expect(HandshakeType.certificate);
        this.#onCertificate(message);
        break;
      case "wait_certificate_verify":
        expect(HandshakeType.certificate_verify);
        this.#onCertificateVerify(message);
        break;
      case "wait_finished":
        expect(HandshakeType.finished);
        this.#onFinished(message);
        break;
      case "connected":
        if (message.type === HandshakeType.key_update) {
          decodeKeyUpdate(message.body);
          // RFC 9001 §6: QUIC updates keys with the Key Phase bit; a TLS KeyUpdate is an error.
          throw alert(TlsAlert.unexpected_message, "KeyUpdate is not used with QUIC");
        }
        expect(HandshakeType.new_session_ticket);
        this.#onNewSessionTicket(message);
        break;
      default:
        throw new Error(`no messages are expected in state ${this.#state}`);
    }
  }

  #onServerHello(message: HandshakeMessage): void {
    const hello = decodeServerHello(message.body);
    const retry = isHelloRetryRequest(hello);
    const what = retry ? "HelloRetryRequest" : "ServerHello";
    if (retry && this.#retried) throw alert(TlsAlert.unexpected_message, "a second HelloRetryRequest");

    // The version comes first (RFC 8446 §4.1.3): without supported_versions the server is
    // speaking TLS 1.2 or older, which this client does not.
    const selectedVersion = findExtension(hello.extensions, ExtensionType.supported_versions);
    if (selectedVersion === undefined)
      throw alert(TlsAlert.protocol_version, `the ${what} negotiates a version older than TLS 1.3`);
    const version = decodeSupportedVersionsServerHello(selectedVersion);
    if (version !== TLS13_VERSION)
      throw alert(TlsAlert.illegal_parameter, `the ${what} selects version ${hex16(version)}, not offered`);

    if (!equalBytes(hello.legacySessionIdEcho, this.#clientHello.legacySessionId))
      throw alert(TlsAlert.illegal_parameter, `the ${what} does not echo the legacy_session_id`);
    const cipherSuite = this.#clientHello.cipherSuites.includes(hello.cipherSuite)
      ? cipherSuiteById(hello.cipherSuite)
      : undefined;
    if (cipherSuite === undefined)
      throw alert(
        TlsAlert.illegal_parameter,
        `the ${what} selects cipher suite ${hex16(hello.cipherSuite)}, not offered`,
      );
    this.#checkExtensions(
      what,
      hello.extensions,
      retry ? HELLO_RETRY_REQUEST_EXTENSIONS : SERVER_HELLO_EXTENSIONS,
      retry ? ExtensionType.cookie : undefined,
    );

    if (retry) this.#onHelloRetryRequest(hello, cipherSuite, message.raw);
    else this.#onServerHelloProper(hello, cipherSuite, message.raw);
  }

  /**
   * Extensions the client did not offer are unsupported_extension (RFC 8446 §4.2); offered ones
   * that have no place in this message are illegal_parameter.
   */
  #checkExtensions(
    what: string,
    extensions: readonly TlsExtension[],
    allowed: ReadonlySet<number> | undefined,
    unsolicited?: number,
  ): void {
    for (const { type } of extensions) {
      if (!this.#offeredExtensionTypes.has(type) && type !== unsolicited)
        throw alert(
          TlsAlert.unsupported_extension,
          `the ${what} has extension ${type}, which was not offered`,
        );
      if (allowed !== undefined && !allowed.has(type))
        throw alert(TlsAlert.illegal_parameter, `extension ${type} has no place in the ${what}`);
    }
  }

  #onHelloRetryRequest(hello: ServerHello, cipherSuite: CipherSuite, raw: Uint8Array): void {
    this.#retried = true;
    this.#retryCipherSuite = cipherSuite;

    let keyShare: EphemeralKeyShare | undefined;
    const selectedGroup = findExtension(hello.extensions, ExtensionType.key_share);
    if (selectedGroup !== undefined) {
      const code = decodeKeyShareHelloRetryRequest(selectedGroup);
      const group = keyExchangeGroupByCode(code);
      if (group === undefined || !this.#groups.includes(group))
        throw alert(
          TlsAlert.illegal_parameter,
          `the HelloRetryRequest selects group ${hex16(code)}, not offered`,
        );
      if (group === this.#keyShare.group)
        throw alert(
          TlsAlert.illegal_parameter,
          `the HelloRetryRequest asks again for the ${group} share already sent`,
        );
      keyShare = this.#newKeyShare(group);
    }
    const cookieData = findExtension(hello.extensions, ExtensionType.cookie);
    const cookie = cookieData === undefined ? undefined : decodeCookie(cookieData);
    if (keyShare === undefined && cookie === undefined)
      throw alert(TlsAlert.illegal_parameter, "the HelloRetryRequest would not change the ClientHello");

    // RFC 8446 §4.4.1: ClientHello1 enters the transcript only as message_hash(Hash(ClientHello1)).
    const transcript = new TranscriptHash(cipherSuite.hash)
      .update(this.#clientHelloMessage)
      .replaceWithMessageHash()
      .update(raw);

    // ClientHello2 is ClientHello1 with the new key share and the cookie (RFC 8446 §4.1.2);
    // everything else, the random included, stays the same.
    if (keyShare !== undefined) this.#keyShare = keyShare;
    const extensions = [...this.#clientHello.extensions];
    if (keyShare !== undefined) replaceOrInsert(extensions, this.#keyShareExtension());
    if (cookie !== undefined) replaceOrInsert(extensions, encodeCookieExtension(cookie));
    this.#clientHello = { ...this.#clientHello, extensions };
    this.#clientHelloMessage = encodeClientHello(this.#clientHello);
    for (const { type } of extensions) this.#offeredExtensionTypes.add(type);
    transcript.update(this.#clientHelloMessage);
    this.#transcript = transcript;
    this.#queue("initial", this.#clientHelloMessage);
  }

  #onServerHelloProper(hello: ServerHello, cipherSuite: CipherSuite, raw: Uint8Array): void {
    if (this.#retryCipherSuite !== undefined && cipherSuite.id !== this.#retryCipherSuite.id)
      throw alert(
        TlsAlert.illegal_parameter,
        "the ServerHello changes the cipher suite of the HelloRetryRequest",
      );
    const keyShareData = findExtension(hello.extensions, ExtensionType.key_share);
    if (keyShareData === undefined)
      throw alert(TlsAlert.missing_extension, "the ServerHello has no key_share (only (EC)DHE is offered)");
    const serverShare = decodeKeyShareServerHello(keyShareData);
    if (serverShare.group !== this.#keyShare.namedGroup)
      throw alert(
        TlsAlert.illegal_parameter,
        `the ServerHello's key share is for group ${hex16(serverShare.group)}, the client's for ${this.#keyShare.group}`,
      );
    const sharedSecret = this.#keyShare.sharedSecret(serverShare.keyExchange);

    this.#cipherSuite = cipherSuite;
    const transcript =
      this.#transcript ?? new TranscriptHash(cipherSuite.hash).update(this.#clientHelloMessage);
    transcript.update(raw);
    this.#transcript = transcript;
    this.#keySchedule = new KeySchedule(cipherSuite.hash);
    this.#handshakeSecrets = this.#keySchedule.handshakeTrafficSecrets(sharedSecret, transcript.digest());
    this.#secrets.push({ level: "handshake", cipherSuite, ...this.#handshakeSecrets });
    this.#state = "wait_encrypted_extensions";
  }

  #onEncryptedExtensions(message: HandshakeMessage): void {
    const { extensions } = decodeEncryptedExtensions(message.body);
    for (const { type } of extensions) {
      if (!this.#offeredExtensionTypes.has(type))
        throw alert(
          TlsAlert.unsupported_extension,
          `EncryptedExtensions has extension ${type}, which was not offered`,
        );
      if (NOT_IN_ENCRYPTED_EXTENSIONS.has(type))
        throw alert(TlsAlert.illegal_parameter, `extension ${type} has no place in EncryptedExtensions`);
    }

    const alpn = findExtension(extensions, ExtensionType.application_layer_protocol_negotiation);
    if (alpn !== undefined) {
      const selected = decodeAlpnSelected(alpn);
      if (!this.#options.alpnProtocols.includes(selected))
        throw alert(
          TlsAlert.no_application_protocol,
          `the server selected ALPN "${selected}", which was not offered`,
        );
      this.#alpnProtocol = selected;
    } else if (this.#options.alpnProtocols.length > 0) {
      throw alert(TlsAlert.no_application_protocol, "the server selected no ALPN protocol");
    }

    if (this.#quic) {
      const parameters = findExtension(extensions, ExtensionType.quic_transport_parameters);
      // RFC 9001 §8.2: missing_extension (0x016d) when the server sends none.
      if (parameters === undefined)
        throw alert(TlsAlert.missing_extension, "EncryptedExtensions has no quic_transport_parameters");
      this.#peerTransportParameters = parameters;
    }

    this.#transcript!.update(message.raw);
    this.#state = "wait_certificate_or_request";
  }

  #onCertificateRequest(message: HandshakeMessage): void {
    const request = decodeCertificateRequest(message.body);
    // RFC 8446 §4.3.2: empty during the handshake; only post-handshake requests fill it.
    if (request.requestContext.length !== 0)
      throw alert(
        TlsAlert.illegal_parameter,
        "the CertificateRequest has a request context during the handshake",
      );
    if (findExtension(request.extensions, ExtensionType.signature_algorithms) === undefined)
      throw alert(TlsAlert.missing_extension, "the CertificateRequest has no signature_algorithms");
    this.#certificateRequestContext = request.requestContext;
    this.#transcript!.update(message.raw);
    this.#state = "wait_certificate";
  }

  #onCertificate(message: HandshakeMessage): void {
    const certificate = decodeCertificate(message.body);
    if (certificate.requestContext.length !== 0)
      throw alert(TlsAlert.illegal_parameter, "the server's Certificate has a request context");
    // RFC 8446 §4.4.2.4: an empty server Certificate is decode_error.
    if (certificate.entries.length === 0)
      throw alert(TlsAlert.decode_error, "the server sent no certificate");
    for (const entry of certificate.entries)
      this.#checkExtensions("CertificateEntry", entry.extensions, CERTIFICATE_ENTRY_EXTENSIONS);

    const chain = certificate.entries.map((entry) => entry.data);
    this.#peerCertificate = callerCheck(
      TlsAlert.bad_certificate,
      "the server's certificate chain was refused",
      () => this.#options.verifyCertificate(chain, this.#options.serverName),
    );
    this.#transcript!.update(message.raw);
    this.#state = "wait_certificate_verify";
  }

  #onCertificateVerify(message: HandshakeMessage): void {
    const { scheme, signature } = decodeCertificateVerify(message.body);
    // RFC 8446 §4.4.3: the server must use a scheme from the client's signature_algorithms.
    if (!this.#offeredSignatureSchemes.includes(scheme))
      throw alert(TlsAlert.illegal_parameter, `CertificateVerify uses scheme ${hex16(scheme)}, not offered`);
    const content = certificateVerifyContent("server", this.#transcript!.digest());
    const leaf = this.#peerCertificate!;
    const options = this.#options;
    callerCheck(TlsAlert.decrypt_error, "the CertificateVerify signature was refused", () => {
      if (options.verifySignature !== undefined) options.verifySignature(leaf, scheme, signature, content);
      else verifyCertificateVerifySignature(leaf, scheme, signature, content);
    });
    this.#transcript!.update(message.raw);
    this.#state = "wait_finished";
  }

  #onFinished(message: HandshakeMessage): void {
    const cipherSuite = this.#cipherSuite!;
    const hash = cipherSuite.hash;
    const transcript = this.#transcript!;
    const schedule = this.#keySchedule!;
    const handshakeSecrets = this.#handshakeSecrets!;

    const verifyData = decodeFinished(message.body, hashLength(hash));
    const expected = finishedVerifyData(hash, handshakeSecrets.server, transcript.digest());
    if (!timingSafeEqual(verifyData, expected))
      throw alert(TlsAlert.decrypt_error, "the server's Finished does not match the transcript");
    transcript.update(message.raw);

    const serverFinishedHash = transcript.digest();
    const applicationSecrets = schedule.applicationTrafficSecrets(serverFinishedHash);

    if (this.#certificateRequestContext !== undefined) {
      // No client certificate is configured: an empty Certificate declines, and no
      // CertificateVerify follows it (RFC 8446 §4.4.2, §4.4.3).
      const emptyCertificate = encodeCertificate({
        requestContext: this.#certificateRequestContext,
        entries: [],
      });
      transcript.update(emptyCertificate);
      this.#queue("handshake", emptyCertificate);
    }
    const clientFinished = encodeFinished(
      finishedVerifyData(hash, handshakeSecrets.client, transcript.digest()),
    );
    transcript.update(clientFinished);
    this.#queue("handshake", clientFinished);
    this.#resumptionMasterSecret = schedule.resumptionMasterSecret(transcript.digest());

    this.#secrets.push({ level: "application", cipherSuite, ...applicationSecrets });
    this.#state = "connected";
  }

  #onNewSessionTicket(message: HandshakeMessage): void {
    const ticket = decodeNewSessionTicket(message.body);
    let maxEarlyDataSize: number | undefined;
    const earlyData = findExtension(ticket.extensions, ExtensionType.early_data);
    if (earlyData !== undefined) {
      maxEarlyDataSize = decodeEarlyDataIndication(earlyData);
      if (this.#quic && maxEarlyDataSize !== QUIC_MAX_EARLY_DATA_SIZE)
        throw new QuicError(
          TransportErrorCode.PROTOCOL_VIOLATION,
          `a QUIC session ticket allows ${maxEarlyDataSize} bytes of early data, not 0xffffffff (RFC 9001 §4.6.1)`,
        );
    }
    // A lifetime of zero means "discard immediately" (RFC 8446 §4.6.1).
    if (ticket.lifetime === 0) return;
    const cipherSuite = this.#cipherSuite!;
    this.#tickets.push({
      ticket: ticket.ticket,
      lifetime: ticket.lifetime,
      ageAdd: ticket.ageAdd,
      nonce: ticket.nonce,
      maxEarlyDataSize,
      resumptionSecret: hkdfExpandLabel(
        cipherSuite.hash,
        this.#resumptionMasterSecret!,
        "resumption",
        ticket.nonce,
        hashLength(cipherSuite.hash),
      ),
      cipherSuite,
      serverName: this.#options.serverName,
      alpnProtocol: this.#alpnProtocol,
      transportParameters: this.#peerTransportParameters,
    });
  }
}

/** Replaces the extension of the same type in place, or adds it before pre_shared_key, which must stay last. */
function replaceOrInsert(extensions: TlsExtension[], extension: TlsExtension): void {
  const at = extensions.findIndex((e) => e.type === extension.type);
  if (at >= 0) {
    extensions[at] = extension;
    return;
  }
  const psk = extensions.findIndex((e) => e.type === ExtensionType.pre_shared_key);
  extensions.splice(psk >= 0 ? psk : extensions.length, 0, extension);
}
