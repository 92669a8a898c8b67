export { type Environment, environmentCaBundle, runtimeEnvironment } from "./environment.js";
export { dispatchHook, mergeHeaders, mergeHooks, mergeParams } from "./merge.js";
export type {
  EnvironmentSettings,
  HeadersOption,
  RequestOptions,
  SendRequestOptions,
  SessionOptions,
  TransportFactory,
  TransportSettings,
} from "./options.js";
export {
  environmentProxies,
  type ProxiesInput,
  selectProxy,
  shouldBypassProxies,
} from "./proxies.js";
export { redirectMethod, shouldStripAuth } from "./redirects.js";
export { AsyncSession, DEFAULT_USER_AGENT, defaultHeaders, Session } from "./session.js";
export { VERSION } from "./version.js";
