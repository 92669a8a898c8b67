/**
 * `@nq/transport-node`: the Node plumbing nq's Node transports (`@nq/transport-h1`,
 * `@nq/transport-h2`) and the protocol router share — content decoding with its decompression
 * bound, the bounded response-body queue, TLS option resolution (`verify`/`cert` → TLS options,
 * keyed for pooling), opening a socket and reading its connection info, Node error-code mapping
 * helpers, an exchange's timers and timeout errors, the connector types, and the bookkeeping of a
 * transport's pools.
 *
 * It is for transport authors; applications use a transport, `@nq/session` or `niquests`.
 *
 * @packageDocumentation
 */

export {
  type ConnectionUse,
  connectionInfo,
  readSocketDetails,
  type SocketDetails,
} from "./connection-info.js";
export type { ConnectedSocket, Connector, ConnectTarget } from "./connector.js";
export {
  type ContentCoding,
  DECOMPRESSION_FLOOR,
  DEFAULT_MAX_DECOMPRESSION_RATIO,
  type DecodeLimits,
  decodeBody,
  parseContentEncoding,
} from "./content-decoding.js";
export { parseContentLength } from "./content-length.js";
export {
  describeFailure,
  isRetryable,
  isTlsCode,
  kindByPhase,
  type MappedFailure,
  mappedError,
  nativeCode,
  socketCodeKind,
  toSocketTransportError,
  transportClosedError,
} from "./error-codes.js";
export {
  connectTimeoutError,
  destroyedError,
  readTimeoutError,
  totalTimeoutError,
} from "./exchange-errors.js";
export { type ExchangeTimer, ExchangeTimers, type TimedExchange } from "./exchange-timers.js";
export { LiveSet, type LiveSetMember } from "./live-set.js";
export {
  type OpenedSocket,
  type OpenSocketCallback,
  type OpenSocketOptions,
  openSocket,
} from "./open-socket.js";
export { type OriginEndpoint, originEndpoint } from "./origin-endpoint.js";
export { PoolRegistry, type RegisteredPool } from "./pool-registry.js";
export { type BodyOwner, ResponseBody } from "./response-body.js";
export { caBundlePem, resolveTLS, type TLSConnectSettings, tlsKey } from "./tls-options.js";
export { PendingTrailers } from "./trailers.js";
export {
  checkDecompressionRatio,
  checkFamily,
  checkLocalAddress,
  positiveInteger,
} from "./transport-options.js";
export { type ResponseHead, type ResponseOwner, StreamingResponse } from "./transport-response.js";
