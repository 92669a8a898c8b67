export { dispatchHook, mergeHeaders, mergeHooks, mergeParams } from "./merge.js";
export type {
  HeadersOption,
  RequestOptions,
  SendRequestOptions,
  SessionOptions,
  TransportFactory,
  TransportSettings,
} from "./options.js";
export { redirectMethod, shouldStripAuth } from "./redirects.js";
export { AsyncSession, DEFAULT_USER_AGENT, defaultHeaders, Session } from "./session.js";
export { VERSION } from "./version.js";
