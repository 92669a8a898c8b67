import type { AuthFlow, PreparedRequest } from "@nq/models";
import { AuthBase } from "./auth-base.js";

const encoder = new TextEncoder();

function base64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** The `Authorization` value for Basic credentials, UTF-8 encoded as niquests 3 does. */
export function basicAuthHeader(username: string, password: string): string {
  return `Basic ${base64(encoder.encode(`${username}:${password}`))}`;
}

/** HTTP Basic authentication (RFC 7617). */
export class HTTPBasicAuth extends AuthBase {
  readonly username: string;
  readonly password: string;
  readonly #header: string;

  constructor(username: string, password: string) {
    super();
    this.username = username;
    this.password = password;
    this.#header = basicAuthHeader(username, password);
  }

  override apply(request: PreparedRequest): PreparedRequest {
    request.headers.set("Authorization", this.#header);
    return request;
  }

  // A synchronous flow: one step, no promise per request.
  override *authFlow(request: PreparedRequest): AuthFlow {
    yield this.apply(request);
  }
}

/** `Proxy-Authorization: Basic …` for an HTTP proxy. */
export class HTTPProxyAuth extends HTTPBasicAuth {
  override apply(request: PreparedRequest): PreparedRequest {
    request.headers.set("Proxy-Authorization", basicAuthHeader(this.username, this.password));
    return request;
  }
}
