import type { PreparedRequest } from "./request.js";
import type { Response } from "./response.js";

/**
 * An authentication flow as httpx draws it: yield a request, receive its response, yield the
 * next one. A one-step scheme yields once; Digest yields again after a 401 challenge.
 */
export type AuthFlow =
  | Generator<PreparedRequest, void, Response>
  | AsyncGenerator<PreparedRequest, void, Response>;

/** Anything that authenticates a request through a flow the session drives. */
export interface Authenticator {
  authFlow(request: PreparedRequest): AuthFlow;
}

/**
 * The `auth` option: `[user, password]` for Basic, a string for a bearer token (sent verbatim
 * when it holds a space, `"Token abc"`), an {@link Authenticator}, or a function that edits the request.
 */
export type AuthInput =
  | readonly [username: string, password: string]
  | string
  | Authenticator
  | ((
      request: PreparedRequest,
    ) => PreparedRequest | undefined | void | Promise<PreparedRequest | undefined | void>);
