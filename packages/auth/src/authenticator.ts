import type { Authenticator, AuthFlow, AuthInput, PreparedRequest } from "@nq/models";
import { AuthBase } from "./auth-base.js";
import { HTTPBasicAuth } from "./basic.js";
import { BearerTokenAuth } from "./bearer.js";

class CallableAuth extends AuthBase {
  readonly #fn: (request: PreparedRequest) => unknown;

  constructor(fn: (request: PreparedRequest) => unknown) {
    super();
    this.#fn = fn;
  }

  override async *authFlow(request: PreparedRequest): AuthFlow {
    yield ((await this.#fn(request)) as PreparedRequest | undefined) ?? request;
  }
}

/**
 * Turns the `auth` option into an `Authenticator`: `[user, password]` → Basic, a string →
 * bearer token, a function → called with the request, an authenticator → itself.
 */
export function toAuthenticator(auth: AuthInput | null | undefined): Authenticator | undefined {
  if (auth === null || auth === undefined) return undefined;
  if (typeof auth === "string") return new BearerTokenAuth(auth);
  if (Array.isArray(auth)) {
    if (auth.length !== 2) throw new TypeError("auth must be a [username, password] pair");
    return new HTTPBasicAuth(String(auth[0]), String(auth[1]));
  }
  if (typeof auth === "function") return new CallableAuth(auth);
  if (typeof (auth as Authenticator).authFlow === "function") return auth as Authenticator;
  throw new TypeError(
    "auth must be a [username, password] pair, a token string, a function or an Authenticator",
  );
}
