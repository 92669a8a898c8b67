export type { Authenticator, AuthFlow, AuthInput } from "./auth-flow.js";
export {
  type BodyInit,
  type EncodedBody,
  encodeBody,
  type FileContent,
  type FileSpec,
  type FilesInput,
  type FormFields,
  type FormValue,
  isReplayable,
  ReplayableBody,
  type RequestBody,
  type RequestData,
} from "./body.js";
export { decodeText, detectEncoding, encodingFromContentType, guessJsonUtf } from "./charset.js";
export type { CookieJarView, CookieScope } from "./cookie-jar.js";
export {
  ChunkedEncodingError,
  ConnectionError,
  ConnectTimeout,
  ContentDecodingError,
  HTTPError,
  InvalidHeader,
  InvalidJSONError,
  InvalidProxyURL,
  InvalidSchema,
  InvalidURL,
  JSONDecodeError,
  MissingSchema,
  MultiplexingError,
  ProxyError,
  ReadTimeout,
  RequestException,
  type RequestExceptionOptions,
  RetryError,
  requestExceptionFrom,
  SSLError,
  StreamConsumedError,
  Timeout,
  TooManyRedirects,
  TransportError,
  type TransportErrorKind,
  type TransportErrorOptions,
  type TransportErrorPhase,
  UnrewindableBodyError,
  URLRequired,
} from "./errors.js";
export { Headers, type HeadersInit, type HeaderValue } from "./headers.js";
export {
  HOOK_EVENTS,
  type Hook,
  type HookEvent,
  type HookList,
  type Hooks,
  type TransferProgress,
} from "./hooks.js";
export { type Link, parseLinkHeader } from "./link-header.js";
export {
  boundaryFromContentType,
  encodeMultipart,
  type MultipartEncoding,
  type MultipartSegment,
} from "./multipart.js";
export {
  type CookiesInput,
  PreparedRequest,
  type PrepareInit,
  Request,
  type RequestInit,
} from "./request.js";
export { Response, type ResponseInit } from "./response.js";
export { codes, reasonPhrase } from "./status-codes.js";
export type {
  ConnectionInfo,
  HttpVersion,
  PeerCertificate,
  Protocol,
  SendOptions,
  TimeoutSettings,
  TLSClientCert,
  TLSVerify,
  Transport,
  TransportResponse,
} from "./transport.js";
export {
  encodeParams,
  joinBaseUrl,
  type ParamValue,
  prepareUrl,
  type QueryParams,
  redecodeLatin1,
  requoteUri,
  resolveLocation,
  unquoteUnreserved,
  urlPath,
} from "./url.js";
