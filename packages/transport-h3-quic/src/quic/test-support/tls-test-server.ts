/**
 * A minimal TLS 1.3 server for driving `TlsClientHandshake` in tests: it answers a ClientHello
 * with a HelloRetryRequest or a whole first flight, signed with a real key, and computes what
 * the client's Finished must be.
 *
 * Its transcript is kept as the list of message bytes and hashed from scratch with
 * `createHash`, and the CertificateVerify content and the HelloRetryRequest `message_hash` are
 * built here by hand, so agreement with the client checks the client's transcript rather than
 * repeating its code. The key schedule itself is shared: it is pinned to RFC 8448 on its own.
 *
 * @packageDocumentation
 */

import { Buffer } from "node:buffer";
import { constants, createHash, type KeyObject, sign } from "node:crypto";
import { concatBytes as joinBytes } from "../buffer.js";
import { type CipherSuite, cipherSuiteById } from "../crypto/cipher-suite.js";
import { hashLength, hkdfExpandLabel } from "../crypto/hkdf.js";
import {
  decodeClientHello,
  decodeKeyShareClientHello,
  ExtensionType,
  encodeAlpnExtension,
  encodeCertificate,
  encodeCertificateRequest,
  encodeCertificateVerify,
  encodeEncryptedExtensions,
  encodeFinished,
  encodeKeyShareServerHelloExtension,
  encodeQuicTransportParametersExtension,
  encodeServerHello,
  encodeSignatureAlgorithmsExtension,
  encodeSupportedVersionsServerHelloExtension,
  findExtension,
  HandshakeType,
  type ServerHello,
  SignatureScheme,
  TLS13_VERSION,
  type TlsExtension,
} from "../tls/handshake-messages.js";
import { finishedVerifyData, KeySchedule, type TrafficSecrets } from "../tls/key-schedule.js";
import { generateKeyShare, keyExchangeGroupByCode } from "../tls/key-share.js";

/** What the test server selects and sends. */
export interface TestTlsServerOptions {
  /** The DER chain to send, end-entity first. */
  readonly certificateChain: readonly Uint8Array[];
  /** The end-entity certificate's private key. */
  readonly privateKey: KeyObject;
  /** The CertificateVerify scheme; must fit the key. */
  readonly signatureScheme: number;
  /** The suite to select; the client's first implemented one by default. */
  readonly cipherSuite?: number | undefined;
  /** The ALPN protocol to select; none when undefined. */
  readonly alpnProtocol?: string | undefined;
  /** Transport parameters to send in EncryptedExtensions; none when undefined. */
  readonly transportParameters?: Uint8Array | undefined;
  /** Sends a CertificateRequest before the Certificate. */
  readonly requestClientCertificate?: boolean | undefined;
  /** Rewrites the EncryptedExtensions list before it is sent (and hashed). */
  readonly encryptedExtensions?: ((extensions: TlsExtension[]) => TlsExtension[]) | undefined;
}

/** The server's first flight, message by message, and the secrets both sides should hold. */
export interface TestServerFlight {
  readonly serverHello: Uint8Array;
  readonly encryptedExtensions: Uint8Array;
  readonly certificateRequest: Uint8Array | undefined;
  readonly certificate: Uint8Array;
  readonly certificateVerify: Uint8Array;
  readonly finished: Uint8Array;
  /** Every handshake-level message concatenated, as one CRYPTO stream. */
  readonly handshakeBytes: Uint8Array;
  readonly cipherSuite: CipherSuite;
  readonly handshakeSecrets: TrafficSecrets;
  readonly applicationSecrets: TrafficSecrets;
}

const MESSAGE_HASH = 254;

/** The bytes of `parts` one after another, for tests that build flights by hand. */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  return joinBytes(parts);
}

/** Signs a CertificateVerify content with the scheme's parameters (RFC 8446 §4.2.3). */
export function signWithScheme(privateKey: KeyObject, scheme: number, content: Uint8Array): Uint8Array {
  const pss = (digest: "sha256" | "sha384" | "sha512", saltLength: number): Uint8Array =>
    sign(digest, content, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength });
  switch (scheme) {
    case SignatureScheme.ecdsa_secp256r1_sha256:
      return sign("sha256", content, { key: privateKey, dsaEncoding: "der" });
    case SignatureScheme.ecdsa_secp384r1_sha384:
      return sign("sha384", content, { key: privateKey, dsaEncoding: "der" });
    case SignatureScheme.rsa_pss_rsae_sha256:
    case SignatureScheme.rsa_pss_pss_sha256:
      return pss("sha256", 32);
    case SignatureScheme.rsa_pss_rsae_sha384:
    case SignatureScheme.rsa_pss_pss_sha384:
      return pss("sha384", 48);
    case SignatureScheme.rsa_pss_rsae_sha512:
    case SignatureScheme.rsa_pss_pss_sha512:
      return pss("sha512", 64);
    case SignatureScheme.ed25519:
      return sign(null, content, privateKey);
    case SignatureScheme.rsa_pkcs1_sha256:
      return sign("sha256", content, privateKey);
    default:
      throw new Error(`the test server cannot sign with scheme ${scheme}`);
  }
}

/** A TLS 1.3 server for one connection. */
export class TestTlsServer {
  readonly options: TestTlsServerOptions;
  readonly #transcript: Uint8Array[] = [];
  #cipherSuite: CipherSuite | undefined;
  #keySchedule: KeySchedule | undefined;
  #handshakeSecrets: TrafficSecrets | undefined;
  #resumptionMasterSecret: Uint8Array | undefined;

  constructor(options: TestTlsServerOptions) {
    this.options = options;
  }

  /** The transcript hash so far, computed from scratch over the message list. */
  transcriptHash(): Uint8Array {
    const hash = createHash(this.#suite().hash);
    for (const message of this.#transcript) hash.update(message);
    return new Uint8Array(hash.digest());
  }

  /**
   * A HelloRetryRequest for `clientHello1`. The transcript then starts with
   * message_hash || 00 00 Hash.length || Hash(ClientHello1), written out here by hand.
   */
  helloRetryRequest(
    clientHello1: Uint8Array,
    request: { readonly group?: number | undefined; readonly cookie?: Uint8Array | undefined },
    cipherSuite?: number,
  ): Uint8Array {
    const hello = decodeClientHello(clientHello1.subarray(4));
    this.#cipherSuite = this.#selectSuite(hello.cipherSuites, cipherSuite);
    const extensions: TlsExtension[] = [encodeSupportedVersionsServerHelloExtension(TLS13_VERSION)];
    if (request.group !== undefined)
      extensions.push({
        type: ExtensionType.key_share,
        data: Uint8Array.of(request.group >> 8, request.group),
      });
    if (request.cookie !== undefined) {
      const data = concatBytes(
        Uint8Array.of(request.cookie.length >> 8, request.cookie.length),
        request.cookie,
      );
      extensions.push({ type: ExtensionType.cookie, data });
    }
    const retry = encodeServerHello({
      random: HELLO_RETRY_RANDOM,
      legacySessionIdEcho: hello.legacySessionId,
      cipherSuite: this.#cipherSuite.id,
      extensions,
    });
    const inner = new Uint8Array(createHash(this.#cipherSuite.hash).update(clientHello1).digest());
    this.#transcript.push(concatBytes(Uint8Array.of(MESSAGE_HASH, 0, 0, inner.length), inner), retry);
    return retry;
  }

  /** The ServerHello and the whole handshake-level flight for a ClientHello. */
  serverFlight(clientHelloMessage: Uint8Array): TestServerFlight {
    const options = this.options;
    const hello = decodeClientHello(clientHelloMessage.subarray(4));
    const cipherSuite = this.#cipherSuite ?? this.#selectSuite(hello.cipherSuites, options.cipherSuite);
    this.#cipherSuite = cipherSuite;
    const shares = decodeKeyShareClientHello(findExtension(hello.extensions, ExtensionType.key_share)!);
    const clientShare = shares.find((share) => keyExchangeGroupByCode(share.group) !== undefined);
    if (clientShare === undefined) throw new Error("the ClientHello has no share the test server can use");
    const serverShare = generateKeyShare(keyExchangeGroupByCode(clientShare.group)!);

    const serverHello: ServerHello = {
      random: new Uint8Array(32).fill(0x5e),
      legacySessionIdEcho: hello.legacySessionId,
      cipherSuite: cipherSuite.id,
      extensions: [
        encodeSupportedVersionsServerHelloExtension(TLS13_VERSION),
        encodeKeyShareServerHelloExtension({
          group: serverShare.namedGroup,
          keyExchange: serverShare.publicKey,
        }),
      ],
    };
    const serverHelloMessage = encodeServerHello(serverHello);
    this.#transcript.push(clientHelloMessage, serverHelloMessage);

    const schedule = new KeySchedule(cipherSuite.hash);
    this.#keySchedule = schedule;
    const handshakeSecrets = schedule.handshakeTrafficSecrets(
      serverShare.sharedSecret(clientShare.keyExchange),
      this.transcriptHash(),
    );
    this.#handshakeSecrets = handshakeSecrets;

    let extensions: TlsExtension[] = [];
    if (options.alpnProtocol !== undefined) extensions.push(encodeAlpnExtension([options.alpnProtocol]));
    if (options.transportParameters !== undefined)
      extensions.push(encodeQuicTransportParametersExtension(options.transportParameters));
    if (options.encryptedExtensions !== undefined) extensions = options.encryptedExtensions(extensions);
    const encryptedExtensions = encodeEncryptedExtensions({ extensions });
    this.#transcript.push(encryptedExtensions);

    let certificateRequest: Uint8Array | undefined;
    if (options.requestClientCertificate === true) {
      certificateRequest = encodeCertificateRequest({
        requestContext: new Uint8Array(0),
        extensions: [encodeSignatureAlgorithmsExtension([SignatureScheme.ecdsa_secp256r1_sha256])],
      });
      this.#transcript.push(certificateRequest);
    }

    const certificate = encodeCertificate({
      requestContext: new Uint8Array(0),
      entries: options.certificateChain.map((data) => ({ data, extensions: [] })),
    });
    this.#transcript.push(certificate);

    const content = concatBytes(
      new Uint8Array(64).fill(0x20),
      new TextEncoder().encode("TLS 1.3, server CertificateVerify"),
      Uint8Array.of(0),
      this.transcriptHash(),
    );
    const certificateVerify = encodeCertificateVerify({
      scheme: options.signatureScheme,
      signature: signWithScheme(options.privateKey, options.signatureScheme, content),
    });
    this.#transcript.push(certificateVerify);

    const finished = encodeFinished(
      finishedVerifyData(cipherSuite.hash, handshakeSecrets.server, this.transcriptHash()),
    );
    this.#transcript.push(finished);
    const applicationSecrets = schedule.applicationTrafficSecrets(this.transcriptHash());

    return {
      serverHello: serverHelloMessage,
      encryptedExtensions,
      certificateRequest,
      certificate,
      certificateVerify,
      finished,
      handshakeBytes: concatBytes(
        encryptedExtensions,
        ...(certificateRequest === undefined ? [] : [certificateRequest]),
        certificate,
        certificateVerify,
        finished,
      ),
      cipherSuite,
      handshakeSecrets,
      applicationSecrets,
    };
  }

  /**
   * Takes the client's second flight (its handshake-level bytes after the server Finished) and
   * checks its Finished against this transcript; throws if it does not verify.
   */
  receiveClientFlight(messages: readonly Uint8Array[]): void {
    const suite = this.#suite();
    for (const message of messages) {
      if (message[0] === HandshakeType.finished) {
        const expected = encodeFinished(
          finishedVerifyData(suite.hash, this.#handshakeSecrets!.client, this.transcriptHash()),
        );
        if (Buffer.compare(message, expected) !== 0) throw new Error("the client's Finished does not verify");
      }
      this.#transcript.push(message);
    }
    this.#resumptionMasterSecret = this.#keySchedule!.resumptionMasterSecret(this.transcriptHash());
  }

  /** The PSK a ticket with this nonce stands for. */
  ticketPsk(nonce: Uint8Array): Uint8Array {
    const suite = this.#suite();
    return hkdfExpandLabel(
      suite.hash,
      this.#resumptionMasterSecret!,
      "resumption",
      nonce,
      hashLength(suite.hash),
    );
  }

  #selectSuite(offered: readonly number[], preferred: number | undefined): CipherSuite {
    const id = preferred ?? offered.find((suite) => cipherSuiteById(suite) !== undefined);
    const suite = id === undefined ? undefined : cipherSuiteById(id);
    if (suite === undefined) throw new Error("no cipher suite the test server implements");
    return suite;
  }

  #suite(): CipherSuite {
    if (this.#cipherSuite === undefined) throw new Error("no ClientHello yet");
    return this.#cipherSuite;
  }
}

const HELLO_RETRY_RANDOM = new Uint8Array(createHash("sha256").update("HelloRetryRequest").digest());
