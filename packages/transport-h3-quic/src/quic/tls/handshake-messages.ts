/**
 * TLS 1.3 handshake messages (RFC 8446 §4) as they travel in QUIC CRYPTO frames: each one is
 * `msg_type(1) || length(3) || body`, with no record layer around it (RFC 9001 §4).
 *
 * Decoders take the body and return plain objects whose byte fields are views into it; every
 * malformed input throws `TlsAlertError` — decode_error for bytes that do not parse,
 * illegal_parameter for well-formed values TLS 1.3 forbids — and nothing else. Encoders throw
 * `RangeError` for values that cannot be encoded: that is a bug on this side, not the peer's.
 *
 * Extensions stay an ordered list of `{ type, data }` rather than a parsed record, so a
 * ClientHello can be rebuilt byte for byte and the handshake can tell "not sent" from "sent
 * empty"; the `encode…Extension` / `decode…` pairs below build and read the `data` of the
 * extensions a QUIC client uses.
 *
 * @packageDocumentation
 */

import { Buffer } from "node:buffer";
import { BufferReader, BufferWriter } from "../buffer.js";
import { QuicError } from "../errors.js";
import { TlsAlert, TlsAlertError } from "./alert.js";

/**
 * The handshake message types (RFC 8446 §4, §B.3).
 *
 * @alpha
 */
export const HandshakeType = {
  client_hello: 1,
  server_hello: 2,
  new_session_ticket: 4,
  end_of_early_data: 5,
  encrypted_extensions: 8,
  certificate: 11,
  certificate_request: 13,
  certificate_verify: 15,
  finished: 20,
  key_update: 24,
  message_hash: 254,
} as const;

/**
 * The extension types (RFC 8446 §4.2 and the RFCs that define the others a QUIC client meets).
 *
 * @alpha
 */
export const ExtensionType = {
  server_name: 0,
  max_fragment_length: 1,
  status_request: 5,
  supported_groups: 10,
  signature_algorithms: 13,
  use_srtp: 14,
  heartbeat: 15,
  application_layer_protocol_negotiation: 16,
  signed_certificate_timestamp: 18,
  client_certificate_type: 19,
  server_certificate_type: 20,
  padding: 21,
  record_size_limit: 28,
  session_ticket: 35,
  pre_shared_key: 41,
  early_data: 42,
  supported_versions: 43,
  cookie: 44,
  psk_key_exchange_modes: 45,
  certificate_authorities: 47,
  oid_filters: 48,
  post_handshake_auth: 49,
  signature_algorithms_cert: 50,
  key_share: 51,
  quic_transport_parameters: 57,
  renegotiation_info: 0xff01,
} as const;

/**
 * The named groups of RFC 8446 §4.2.7; this client implements x25519 and secp256r1.
 *
 * @alpha
 */
export const NamedGroup = {
  secp256r1: 0x0017,
  secp384r1: 0x0018,
  secp521r1: 0x0019,
  x25519: 0x001d,
  x448: 0x001e,
  ffdhe2048: 0x0100,
  ffdhe3072: 0x0101,
  ffdhe4096: 0x0102,
  ffdhe6144: 0x0103,
  ffdhe8192: 0x0104,
} as const;

/**
 * The signature schemes of RFC 8446 §4.2.3.
 *
 * @alpha
 */
export const SignatureScheme = {
  rsa_pkcs1_sha256: 0x0401,
  rsa_pkcs1_sha384: 0x0501,
  rsa_pkcs1_sha512: 0x0601,
  ecdsa_secp256r1_sha256: 0x0403,
  ecdsa_secp384r1_sha384: 0x0503,
  ecdsa_secp521r1_sha512: 0x0603,
  rsa_pss_rsae_sha256: 0x0804,
  rsa_pss_rsae_sha384: 0x0805,
  rsa_pss_rsae_sha512: 0x0806,
  ed25519: 0x0807,
  ed448: 0x0808,
  rsa_pss_pss_sha256: 0x0809,
  rsa_pss_pss_sha384: 0x080a,
  rsa_pss_pss_sha512: 0x080b,
  rsa_pkcs1_sha1: 0x0201,
  ecdsa_sha1: 0x0203,
} as const;

/**
 * The PSK key exchange modes of RFC 8446 §4.2.9.
 *
 * @alpha
 */
export const PskKeyExchangeMode = {
  psk_ke: 0,
  psk_dhe_ke: 1,
} as const;

/**
 * The version number of TLS 1.3, carried only in supported_versions (RFC 8446 §4.2.1).
 *
 * @alpha
 */
export const TLS13_VERSION = 0x0304;

/**
 * The legacy_version every TLS 1.3 hello carries: TLS 1.2, for middleboxes (RFC 8446 §4.1.2).
 *
 * @alpha
 */
export const TLS_LEGACY_VERSION = 0x0303;

/**
 * The ServerHello.random that marks a HelloRetryRequest: SHA-256("HelloRetryRequest") (RFC 8446 §4.1.3).
 *
 * @alpha
 */
export const HELLO_RETRY_REQUEST_RANDOM: Uint8Array = new Uint8Array(
  Buffer.from("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c", "hex"),
);

/**
 * One extension as it appears on the wire: its type and its opaque `extension_data`.
 *
 * @alpha
 */
export interface TlsExtension {
  /** The extension type (`ExtensionType`). */
  readonly type: number;
  /** The extension_data bytes. */
  readonly data: Uint8Array;
}

/**
 * One complete handshake message split from the byte stream of an encryption level.
 *
 * @alpha
 */
export interface HandshakeMessage {
  /** The msg_type (`HandshakeType`). */
  readonly type: number;
  /** The body, without the 4-byte header. */
  readonly body: Uint8Array;
  /** The whole message with its header: what enters the transcript hash. */
  readonly raw: Uint8Array;
}

// ---------------------------------------------------------------------------------------------
// Vector helpers. TLS's `opaque x<min..max>` has a 1-, 2- or 3-byte length prefix; a length
// outside the declared range is a decode_error (RFC 8446 §3.4, §6.2).

const MAX_SESSION_ID_LENGTH = 32;

function decodeError(message: string): TlsAlertError {
  return new TlsAlertError(TlsAlert.decode_error, message);
}

function illegalParameter(message: string): TlsAlertError {
  return new TlsAlertError(TlsAlert.illegal_parameter, message);
}

/**
 * Runs a decoder over the whole of `bytes`. A short read inside becomes decode_error, and so do
 * bytes left over at the end: a structure that does not fill its container exactly is malformed.
 */
function decodeExactly<T>(what: string, bytes: Uint8Array, read: (reader: BufferReader) => T): T {
  const reader = new BufferReader(bytes);
  let value: T;
  try {
    value = read(reader);
  } catch (error) {
    if (error instanceof TlsAlertError || !(error instanceof QuicError)) throw error;
    throw new TlsAlertError(TlsAlert.decode_error, `${what} is truncated`, { cause: error });
  }
  if (reader.remaining !== 0) throw decodeError(`${what} has ${reader.remaining} bytes left over`);
  return value;
}

function readLength(reader: BufferReader, prefixBytes: 1 | 2 | 3): number {
  if (prefixBytes === 1) return reader.readUint8();
  return prefixBytes === 2 ? reader.readUint16() : reader.readUint24();
}

function readVector(
  reader: BufferReader,
  prefixBytes: 1 | 2 | 3,
  min: number,
  max: number,
  what: string,
): Uint8Array {
  const length = readLength(reader, prefixBytes);
  if (length < min || length > max) throw decodeError(`${what} is ${length} bytes, outside ${min}..${max}`);
  return reader.readBytes(length, what);
}

function readUint16List(reader: BufferReader, prefixBytes: 1 | 2, min: number, what: string): number[] {
  const bytes = readVector(reader, prefixBytes, min, prefixBytes === 1 ? 0xfe : 0xfffe, what);
  if (bytes.length % 2 !== 0) throw decodeError(`${what} has an odd length`);
  const list: number[] = [];
  for (let i = 0; i < bytes.length; i += 2) list.push((bytes[i]! << 8) | bytes[i + 1]!);
  return list;
}

function writeLength(writer: BufferWriter, prefixBytes: 1 | 2 | 3, length: number): void {
  if (prefixBytes === 1) writer.writeUint8(length);
  else if (prefixBytes === 2) writer.writeUint16(length);
  else writer.writeUint24(length);
}

function writeVector(
  writer: BufferWriter,
  prefixBytes: 1 | 2 | 3,
  bytes: Uint8Array,
  min: number,
  max: number,
  what: string,
): void {
  if (bytes.length < min || bytes.length > max)
    throw new RangeError(`${what} is ${bytes.length} bytes, outside ${min}..${max}`);
  writeLength(writer, prefixBytes, bytes.length);
  writer.writeBytes(bytes);
}

function checkUint16(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff)
    throw new RangeError(`${what} ${value} is not a uint16`);
}

function uint16ListBytes(values: readonly number[], what: string): Uint8Array {
  const writer = new BufferWriter(values.length * 2);
  for (const value of values) {
    checkUint16(value, what);
    writer.writeUint16(value);
  }
  return writer.toBytes();
}

function readExtensions(reader: BufferReader, what: string): TlsExtension[] {
  const block = readVector(reader, 2, 0, 0xffff, `${what} extensions`);
  const inner = new BufferReader(block);
  const extensions: TlsExtension[] = [];
  const seen = new Set<number>();
  while (inner.remaining > 0) {
    const type = inner.readUint16();
    const data = readVector(inner, 2, 0, 0xffff, `extension ${type}`);
    // RFC 8446 §4.2: "There MUST NOT be more than one extension of the same type in a given
    // extension block." Taking the first or the last would let the two ends disagree.
    if (seen.has(type)) throw illegalParameter(`${what} repeats extension ${type}`);
    seen.add(type);
    extensions.push({ type, data });
  }
  return extensions;
}

function writeExtensions(writer: BufferWriter, extensions: readonly TlsExtension[]): void {
  const block = new BufferWriter();
  for (const { type, data } of extensions) {
    checkUint16(type, "extension type");
    block.writeUint16(type);
    writeVector(block, 2, data, 0, 0xffff, `extension ${type}`);
  }
  writeVector(writer, 2, block.view(), 0, 0xffff, "extensions");
}

/**
 * The data of the first extension of a type, or `undefined` when the list has none.
 *
 * @alpha
 */
export function findExtension(extensions: readonly TlsExtension[], type: number): Uint8Array | undefined {
  return extensions.find((extension) => extension.type === type)?.data;
}

/**
 * A handshake message with its 4-byte header: msg_type and a 24-bit body length.
 *
 * @alpha
 */
export function encodeHandshakeMessage(type: number, body: Uint8Array): Uint8Array {
  if (!Number.isInteger(type) || type < 0 || type > 0xff) throw new RangeError(`bad handshake type ${type}`);
  if (body.length > 0xffffff) throw new RangeError(`handshake body of ${body.length} bytes`);
  return new BufferWriter(body.length + 4)
    .writeUint8(type)
    .writeUint24(body.length)
    .writeBytes(body)
    .toBytes();
}

// ---------------------------------------------------------------------------------------------
// Splitting the stream of one encryption level into messages.

/**
 * The largest handshake message body `HandshakeReader` accepts by default: a certificate chain
 * is the largest message a client receives, and real chains stay well under 64 KiB.
 *
 * @alpha
 */
export const DEFAULT_MAX_HANDSHAKE_MESSAGE_LENGTH = 65_536;

/**
 * Reassembles the handshake messages of one encryption level from bytes that arrive in
 * arbitrary chunks (RFC 9001 §4.1.3): messages may span CRYPTO frames and frames may hold
 * several messages.
 *
 * @alpha
 */
export class HandshakeReader {
  /** The largest body accepted; a longer declared length fails before its bytes arrive. */
  readonly maxMessageLength: number;
  // Chunks in arrival order from #head on; consumed chunks before #head are dropped in
  // batches, so a message fed one byte at a time costs linear, not quadratic, work.
  #chunks: Uint8Array[] = [];
  #head = 0;
  #bufferedLength = 0;

  constructor(maxMessageLength: number = DEFAULT_MAX_HANDSHAKE_MESSAGE_LENGTH) {
    if (!Number.isInteger(maxMessageLength) || maxMessageLength < 0 || maxMessageLength > 0xffffff)
      throw new RangeError(`bad handshake message limit ${maxMessageLength}`);
    this.maxMessageLength = maxMessageLength;
  }

  /** Bytes received and not yet returned as a message. */
  get bufferedLength(): number {
    return this.#bufferedLength;
  }

  /** Adds bytes in stream order. They are copied, so the caller may reuse its buffer. */
  push(data: Uint8Array): void {
    if (data.length === 0) return;
    this.#chunks.push(data.slice());
    this.#bufferedLength += data.length;
  }

  /** The next complete message, or `undefined` until all of its bytes have arrived. */
  next(): HandshakeMessage | undefined {
    if (this.#bufferedLength < 4) return undefined;
    const header = this.#peek(4);
    const length = (header[1]! << 16) | (header[2]! << 8) | header[3]!;
    if (length > this.maxMessageLength)
      throw illegalParameter(
        `handshake message type ${header[0]} of ${length} bytes exceeds the ${this.maxMessageLength}-byte limit`,
      );
    if (this.#bufferedLength < 4 + length) return undefined;
    const raw = this.#take(4 + length);
    return { type: raw[0]!, body: raw.subarray(4), raw };
  }

  #peek(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let filled = 0, i = this.#head; filled < n; i++) {
      const chunk = this.#chunks[i]!;
      const take = Math.min(chunk.length, n - filled);
      out.set(chunk.subarray(0, take), filled);
      filled += take;
    }
    return out;
  }

  #take(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let filled = 0; filled < n; ) {
      const chunk = this.#chunks[this.#head]!;
      const take = Math.min(chunk.length, n - filled);
      out.set(chunk.subarray(0, take), filled);
      filled += take;
      if (take === chunk.length) this.#head++;
      else this.#chunks[this.#head] = chunk.subarray(take);
    }
    this.#bufferedLength -= n;
    if (this.#head === this.#chunks.length) {
      this.#chunks = [];
      this.#head = 0;
    } else if (this.#head > 64 && this.#head * 2 > this.#chunks.length) {
      this.#chunks = this.#chunks.slice(this.#head);
      this.#head = 0;
    }
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// ClientHello (RFC 8446 §4.1.2)

/**
 * A ClientHello. legacy_version is always 0x0303 and legacy_compression_methods always [null].
 *
 * @alpha
 */
export interface ClientHello {
  /** 32 random bytes. */
  readonly random: Uint8Array;
  /** 0 to 32 bytes; always empty in QUIC (RFC 9001 §8.4). */
  readonly legacySessionId: Uint8Array;
  /** The offered cipher suites, in preference order. */
  readonly cipherSuites: readonly number[];
  /** The extensions, in wire order. */
  readonly extensions: readonly TlsExtension[];
}

/**
 * The ClientHello message with its handshake header.
 *
 * @alpha
 */
export function encodeClientHello(hello: ClientHello): Uint8Array {
  if (hello.random.length !== 32) throw new RangeError(`ClientHello.random is ${hello.random.length} bytes`);
  const body = new BufferWriter(512);
  body.writeUint16(TLS_LEGACY_VERSION).writeBytes(hello.random);
  writeVector(body, 1, hello.legacySessionId, 0, MAX_SESSION_ID_LENGTH, "legacy_session_id");
  writeVector(body, 2, uint16ListBytes(hello.cipherSuites, "cipher suite"), 2, 0xfffe, "cipher_suites");
  body.writeUint8(1).writeUint8(0);
  writeExtensions(body, hello.extensions);
  return encodeHandshakeMessage(HandshakeType.client_hello, body.view());
}

/**
 * Decodes a ClientHello body.
 *
 * @alpha
 */
export function decodeClientHello(body: Uint8Array): ClientHello {
  return decodeExactly("ClientHello", body, (reader) => {
    const legacyVersion = reader.readUint16();
    if (legacyVersion !== TLS_LEGACY_VERSION)
      throw new TlsAlertError(
        TlsAlert.protocol_version,
        `ClientHello.legacy_version is 0x${legacyVersion.toString(16)}`,
      );
    const random = reader.readBytes(32, "random");
    const legacySessionId = readVector(reader, 1, 0, MAX_SESSION_ID_LENGTH, "legacy_session_id");
    const cipherSuites = readUint16List(reader, 2, 2, "cipher_suites");
    const compression = readVector(reader, 1, 1, 0xff, "legacy_compression_methods");
    if (compression.length !== 1 || compression[0] !== 0)
      throw illegalParameter("a TLS 1.3 ClientHello offers only the null compression method");
    const extensions = readExtensions(reader, "ClientHello");
    return { random, legacySessionId, cipherSuites, extensions };
  });
}

// ---------------------------------------------------------------------------------------------
// ServerHello and HelloRetryRequest (RFC 8446 §4.1.3, §4.1.4)

/**
 * A ServerHello, or a HelloRetryRequest, which is a ServerHello with the special random.
 *
 * @alpha
 */
export interface ServerHello {
  /** 32 bytes; `HELLO_RETRY_REQUEST_RANDOM` for a HelloRetryRequest. */
  readonly random: Uint8Array;
  /** The echo of the client's legacy_session_id. */
  readonly legacySessionIdEcho: Uint8Array;
  /** The selected cipher suite. */
  readonly cipherSuite: number;
  /** The extensions, in wire order. */
  readonly extensions: readonly TlsExtension[];
}

/**
 * Whether a ServerHello is a HelloRetryRequest (its random is the SHA-256 of "HelloRetryRequest").
 *
 * @alpha
 */
export function isHelloRetryRequest(hello: ServerHello): boolean {
  return equalBytes(hello.random, HELLO_RETRY_REQUEST_RANDOM);
}

/**
 * The ServerHello message with its handshake header; pass `HELLO_RETRY_REQUEST_RANDOM` as the
 * random to make a HelloRetryRequest.
 *
 * @alpha
 */
export function encodeServerHello(hello: ServerHello): Uint8Array {
  if (hello.random.length !== 32) throw new RangeError(`ServerHello.random is ${hello.random.length} bytes`);
  checkUint16(hello.cipherSuite, "cipher suite");
  const body = new BufferWriter(256);
  body.writeUint16(TLS_LEGACY_VERSION).writeBytes(hello.random);
  writeVector(body, 1, hello.legacySessionIdEcho, 0, MAX_SESSION_ID_LENGTH, "legacy_session_id_echo");
  body.writeUint16(hello.cipherSuite).writeUint8(0);
  writeExtensions(body, hello.extensions);
  return encodeHandshakeMessage(HandshakeType.server_hello, body.view());
}

/**
 * Decodes a ServerHello (or HelloRetryRequest) body. A legacy_version other than 0x0303 is
 * protocol_version: a TLS 1.3 server always sends 0x0303 there.
 *
 * @alpha
 */
export function decodeServerHello(body: Uint8Array): ServerHello {
  return decodeExactly("ServerHello", body, (reader) => {
    const legacyVersion = reader.readUint16();
    if (legacyVersion !== TLS_LEGACY_VERSION)
      throw new TlsAlertError(
        TlsAlert.protocol_version,
        `ServerHello.legacy_version is 0x${legacyVersion.toString(16)}, not TLS 1.3's 0x0303`,
      );
    const random = reader.readBytes(32, "random");
    const legacySessionIdEcho = readVector(reader, 1, 0, MAX_SESSION_ID_LENGTH, "legacy_session_id_echo");
    const cipherSuite = reader.readUint16();
    if (reader.readUint8() !== 0) throw illegalParameter("ServerHello selects a compression method");
    const extensions = readExtensions(reader, "ServerHello");
    return { random, legacySessionIdEcho, cipherSuite, extensions };
  });
}

// ---------------------------------------------------------------------------------------------
// EncryptedExtensions (§4.3.1), CertificateRequest (§4.3.2)

/**
 * EncryptedExtensions: the server's extensions that are not needed to derive keys.
 *
 * @alpha
 */
export interface EncryptedExtensions {
  /** The extensions, in wire order. */
  readonly extensions: readonly TlsExtension[];
}

/**
 * The EncryptedExtensions message with its handshake header.
 *
 * @alpha
 */
export function encodeEncryptedExtensions(message: EncryptedExtensions): Uint8Array {
  const body = new BufferWriter();
  writeExtensions(body, message.extensions);
  return encodeHandshakeMessage(HandshakeType.encrypted_extensions, body.view());
}

/**
 * Decodes an EncryptedExtensions body.
 *
 * @alpha
 */
export function decodeEncryptedExtensions(body: Uint8Array): EncryptedExtensions {
  return decodeExactly("EncryptedExtensions", body, (reader) => ({
    extensions: readExtensions(reader, "EncryptedExtensions"),
  }));
}

/**
 * CertificateRequest: the server asks the client to authenticate.
 *
 * @alpha
 */
export interface CertificateRequest {
  /** Echoed in the client's Certificate; empty during the handshake. */
  readonly requestContext: Uint8Array;
  /** The extensions; signature_algorithms is mandatory. */
  readonly extensions: readonly TlsExtension[];
}

/**
 * The CertificateRequest message with its handshake header.
 *
 * @alpha
 */
export function encodeCertificateRequest(message: CertificateRequest): Uint8Array {
  const body = new BufferWriter();
  writeVector(body, 1, message.requestContext, 0, 0xff, "certificate_request_context");
  writeExtensions(body, message.extensions);
  return encodeHandshakeMessage(HandshakeType.certificate_request, body.view());
}

/**
 * Decodes a CertificateRequest body.
 *
 * @alpha
 */
export function decodeCertificateRequest(body: Uint8Array): CertificateRequest {
  return decodeExactly("CertificateRequest", body, (reader) => {
    const requestContext = readVector(reader, 1, 0, 0xff, "certificate_request_context");
    const extensions = readExtensions(reader, "CertificateRequest");
    return { requestContext, extensions };
  });
}

// ---------------------------------------------------------------------------------------------
// Certificate (§4.4.2), CertificateVerify (§4.4.3), Finished (§4.4.4)

/**
 * One CertificateEntry: an X.509 certificate (DER) and its per-certificate extensions.
 *
 * @alpha
 */
export interface CertificateEntry {
  /** The DER certificate (cert_data). */
  readonly data: Uint8Array;
  /** OCSP status or SCT extensions for this certificate, if the client asked for them. */
  readonly extensions: readonly TlsExtension[];
}

/**
 * A Certificate message: the chain, leaf first.
 *
 * @alpha
 */
export interface CertificateMessage {
  /** Empty for the server's certificate; echoes the CertificateRequest for a client's. */
  readonly requestContext: Uint8Array;
  /** The chain, end-entity certificate first. */
  readonly entries: readonly CertificateEntry[];
}

/**
 * The Certificate message with its handshake header.
 *
 * @alpha
 */
export function encodeCertificate(message: CertificateMessage): Uint8Array {
  const list = new BufferWriter(1024);
  for (const entry of message.entries) {
    writeVector(list, 3, entry.data, 1, 0xffffff, "cert_data");
    writeExtensions(list, entry.extensions);
  }
  const body = new BufferWriter(list.length + 8);
  writeVector(body, 1, message.requestContext, 0, 0xff, "certificate_request_context");
  writeVector(body, 3, list.view(), 0, 0xffffff, "certificate_list");
  return encodeHandshakeMessage(HandshakeType.certificate, body.view());
}

/**
 * Decodes a Certificate body (X.509 certificates; raw public keys are never negotiated here).
 *
 * @alpha
 */
export function decodeCertificate(body: Uint8Array): CertificateMessage {
  return decodeExactly("Certificate", body, (reader) => {
    const requestContext = readVector(reader, 1, 0, 0xff, "certificate_request_context");
    const list = new BufferReader(readVector(reader, 3, 0, 0xffffff, "certificate_list"));
    const entries: CertificateEntry[] = [];
    while (list.remaining > 0) {
      const data = readVector(list, 3, 1, 0xffffff, "cert_data");
      const extensions = readExtensions(list, "CertificateEntry");
      entries.push({ data, extensions });
    }
    return { requestContext, entries };
  });
}

/**
 * CertificateVerify: a signature over the transcript with the certificate's key.
 *
 * @alpha
 */
export interface CertificateVerify {
  /** The signature scheme (`SignatureScheme`). */
  readonly scheme: number;
  /** The signature bytes. */
  readonly signature: Uint8Array;
}

/**
 * The CertificateVerify message with its handshake header.
 *
 * @alpha
 */
export function encodeCertificateVerify(message: CertificateVerify): Uint8Array {
  checkUint16(message.scheme, "signature scheme");
  const body = new BufferWriter(message.signature.length + 4).writeUint16(message.scheme);
  writeVector(body, 2, message.signature, 0, 0xffff, "signature");
  return encodeHandshakeMessage(HandshakeType.certificate_verify, body.view());
}

/**
 * Decodes a CertificateVerify body.
 *
 * @alpha
 */
export function decodeCertificateVerify(body: Uint8Array): CertificateVerify {
  return decodeExactly("CertificateVerify", body, (reader) => {
    const scheme = reader.readUint16();
    const signature = readVector(reader, 2, 0, 0xffff, "signature");
    return { scheme, signature };
  });
}

/**
 * The Finished message with its handshake header.
 *
 * @alpha
 */
export function encodeFinished(verifyData: Uint8Array): Uint8Array {
  return encodeHandshakeMessage(HandshakeType.finished, verifyData);
}

/**
 * The verify_data of a Finished body, which must be exactly the hash length.
 *
 * @alpha
 */
export function decodeFinished(body: Uint8Array, hashLength: number): Uint8Array {
  if (body.length !== hashLength)
    throw decodeError(`Finished is ${body.length} bytes, the hash is ${hashLength}`);
  return body;
}

// ---------------------------------------------------------------------------------------------
// Post-handshake messages: NewSessionTicket (§4.6.1), KeyUpdate (§4.6.3)

/**
 * A NewSessionTicket: a ticket for resuming the session later.
 *
 * @alpha
 */
export interface NewSessionTicket {
  /** How long the ticket may be used, in seconds (at most 7 days). */
  readonly lifetime: number;
  /** Added to the ticket age the client reports, to hide it from observers. */
  readonly ageAdd: number;
  /** Makes each ticket's PSK distinct. */
  readonly nonce: Uint8Array;
  /** The opaque ticket, sent back as the PSK identity. */
  readonly ticket: Uint8Array;
  /** The extensions, in wire order (early_data is the only one defined). */
  readonly extensions: readonly TlsExtension[];
}

/**
 * The NewSessionTicket message with its handshake header.
 *
 * @alpha
 */
export function encodeNewSessionTicket(message: NewSessionTicket): Uint8Array {
  const body = new BufferWriter(message.ticket.length + 32)
    .writeUint32(message.lifetime)
    .writeUint32(message.ageAdd);
  writeVector(body, 1, message.nonce, 0, 0xff, "ticket_nonce");
  writeVector(body, 2, message.ticket, 1, 0xffff, "ticket");
  writeExtensions(body, message.extensions);
  return encodeHandshakeMessage(HandshakeType.new_session_ticket, body.view());
}

/** Servers MUST NOT give a ticket a lifetime above 7 days (RFC 8446 §4.6.1). */
const MAX_TICKET_LIFETIME = 604_800;

/**
 * Decodes a NewSessionTicket body.
 *
 * @alpha
 */
export function decodeNewSessionTicket(body: Uint8Array): NewSessionTicket {
  return decodeExactly("NewSessionTicket", body, (reader) => {
    const lifetime = reader.readUint32();
    if (lifetime > MAX_TICKET_LIFETIME)
      throw illegalParameter(`ticket lifetime ${lifetime} s exceeds 7 days`);
    const ageAdd = reader.readUint32();
    const nonce = readVector(reader, 1, 0, 0xff, "ticket_nonce");
    const ticket = readVector(reader, 2, 1, 0xffff, "ticket");
    const extensions = readExtensions(reader, "NewSessionTicket");
    return { lifetime, ageAdd, nonce, ticket, extensions };
  });
}

/**
 * The max_early_data_size of a NewSessionTicket's early_data extension (RFC 8446 §4.2.10).
 *
 * @alpha
 */
export function decodeEarlyDataIndication(data: Uint8Array): number {
  return decodeExactly("early_data", data, (reader) => reader.readUint32());
}

/**
 * Encodes the early_data extension of a NewSessionTicket.
 *
 * @alpha
 */
export function encodeEarlyDataIndication(maxEarlyDataSize: number): TlsExtension {
  return {
    type: ExtensionType.early_data,
    data: new BufferWriter(4).writeUint32(maxEarlyDataSize).toBytes(),
  };
}

/**
 * Decodes a KeyUpdate body: whether the sender asks for an update in return. QUIC forbids the
 * message itself (RFC 9001 §6), so a QUIC client only decodes it to reject it.
 *
 * @alpha
 */
export function decodeKeyUpdate(body: Uint8Array): { readonly updateRequested: boolean } {
  return decodeExactly("KeyUpdate", body, (reader) => {
    const request = reader.readUint8();
    if (request > 1) throw illegalParameter(`KeyUpdate.request_update is ${request}`);
    return { updateRequested: request === 1 };
  });
}

// ---------------------------------------------------------------------------------------------
// Extension data

const textEncoder = new TextEncoder();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * server_name (RFC 6066 §3) with one host_name entry.
 *
 * @alpha
 */
export function encodeServerNameExtension(hostName: string): TlsExtension {
  const name = textEncoder.encode(hostName);
  const entry = new BufferWriter(name.length + 3).writeUint8(0);
  writeVector(entry, 2, name, 1, 0xffff, "host_name");
  const data = new BufferWriter(entry.length + 2);
  writeVector(data, 2, entry.view(), 1, 0xffff, "server_name_list");
  return { type: ExtensionType.server_name, data: data.toBytes() };
}

/**
 * The host_name of a server_name extension, or `undefined` for the empty form a server sends
 * to say it used the name.
 *
 * @alpha
 */
export function decodeServerName(data: Uint8Array): string | undefined {
  if (data.length === 0) return undefined;
  return decodeExactly("server_name", data, (reader) => {
    const list = new BufferReader(readVector(reader, 2, 1, 0xffff, "server_name_list"));
    let hostName: string | undefined;
    while (list.remaining > 0) {
      const nameType = list.readUint8();
      const name = readVector(list, 2, 1, 0xffff, "server name");
      if (nameType !== 0) continue;
      if (hostName !== undefined) throw illegalParameter("server_name has two host_name entries");
      hostName = decodeUtf8(name, "host_name");
    }
    return hostName;
  });
}

/**
 * supported_groups (RFC 8446 §4.2.7).
 *
 * @alpha
 */
export function encodeSupportedGroupsExtension(groups: readonly number[]): TlsExtension {
  return { type: ExtensionType.supported_groups, data: uint16Vector(groups, 2, "named group") };
}

/**
 * The named groups of a supported_groups extension.
 *
 * @alpha
 */
export function decodeSupportedGroups(data: Uint8Array): number[] {
  return decodeExactly("supported_groups", data, (reader) =>
    readUint16List(reader, 2, 2, "named_group_list"),
  );
}

/**
 * signature_algorithms (RFC 8446 §4.2.3).
 *
 * @alpha
 */
export function encodeSignatureAlgorithmsExtension(schemes: readonly number[]): TlsExtension {
  return { type: ExtensionType.signature_algorithms, data: uint16Vector(schemes, 2, "signature scheme") };
}

/**
 * The schemes of a signature_algorithms (or signature_algorithms_cert) extension.
 *
 * @alpha
 */
export function decodeSignatureAlgorithms(data: Uint8Array): number[] {
  return decodeExactly("signature_algorithms", data, (reader) =>
    readUint16List(reader, 2, 2, "supported_signature_algorithms"),
  );
}

/**
 * One KeyShareEntry: a group and the public value for it.
 *
 * @alpha
 */
export interface KeyShareEntry {
  /** The named group (`NamedGroup`). */
  readonly group: number;
  /** The public key in the group's encoding (RFC 8446 §4.2.8.2). */
  readonly keyExchange: Uint8Array;
}

function writeKeyShareEntry(writer: BufferWriter, entry: KeyShareEntry): void {
  checkUint16(entry.group, "named group");
  writer.writeUint16(entry.group);
  writeVector(writer, 2, entry.keyExchange, 1, 0xffff, "key_exchange");
}

function readKeyShareEntry(reader: BufferReader): KeyShareEntry {
  const group = reader.readUint16();
  const keyExchange = readVector(reader, 2, 1, 0xffff, "key_exchange");
  return { group, keyExchange };
}

/**
 * key_share in a ClientHello: the client_shares list.
 *
 * @alpha
 */
export function encodeKeyShareClientHelloExtension(shares: readonly KeyShareEntry[]): TlsExtension {
  const list = new BufferWriter();
  for (const share of shares) writeKeyShareEntry(list, share);
  const data = new BufferWriter(list.length + 2);
  writeVector(data, 2, list.view(), 0, 0xffff, "client_shares");
  return { type: ExtensionType.key_share, data: data.toBytes() };
}

/**
 * The client_shares of a ClientHello's key_share; a group offered twice is illegal_parameter.
 *
 * @alpha
 */
export function decodeKeyShareClientHello(data: Uint8Array): KeyShareEntry[] {
  return decodeExactly("key_share", data, (reader) => {
    const list = new BufferReader(readVector(reader, 2, 0, 0xffff, "client_shares"));
    const shares: KeyShareEntry[] = [];
    while (list.remaining > 0) {
      const share = readKeyShareEntry(list);
      if (shares.some((s) => s.group === share.group))
        throw illegalParameter(`key_share offers group ${share.group} twice`);
      shares.push(share);
    }
    return shares;
  });
}

/**
 * key_share in a ServerHello: the one server_share.
 *
 * @alpha
 */
export function encodeKeyShareServerHelloExtension(share: KeyShareEntry): TlsExtension {
  const data = new BufferWriter(share.keyExchange.length + 4);
  writeKeyShareEntry(data, share);
  return { type: ExtensionType.key_share, data: data.toBytes() };
}

/**
 * The server_share of a ServerHello's key_share.
 *
 * @alpha
 */
export function decodeKeyShareServerHello(data: Uint8Array): KeyShareEntry {
  return decodeExactly("key_share", data, readKeyShareEntry);
}

/**
 * key_share in a HelloRetryRequest: the selected_group the client must send a share for.
 *
 * @alpha
 */
export function encodeKeyShareHelloRetryRequestExtension(group: number): TlsExtension {
  checkUint16(group, "named group");
  return { type: ExtensionType.key_share, data: new BufferWriter(2).writeUint16(group).toBytes() };
}

/**
 * The selected_group of a HelloRetryRequest's key_share.
 *
 * @alpha
 */
export function decodeKeyShareHelloRetryRequest(data: Uint8Array): number {
  return decodeExactly("key_share", data, (reader) => reader.readUint16());
}

/**
 * supported_versions in a ClientHello: the offered versions.
 *
 * @alpha
 */
export function encodeSupportedVersionsClientHelloExtension(versions: readonly number[]): TlsExtension {
  return { type: ExtensionType.supported_versions, data: uint16Vector(versions, 1, "version") };
}

/**
 * The versions a ClientHello's supported_versions offers.
 *
 * @alpha
 */
export function decodeSupportedVersionsClientHello(data: Uint8Array): number[] {
  return decodeExactly("supported_versions", data, (reader) => readUint16List(reader, 1, 2, "versions"));
}

/**
 * supported_versions in a ServerHello or HelloRetryRequest: the selected version.
 *
 * @alpha
 */
export function encodeSupportedVersionsServerHelloExtension(version: number): TlsExtension {
  checkUint16(version, "version");
  return { type: ExtensionType.supported_versions, data: new BufferWriter(2).writeUint16(version).toBytes() };
}

/**
 * The selected_version of a ServerHello's supported_versions.
 *
 * @alpha
 */
export function decodeSupportedVersionsServerHello(data: Uint8Array): number {
  return decodeExactly("supported_versions", data, (reader) => reader.readUint16());
}

/**
 * application_layer_protocol_negotiation (RFC 7301): protocol names, UTF-8 encoded.
 *
 * @alpha
 */
export function encodeAlpnExtension(protocols: readonly string[]): TlsExtension {
  const list = new BufferWriter();
  for (const protocol of protocols)
    writeVector(list, 1, textEncoder.encode(protocol), 1, 0xff, "ALPN protocol");
  const data = new BufferWriter(list.length + 2);
  writeVector(data, 2, list.view(), 2, 0xffff, "protocol_name_list");
  return { type: ExtensionType.application_layer_protocol_negotiation, data: data.toBytes() };
}

/**
 * The protocol names of an ALPN extension.
 *
 * @alpha
 */
export function decodeAlpnProtocols(data: Uint8Array): string[] {
  return decodeExactly("application_layer_protocol_negotiation", data, (reader) => {
    const list = new BufferReader(readVector(reader, 2, 2, 0xffff, "protocol_name_list"));
    const protocols: string[] = [];
    while (list.remaining > 0)
      protocols.push(decodeUtf8(readVector(list, 1, 1, 0xff, "ProtocolName"), "ALPN"));
    return protocols;
  });
}

/**
 * The one protocol a server's ALPN extension selects (RFC 7301 §3.1: exactly one name).
 *
 * @alpha
 */
export function decodeAlpnSelected(data: Uint8Array): string {
  const protocols = decodeAlpnProtocols(data);
  if (protocols.length !== 1)
    throw illegalParameter(`the server's ALPN extension names ${protocols.length} protocols, not one`);
  return protocols[0]!;
}

/**
 * psk_key_exchange_modes (RFC 8446 §4.2.9).
 *
 * @alpha
 */
export function encodePskKeyExchangeModesExtension(modes: readonly number[]): TlsExtension {
  const data = new BufferWriter(modes.length + 1);
  writeVector(data, 1, Uint8Array.from(modes), 1, 0xff, "ke_modes");
  return { type: ExtensionType.psk_key_exchange_modes, data: data.toBytes() };
}

/**
 * The modes of a psk_key_exchange_modes extension.
 *
 * @alpha
 */
export function decodePskKeyExchangeModes(data: Uint8Array): number[] {
  return decodeExactly("psk_key_exchange_modes", data, (reader) => [
    ...readVector(reader, 1, 1, 0xff, "ke_modes"),
  ]);
}

/**
 * cookie (RFC 8446 §4.2.2), sent by a HelloRetryRequest and echoed in the second ClientHello.
 *
 * @alpha
 */
export function encodeCookieExtension(cookie: Uint8Array): TlsExtension {
  const data = new BufferWriter(cookie.length + 2);
  writeVector(data, 2, cookie, 1, 0xffff, "cookie");
  return { type: ExtensionType.cookie, data: data.toBytes() };
}

/**
 * The cookie of a cookie extension.
 *
 * @alpha
 */
export function decodeCookie(data: Uint8Array): Uint8Array {
  return decodeExactly("cookie", data, (reader) => readVector(reader, 2, 1, 0xffff, "cookie"));
}

/**
 * quic_transport_parameters (0x39, RFC 9001 §8.2): the encoded transport parameters, carried
 * as they are; `decodeTransportParameters` reads them.
 *
 * @alpha
 */
export function encodeQuicTransportParametersExtension(parameters: Uint8Array): TlsExtension {
  if (parameters.length > 0xffff) throw new RangeError(`transport parameters of ${parameters.length} bytes`);
  return { type: ExtensionType.quic_transport_parameters, data: parameters };
}

function uint16Vector(values: readonly number[], prefixBytes: 1 | 2, what: string): Uint8Array {
  const list = uint16ListBytes(values, what);
  const data = new BufferWriter(list.length + prefixBytes);
  writeVector(data, prefixBytes, list, 2, prefixBytes === 1 ? 0xfe : 0xfffe, `${what} list`);
  return data.toBytes();
}

function decodeUtf8(bytes: Uint8Array, what: string): string {
  try {
    return strictUtf8.decode(bytes);
  } catch (error) {
    throw new TlsAlertError(TlsAlert.decode_error, `${what} is not UTF-8`, { cause: error });
  }
}

/**
 * Byte equality; not constant-time (compare secrets with `timingSafeEqual`).
 *
 * @alpha
 */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
