/**
 * niquests for Node.js: Requests' API over HTTP/1.1 (and HTTP/2, HTTP/3 as they land), with
 * the default transports wired in. Everything public in the nq packages is re-exported here.
 *
 * @packageDocumentation
 */

export * from "@nq/auth";
export * from "@nq/cookies";
export * from "@nq/models";
export * from "@nq/retry";
export {
  DEFAULT_USER_AGENT,
  defaultHeaders,
  dispatchHook,
  type Environment,
  type EnvironmentSettings,
  environmentCaBundle,
  environmentProxies,
  type HeadersOption,
  mergeHeaders,
  mergeHooks,
  mergeParams,
  type ProxiesInput,
  type RequestOptions,
  redirectMethod,
  runtimeEnvironment,
  type SendRequestOptions,
  type SessionOptions,
  selectProxy,
  shouldBypassProxies,
  shouldStripAuth,
  type TransportFactory,
  type TransportSettings,
  VERSION,
} from "@nq/session";
export { HTTP1Transport, type HTTP1TransportOptions } from "@nq/transport-h1";
export { HTTP2Transport, type HTTP2TransportOptions } from "@nq/transport-h2";
export { ProtocolRouter, type ProtocolRouterOptions } from "@nq/transport-router";
export { del, del as delete, get, head, options, patch, post, put, request } from "./api.js";
export { defaultTransports } from "./default-transports.js";
export { nodeEnvironment } from "./node-environment.js";
export { AsyncSession, Session } from "./session.js";
