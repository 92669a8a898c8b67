/**
 * A minimal TLS 1.3 record layer (RFC 8446 §5) around `TlsClientHandshake`, for tests only: it
 * lets the QUIC handshake talk to a TLS 1.3 server over TCP (OpenSSL through `tls.createServer`),
 * so the client is checked against an implementation nobody here wrote.
 *
 * QUIC carries handshake bytes in CRYPTO frames and protects them with its own packet keys;
 * TLS over TCP puts them in records protected with keys from the "key" and "iv" labels (not
 * "quic key"/"quic iv"). The handshake's encryption levels map onto records like this:
 *
 * ```
 *   initial      plaintext records (ClientHello, ServerHello, HelloRetryRequest)
 *   handshake    records under the handshake traffic keys (server flight, client Finished)
 *   application  records under the application traffic keys (NewSessionTicket, data, alerts)
 * ```
 *
 * Like the handshake it does no I/O: bytes from the socket go into `receive`, which returns the
 * bytes to write back. Errors:
 *
 * ```
 * Error
 * ├─ TlsAlertError           this client's own fatal alert (from the handshake or the records);
 * │                          `fatalAlertRecord(error)` gives the record that tells the server
 * ├─ TlsPeerAlertError       the server sent an alert other than close_notify (`alert` is its number)
 * └─ TlsConnectionClosedError the stream ended mid-handshake or mid-record (`end()`)
 * ```
 *
 * @packageDocumentation
 */

import { concatBytes } from "../buffer.js";
import { aeadOpen, aeadSeal, packetNonce } from "../crypto/aead.js";
import type { CipherSuite } from "../crypto/cipher-suite.js";
import { hkdfExpandLabel } from "../crypto/hkdf.js";
import { TlsAlert, TlsAlertError, tlsAlertName } from "../tls/alert.js";
import type { EncryptionLevel, TlsClientHandshake } from "../tls/client-handshake.js";
import { type HandshakeMessage, HandshakeReader } from "../tls/handshake-messages.js";

/**
 * The record content types of RFC 8446 §5.1.
 */
export const ContentType = {
  change_cipher_spec: 20,
  alert: 21,
  handshake: 22,
  application_data: 23,
} as const;

/** 2^14: the largest TLSPlaintext (and TLSInnerPlaintext content) fragment. */
export const MAX_PLAINTEXT_LENGTH = 16_384;
/** 2^14 + 256: the largest TLSCiphertext fragment (RFC 8446 §5.2). */
export const MAX_CIPHERTEXT_LENGTH = MAX_PLAINTEXT_LENGTH + 256;

const HEADER_LENGTH = 5;
const LEGACY_RECORD_VERSION = 0x0303;
// RFC 8446 §5.1: the first ClientHello may carry 0x0301 for middleboxes that check; OpenSSL
// and Go send it, so a server sees nothing unusual.
const INITIAL_CLIENT_HELLO_VERSION = 0x0301;

/**
 * The record keys of one direction at one level: HKDF-Expand-Label(secret, "key"/"iv")
 * (RFC 8446 §7.3) and the 64-bit sequence number that makes each record's nonce (§5.3).
 */
export interface RecordProtection {
  readonly suite: CipherSuite;
  readonly key: Uint8Array;
  readonly iv: Uint8Array;
  /** The sequence number of the next record; it starts at 0 whenever keys change. */
  sequence: number;
}

/**
 * The record key and IV of a traffic secret (RFC 8446 §7.3).
 */
export function recordProtection(suite: CipherSuite, secret: Uint8Array): RecordProtection {
  const empty = new Uint8Array(0);
  return {
    suite,
    key: hkdfExpandLabel(suite.hash, secret, "key", empty, suite.keyLength),
    iv: hkdfExpandLabel(suite.hash, secret, "iv", empty, suite.ivLength),
    sequence: 0,
  };
}

function header(type: number, version: number, length: number): Uint8Array {
  return Uint8Array.of(type, version >>> 8, version & 0xff, length >>> 8, length & 0xff);
}

/**
 * One plaintext record (TLSPlaintext).
 */
export function plaintextRecord(
  type: number,
  fragment: Uint8Array,
  version: number = LEGACY_RECORD_VERSION,
): Uint8Array {
  if (fragment.length > MAX_PLAINTEXT_LENGTH)
    throw new RangeError(`a record holds at most ${MAX_PLAINTEXT_LENGTH} bytes, not ${fragment.length}`);
  const out = new Uint8Array(HEADER_LENGTH + fragment.length);
  out.set(header(type, version, fragment.length));
  out.set(fragment, HEADER_LENGTH);
  return out;
}

/**
 * One protected record (TLSCiphertext): TLSInnerPlaintext = content ‖ type ‖ `padding` zeros,
 * sealed with the 5-byte header as additional data; the opaque type is always
 * application_data (RFC 8446 §5.2).
 */
export function sealRecord(
  protection: RecordProtection,
  type: number,
  content: Uint8Array,
  padding = 0,
): Uint8Array {
  if (content.length > MAX_PLAINTEXT_LENGTH)
    throw new RangeError(`a record holds at most ${MAX_PLAINTEXT_LENGTH} bytes, not ${content.length}`);
  const inner = new Uint8Array(content.length + 1 + padding);
  inner.set(content);
  inner[content.length] = type;
  const length = inner.length + protection.suite.tagLength;
  if (length > MAX_CIPHERTEXT_LENGTH)
    throw new RangeError(`a protected record of ${length} bytes is too long`);
  const aad = header(ContentType.application_data, LEGACY_RECORD_VERSION, length);
  const nonce = packetNonce(protection.iv, protection.sequence++);
  const sealed = aeadSeal(protection.suite, protection.key, nonce, aad, inner);
  const out = new Uint8Array(HEADER_LENGTH + sealed.length);
  out.set(aad);
  out.set(sealed, HEADER_LENGTH);
  return out;
}

/**
 * Opens one protected record: returns the real content type and the content with its padding
 * stripped, or throws bad_record_mac (authentication failed) or unexpected_message (all zeros).
 */
export function openRecord(
  protection: RecordProtection,
  recordHeader: Uint8Array,
  fragment: Uint8Array,
): { readonly type: number; readonly content: Uint8Array } {
  const nonce = packetNonce(protection.iv, protection.sequence);
  const inner = aeadOpen(protection.suite, protection.key, nonce, recordHeader, fragment);
  if (inner === undefined)
    throw new TlsAlertError(
      TlsAlert.bad_record_mac,
      `record ${protection.sequence} (${fragment.length} bytes) does not authenticate under ${protection.suite.name}`,
    );
  protection.sequence++;
  let end = inner.length;
  while (end > 0 && inner[end - 1] === 0) end--;
  // RFC 8446 §5.4: a record with no non-zero octet has no content type.
  if (end === 0)
    throw new TlsAlertError(TlsAlert.unexpected_message, "a protected record holds only padding");
  const content = inner.subarray(0, end - 1);
  if (content.length > MAX_PLAINTEXT_LENGTH)
    throw new TlsAlertError(TlsAlert.record_overflow, `a record holds ${content.length} bytes of content`);
  return { type: inner[end - 1]!, content };
}

/**
 * What one received record was, for tests that check how the server framed its flight.
 */
export interface ReceivedRecord {
  /** The level the record was read at: "initial" for plaintext. */
  readonly level: EncryptionLevel;
  /** The real content type (the inner one for protected records). */
  readonly type: number;
  /** The content length, padding and tag excluded. */
  readonly length: number;
}

/**
 * A handshake message as it crossed the wire, decrypted.
 */
export interface LoggedHandshakeMessage extends HandshakeMessage {
  readonly direction: "sent" | "received";
  readonly level: EncryptionLevel;
}

/**
 * The server sent a fatal alert (or a warning other than close_notify and user_canceled).
 */
export class TlsPeerAlertError extends Error {
  override readonly name = "TlsPeerAlertError";
  /** The alert description (RFC 8446 §6.2). */
  readonly alert: number;
  /** The level the alert arrived at: "initial" when it was plaintext. */
  readonly level: EncryptionLevel;

  constructor(alert: number, level: EncryptionLevel) {
    super(`the server sent alert ${tlsAlertName(alert)} (${alert}) at the ${level} level`);
    this.alert = alert;
    this.level = level;
  }
}

/**
 * The byte stream ended before the handshake completed, or in the middle of a record.
 */
export class TlsConnectionClosedError extends Error {
  override readonly name = "TlsConnectionClosedError";
  /** Bytes received in all. */
  readonly bytesReceived: number;

  constructor(message: string, bytesReceived: number) {
    super(message);
    this.bytesReceived = bytesReceived;
  }
}

/**
 * Options of `TlsRecordClient`.
 */
export interface TlsRecordClientOptions {
  /** Zero bytes added to each protected record this client sends (RFC 8446 §5.4); 0 by default. */
  readonly padding?: number | undefined;
  /** The largest content per record this client sends; 2^14 by default. */
  readonly maxFragmentLength?: number | undefined;
}

/**
 * Drives a `TlsClientHandshake` over TLS records: plaintext until the ServerHello, then the
 * handshake keys, then the application keys, with separate keys and sequence numbers per
 * direction.
 */
export class TlsRecordClient {
  readonly handshake: TlsClientHandshake;
  /** Every record received, in order. */
  readonly records: ReceivedRecord[] = [];
  /** Every handshake message sent and received, in order. */
  readonly messages: LoggedHandshakeMessage[] = [];

  readonly #padding: number;
  readonly #maxFragmentLength: number;
  // Only to log whole messages; the handshake reassembles its own copy.
  readonly #logReaders = {
    initial: new HandshakeReader(),
    handshake: new HandshakeReader(),
    application: new HandshakeReader(),
  };
  #buffer: Uint8Array = new Uint8Array(0);
  #bytesReceived = 0;
  #sentClientHello = false;
  #readLevel: EncryptionLevel = "initial";
  #writeLevel: EncryptionLevel = "initial";
  readonly #read: Partial<Record<EncryptionLevel, RecordProtection>> = {};
  readonly #write: Partial<Record<EncryptionLevel, RecordProtection>> = {};
  #applicationData: Uint8Array[] = [];
  #peerClosed = false;
  #failure: Error | undefined;

  constructor(handshake: TlsClientHandshake, options: TlsRecordClientOptions = {}) {
    this.handshake = handshake;
    this.#padding = options.padding ?? 0;
    this.#maxFragmentLength = options.maxFragmentLength ?? MAX_PLAINTEXT_LENGTH;
    if (this.#maxFragmentLength < 1 || this.#maxFragmentLength > MAX_PLAINTEXT_LENGTH)
      throw new RangeError(`bad maximum fragment length ${this.#maxFragmentLength}`);
  }

  /** True once the handshake has queued the client Finished. */
  get complete(): boolean {
    return this.handshake.complete;
  }

  /** True once the server's close_notify arrived. */
  get peerClosed(): boolean {
    return this.#peerClosed;
  }

  /** The level records are read at now. */
  get readLevel(): EncryptionLevel {
    return this.#readLevel;
  }

  /** The error that ended the connection, if any. */
  get failure(): Error | undefined {
    return this.#failure;
  }

  /** Starts the handshake and returns the ClientHello record. */
  start(): Uint8Array {
    this.handshake.start();
    return this.#flush();
  }

  /**
   * Takes bytes from the stream in any chunking, processes every whole record, and returns the
   * bytes to send back (possibly none). Throws on the first error, and again on every later call.
   */
  receive(bytes: Uint8Array): Uint8Array {
    if (this.#failure !== undefined) throw this.#failure;
    try {
      return this.#receive(bytes);
    } catch (error) {
      this.#failure = error instanceof Error ? error : new Error(String(error));
      throw this.#failure;
    }
  }

  /**
   * The stream has ended. Throws `TlsConnectionClosedError` if it ended before the handshake
   * completed or inside a record; a clean end after the handshake is not an error (TLS 1.3
   * leaves truncation to the application, which checks `peerClosed`).
   */
  end(): void {
    if (this.#failure !== undefined) throw this.#failure;
    let problem: string | undefined;
    if (!this.handshake.complete)
      problem = `the connection closed during the handshake, reading at the ${this.#readLevel} level`;
    else if (this.#buffer.length > 0) problem = "the connection closed inside a record";
    if (problem !== undefined) {
      this.#failure = new TlsConnectionClosedError(
        `${problem} (${this.#bytesReceived} bytes received, ${this.#buffer.length} of them in an incomplete record)`,
        this.#bytesReceived,
      );
      throw this.#failure;
    }
  }

  /** Application data received and not yet taken, concatenated. */
  takeApplicationData(): Uint8Array {
    const out = concatBytes(this.#applicationData);
    this.#applicationData = [];
    return out;
  }

  /** Protects application data in as many records as it needs. */
  sealApplicationData(data: Uint8Array): Uint8Array {
    if (!this.handshake.complete) throw new Error("application data before the handshake completed");
    if (this.#failure !== undefined) throw this.#failure;
    const records: Uint8Array[] = [];
    for (let at = 0; at < data.length; at += this.#maxFragmentLength)
      records.push(
        this.#record(
          "application",
          ContentType.application_data,
          data.subarray(at, at + this.#maxFragmentLength),
        ),
      );
    return concatBytes(records);
  }

  /** A close_notify alert at the current write level. */
  closeNotify(): Uint8Array {
    return this.#record(this.#writeLevel, ContentType.alert, Uint8Array.of(1, TlsAlert.close_notify));
  }

  /**
   * The record carrying this client's fatal alert, under the keys the server reads with now,
   * so the server can report why the handshake failed.
   */
  fatalAlertRecord(error: TlsAlertError): Uint8Array {
    return this.#record(this.#writeLevel, ContentType.alert, Uint8Array.of(2, error.alert));
  }

  #receive(bytes: Uint8Array): Uint8Array {
    this.#bytesReceived += bytes.length;
    this.#buffer = concatBytes([this.#buffer, bytes]);
    const out: Uint8Array[] = [];
    while (this.#buffer.length >= HEADER_LENGTH) {
      const length = (this.#buffer[3]! << 8) | this.#buffer[4]!;
      this.#checkHeader(this.#buffer[0]!, length);
      if (this.#buffer.length < HEADER_LENGTH + length) break;
      const recordHeader = this.#buffer.slice(0, HEADER_LENGTH);
      const fragment = this.#buffer.slice(HEADER_LENGTH, HEADER_LENGTH + length);
      this.#buffer = this.#buffer.slice(HEADER_LENGTH + length);
      this.#onRecord(recordHeader, fragment);
      out.push(this.#flush());
    }
    return concatBytes(out);
  }

  // Checked as soon as the header is in, so a stream that is not TLS fails at once rather than
  // waiting for a "record" that will never be complete.
  #checkHeader(type: number, length: number): void {
    if (type < ContentType.change_cipher_spec || type > ContentType.application_data)
      throw new TlsAlertError(
        TlsAlert.unexpected_message,
        `record type ${type} (0x${type.toString(16).padStart(2, "0")}) is not a TLS content type: the peer may not speak TLS`,
      );
    const protectedRecord = type === ContentType.application_data;
    const limit = protectedRecord ? MAX_CIPHERTEXT_LENGTH : MAX_PLAINTEXT_LENGTH;
    if (length > limit)
      throw new TlsAlertError(TlsAlert.record_overflow, `a record of type ${type} declares ${length} bytes`);
  }

  #onRecord(recordHeader: Uint8Array, fragment: Uint8Array): void {
    const outerType = recordHeader[0]!;
    const level = this.#readLevel;

    // RFC 8446 §5: a one-byte change_cipher_spec may come at any time during the handshake, for
    // middleboxes, and is dropped unprocessed; after it, or with other content, it is an error.
    if (outerType === ContentType.change_cipher_spec) {
      if (fragment.length !== 1 || fragment[0] !== 1)
        throw new TlsAlertError(TlsAlert.unexpected_message, "a malformed change_cipher_spec record");
      if (this.handshake.complete)
        throw new TlsAlertError(TlsAlert.unexpected_message, "change_cipher_spec after the handshake");
      this.records.push({ level: "initial", type: outerType, length: 1 });
      return;
    }

    let type: number;
    let content: Uint8Array;
    const keys = this.#read[level];
    if (keys === undefined) {
      if (outerType === ContentType.application_data)
        throw new TlsAlertError(TlsAlert.unexpected_message, "a protected record before the ServerHello");
      type = outerType;
      content = fragment;
    } else {
      if (outerType !== ContentType.application_data)
        throw new TlsAlertError(
          TlsAlert.unexpected_message,
          `a plaintext record of type ${outerType} after the keys changed (reading at the ${level} level)`,
        );
      ({ type, content } = openRecord(keys, recordHeader, fragment));
    }
    this.records.push({ level, type, length: content.length });

    switch (type) {
      case ContentType.handshake:
        // RFC 8446 §5.1: handshake records are never empty.
        if (content.length === 0)
          throw new TlsAlertError(TlsAlert.unexpected_message, "an empty handshake record");
        this.#log("received", level, content);
        this.handshake.receive(level, content);
        break;
      case ContentType.alert:
        this.#onAlert(content, level);
        break;
      case ContentType.application_data:
        if (level !== "application")
          throw new TlsAlertError(TlsAlert.unexpected_message, `application data at the ${level} level`);
        this.#applicationData.push(content);
        break;
      default:
        throw new TlsAlertError(TlsAlert.unexpected_message, `a protected record of type ${type}`);
    }
  }

  #onAlert(content: Uint8Array, level: EncryptionLevel): void {
    if (content.length !== 2)
      throw new TlsAlertError(TlsAlert.decode_error, `an alert record of ${content.length} bytes, not 2`);
    const description = content[1]!;
    if (description === TlsAlert.close_notify) {
      this.#peerClosed = true;
      return;
    }
    // RFC 8446 §6.1: user_canceled is followed by close_notify; every other alert is fatal,
    // whatever its level byte says.
    if (description === TlsAlert.user_canceled) return;
    throw new TlsPeerAlertError(description, level);
  }

  // Installs keys as the handshake makes them, then protects what it queued at each level.
  #flush(): Uint8Array {
    for (const secrets of this.handshake.takeSecrets()) {
      this.#read[secrets.level] = recordProtection(secrets.cipherSuite, secrets.server);
      this.#write[secrets.level] = recordProtection(secrets.cipherSuite, secrets.client);
      // The server's next record is under the new keys: the handshake has already refused
      // bytes that follow the message before a key change.
      this.#readLevel = secrets.level;
    }
    // Consecutive messages at one level share records, as TLS stacks do (the empty Certificate
    // and the Finished go out together), so the server's reassembly is exercised too.
    const byLevel: { level: EncryptionLevel; data: Uint8Array[] }[] = [];
    for (const { level, data } of this.handshake.takeOutgoing()) {
      this.#log("sent", level, data);
      const last = byLevel.at(-1);
      if (last?.level === level) last.data.push(data);
      else byLevel.push({ level, data: [data] });
    }
    const records: Uint8Array[] = [];
    for (const { level, data } of byLevel) {
      const bytes = concatBytes(data);
      for (let at = 0; at < bytes.length; at += this.#maxFragmentLength)
        records.push(
          this.#record(level, ContentType.handshake, bytes.subarray(at, at + this.#maxFragmentLength)),
        );
    }
    // Alerts and data go under the newest keys once the client Finished is on its way
    // (RFC 8446 §4.4.4); before that, under the keys the last handshake bytes used.
    this.#writeLevel = this.handshake.complete
      ? "application"
      : this.#write.handshake !== undefined
        ? "handshake"
        : "initial";
    return concatBytes(records);
  }

  #record(level: EncryptionLevel, type: number, content: Uint8Array): Uint8Array {
    const keys = this.#write[level];
    if (keys !== undefined) return sealRecord(keys, type, content, this.#padding);
    if (level !== "initial") throw new Error(`no ${level} keys to write with`);
    const version =
      type === ContentType.handshake && !this.#sentClientHello
        ? INITIAL_CLIENT_HELLO_VERSION
        : LEGACY_RECORD_VERSION;
    if (type === ContentType.handshake) this.#sentClientHello = true;
    return plaintextRecord(type, content, version);
  }

  #log(direction: "sent" | "received", level: EncryptionLevel, data: Uint8Array): void {
    const reader = this.#logReaders[level];
    if (direction === "sent") {
      // Sent bytes are always whole messages, several at most.
      const sender = new HandshakeReader();
      sender.push(data);
      for (let message = sender.next(); message !== undefined; message = sender.next())
        this.messages.push({ direction, level, ...message });
      return;
    }
    reader.push(data);
    for (let message = reader.next(); message !== undefined; message = reader.next())
      this.messages.push({ direction, level, ...message });
  }
}
