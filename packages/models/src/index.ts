export type { AuthFlow, Authenticator, AuthInput } from "./auth-flow.js";
export {
  type BodyInit,
  type EncodedBody,
  encodeBody,
  type FileContent,
  type FilesInput,
  type FileSpec,
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
export { type HeaderValue, Headers, type HeadersInit } from "./headers.js";
export { HOOK_EVENTS, type Hook, type HookEvent, type HookList, type Hooks, type TransferProgress } from "./hooks.js";
export { type Link, parseLinkHeader } from "./link-header.js";
export {
  type CookiesInput,
  type PrepareInit,
  PreparedRequest,
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
export { encodeParams, type ParamValue, prepareUrl, type QueryParams, urlPath } from "./url.js";
