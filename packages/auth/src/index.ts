export { AuthBase } from "./auth-base.js";
export { toAuthenticator } from "./authenticator.js";
export { basicAuthHeader, HTTPBasicAuth, HTTPProxyAuth } from "./basic.js";
export { BearerTokenAuth } from "./bearer.js";
export { HTTPDigestAuth } from "./digest.js";
export { type NetrcEntry, type NetrcFile, netrcCredentials, netrcPaths, parseNetrc } from "./netrc.js";
