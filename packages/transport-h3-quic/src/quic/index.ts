/**
 * QUIC version 1 (RFC 8999, 9000, 9001, 9002) in TypeScript on `node:crypto` and `node:dgram`: a
 * client connection and the layers below it. This entry point is the module's whole public surface, so the folder can become
 * its own package without changing importers.
 *
 * What is here. Packets: variable-length integers and a byte cursor; HKDF and
 * HKDF-Expand-Label; Initial secrets; AEAD packet protection and header protection for the three
 * TLS 1.3 suites; packet number encoding; long, short, Retry and Version Negotiation headers and
 * coalesced packets; the Retry integrity tag; every QUIC v1 frame; transport parameters. TLS 1.3
 * for QUIC: alerts, handshake messages, X25519 and P-256 key shares, the key schedule and
 * transcript hash, the I/O-free client handshake `TlsClientHandshake`, the server's certificate
 * chain (`verifyServerCertificateChain`, `TrustStore`, `certificateVerifier`) and its
 * CertificateVerify. Recovery (RFC 9002): ACK tracking with ack delay, RTT estimation, loss
 * detection and PTO, NewReno and a pacer. Streams: stream IDs, reassembly, send buffers,
 * connection and stream flow control with window auto-tuning, and stream limits.
 *
 * The connection: `QuicClientConnection`, an I/O-free client (packet number spaces, coalescing,
 * key discard and key update, Retry and Version Negotiation, stateless reset, idle timeout,
 * CONNECTION_CLOSE, flow control and streams), and `connectQuic`, its edge on one `node:dgram`
 * socket with streams as async iterables.
 *
 * What is not here yet: HTTP/3 and QPACK, 0-RTT and resumption, connection migration and PMTU
 * discovery, client certificates, ECN and CUBIC.
 *
 * @packageDocumentation
 */
export { BufferReader, type BufferReaderOptions, BufferWriter } from "./buffer.js";
export {
  DEFAULT_CLIENT_TRANSPORT_PARAMETERS,
  DEFAULT_HANDSHAKE_TIMEOUT,
  QuicClientConnection,
  type QuicClientConnectionOptions,
} from "./connection/client-connection.js";
export {
  type QuicCloseInfo,
  QuicConnectionError,
  type QuicConnectionErrorKind,
  type QuicConnectionEvent,
  type QuicConnectionState,
  type QuicConnectionStats,
  VERSION_NEGOTIATION_ERROR,
} from "./connection/connection-events.js";
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
  type CongestionController,
  type CongestionPacket,
  initialWindow,
  LOSS_REDUCTION_FACTOR,
  MIN_MAX_DATAGRAM_SIZE,
  minimumWindow,
  NewReno,
  type NewRenoOptions,
} from "./recovery/congestion-control.js";
export {
  type AckOutcome,
  LossDetection,
  type LossDetectionOptions,
  type LossDetectionTimeout,
  PACKET_THRESHOLD,
  type SentPacket,
  TIME_THRESHOLD,
} from "./recovery/loss-detection.js";
export {
  PACING_GAIN,
  Pacer,
  type PacerOptions,
} from "./recovery/pacer.js";
export {
  PACKET_NUMBER_SPACES,
  type PacketNumberSpace,
} from "./recovery/packet-number-space.js";
export {
  AckTracker,
  type AckTrackerOptions,
  DEFAULT_MAX_ACK_RANGES,
  decodeAckDelay,
  type EcnCodepoint,
  encodeAckDelay,
} from "./recovery/received-packets.js";
export {
  GRANULARITY,
  INITIAL_RTT,
  PERSISTENT_CONGESTION_THRESHOLD,
  RttEstimator,
  type RttEstimatorOptions,
} from "./recovery/rtt-estimator.js";
export {
  ReceiveWindow,
  type ReceiveWindowOptions,
  SendCredit,
} from "./streams/flow-control.js";
export {
  type OffsetRange,
  RangeSet,
} from "./streams/range-set.js";
export {
  ReceiveBuffer,
  type ReceiveBufferOptions,
} from "./streams/receive-buffer.js";
export {
  type OutgoingStreamData,
  SendBuffer,
} from "./streams/send-buffer.js";
export {
  isBidirectionalStream,
  type StreamRole,
  streamId,
  streamIndex,
  streamInitiator,
} from "./streams/stream-id.js";
export {
  StreamLimits,
  type StreamLimitsOptions,
} from "./streams/stream-limits.js";
export {
  TlsAlert,
  TlsAlertError,
  tlsAlertName,
} from "./tls/alert.js";
export {
  certificateVerifier,
  type ServerCertificateOptions,
  TrustStore,
  verifyServerCertificateChain,
} from "./tls/certificate-verifier.js";
export {
  certificateVerifyContent,
  DEFAULT_SIGNATURE_SCHEMES,
  isCertificateVerifyScheme,
  verifyCertificateVerifySignature,
} from "./tls/certificate-verify.js";
export {
  type EncryptionLevel,
  type HandshakeOutput,
  type LevelTrafficSecrets,
  TlsClientHandshake,
  type TlsClientOptions,
  type TlsSessionTicket,
} from "./tls/client-handshake.js";
export {
  type CertificateEntry,
  type CertificateMessage,
  type CertificateRequest,
  type CertificateVerify,
  type ClientHello,
  DEFAULT_MAX_HANDSHAKE_MESSAGE_LENGTH,
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
  type EncryptedExtensions,
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
  type HandshakeMessage,
  HandshakeReader,
  HandshakeType,
  HELLO_RETRY_REQUEST_RANDOM,
  isHelloRetryRequest,
  type KeyShareEntry,
  NamedGroup,
  type NewSessionTicket,
  PskKeyExchangeMode,
  type ServerHello,
  SignatureScheme,
  TLS_LEGACY_VERSION,
  TLS13_VERSION,
  type TlsExtension,
} from "./tls/handshake-messages.js";
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
  type EphemeralKeyShare,
  generateKeyShare,
  type KeyExchangeGroup,
  keyExchangeGroupByCode,
  keyShareFromPrivateKey,
  namedGroupCode,
} from "./tls/key-share.js";
export { type ConnectQuicOptions, connectQuic } from "./udp/connect-quic.js";
export { QuicSession } from "./udp/quic-session.js";
export { type QuicStream, QuicStreamError } from "./udp/quic-stream.js";
export {
  encodeVarint,
  MAX_VARINT,
  readVarint,
  readVarintBigInt,
  type VarintValue,
  varintLength,
  writeVarintAt,
} from "./varint.js";
