/**
 * QUIC version 1 (RFC 8999, 9000, 9001) in TypeScript on `node:crypto`: the layers below a
 * connection. This entry point is the module's whole public surface, so the folder can become
 * its own package without changing importers.
 *
 * What is here: variable-length integers and a byte cursor; HKDF and HKDF-Expand-Label; Initial
 * secrets; AEAD packet protection and header protection for the three TLS 1.3 suites; packet
 * number encoding; long, short, Retry and Version Negotiation headers and coalesced packets;
 * the Retry integrity tag; the TLS 1.3 key schedule and transcript hash; every QUIC v1 frame;
 * transport parameters. What is not here yet: the handshake, the connection, recovery,
 * streams and the UDP socket.
 *
 * @packageDocumentation
 */

export { BufferReader, type BufferReaderOptions, BufferWriter } from "./buffer.js";
export { aeadOpen, aeadSeal, packetNonce } from "./crypto/aead.js";
export {
  CIPHER_SUITES,
  type CipherSuite,
  cipherSuiteById,
  TLS_AES_128_GCM_SHA256,
  TLS_AES_256_GCM_SHA384,
  TLS_CHACHA20_POLY1305_SHA256,
} from "./crypto/cipher-suite.js";
export {
  HEADER_PROTECTION_SAMPLE_LENGTH,
  HeaderProtection,
  headerProtectionMask,
} from "./crypto/header-protection.js";
export {
  digest,
  type HashAlgorithm,
  hashLength,
  hkdfExpand,
  hkdfExpandLabel,
  hkdfExtract,
  hkdfLabel,
  hmac,
} from "./crypto/hkdf.js";
export {
  deriveInitialKeys,
  deriveInitialSecrets,
  type InitialKeys,
  type InitialSecrets,
  QUIC_V1_INITIAL_SALT,
  QUIC_VERSION_1,
} from "./crypto/initial-secrets.js";
export {
  derivePacketProtectionKeys,
  type PacketProtectionKeys,
  updatePacketProtectionKeys,
} from "./crypto/packet-keys.js";
export {
  CRYPTO_ERROR_BASE,
  cryptoErrorCode,
  QuicError,
  type QuicErrorOptions,
  TransportErrorCode,
  transportErrorName,
} from "./errors.js";
export {
  type AckFrame,
  type AckRange,
  type ConnectionCloseFrame,
  type CryptoFrame,
  type DataBlockedFrame,
  type EcnCounts,
  type Frame,
  FrameType,
  type HandshakeDoneFrame,
  isAckEliciting,
  isFrameAllowed,
  type MaxDataFrame,
  type MaxStreamDataFrame,
  type MaxStreamsFrame,
  type NewConnectionIdFrame,
  type NewTokenFrame,
  type PacketType,
  type PaddingFrame,
  type PathChallengeFrame,
  type PathResponseFrame,
  type PingFrame,
  type ResetStreamFrame,
  type RetireConnectionIdFrame,
  type StopSendingFrame,
  type StreamDataBlockedFrame,
  type StreamFrame,
  StreamFrameBits,
  type StreamsBlockedFrame,
} from "./frames/frame.js";
export {
  decodeFrame,
  decodeFrames,
  type EncodeFrameOptions,
  encodeFrame,
  encodeFrames,
} from "./frames/frame-codec.js";
export {
  DEFAULT_TRANSPORT_PARAMETERS,
  decodeTransportParameters,
  encodeTransportParameters,
  type PreferredAddress,
  TransportParameterId,
  type TransportParameterSender,
  type TransportParameters,
  type TransportParametersInit,
  type UnknownTransportParameter,
} from "./frames/transport-parameters.js";
export {
  type LongHeaderFields,
  type LongHeaderPacket,
  type LongPacketType,
  MAX_CONNECTION_ID_LENGTH,
  type PacketBase,
  type ParsedDatagram,
  type ParsedPacket,
  parseDatagram,
  parsePacket,
  type RetryFields,
  type RetryPacket,
  type ShortHeaderFields,
  type ShortHeaderPacket,
  serializeLongHeader,
  serializeRetryWithoutTag,
  serializeShortHeader,
  serializeVersionNegotiation,
  type UnsupportedVersionPacket,
  type VersionNegotiationFields,
  type VersionNegotiationPacket,
} from "./packet/header.js";
export {
  decodePacketNumber,
  type PacketNumberLength,
  packetNumberLength,
  truncatePacketNumber,
} from "./packet/packet-number.js";
export {
  decryptPayload,
  protectPacket,
  removeHeaderProtection,
  type UnprotectedHeader,
  type UnprotectedPacket,
  unprotectPacket,
} from "./packet/packet-protection.js";
export {
  buildRetryPacket,
  RETRY_INTEGRITY_KEY_V1,
  RETRY_INTEGRITY_NONCE_V1,
  retryIntegrityTag,
  verifyRetryIntegrity,
} from "./packet/retry.js";
export {
  computeEarlySecret,
  computeHandshakeSecret,
  computeMasterSecret,
  deriveSecret,
  emptyHash,
  finishedKey,
  finishedVerifyData,
  KeySchedule,
  nextTrafficSecret,
  type TrafficSecrets,
  TranscriptHash,
} from "./tls/key-schedule.js";
export {
  encodeVarint,
  MAX_VARINT,
  readVarint,
  readVarintBigInt,
  type VarintValue,
  varintLength,
  writeVarintAt,
} from "./varint.js";
