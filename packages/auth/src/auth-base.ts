import type { Authenticator, AuthFlow, PreparedRequest } from "@nq/models";

/**
 * The base of nq's authentication schemes. A one-step scheme overrides {@link AuthBase.apply}
 * (Requests' `__call__`); a scheme that needs the server's answer, like Digest, overrides
 * {@link AuthBase.authFlow} and yields each request it wants sent.
 */
export abstract class AuthBase implements Authenticator {
  /** Edits the request before it is sent; may return a replacement. */
  apply(
    request: PreparedRequest,
  ): PreparedRequest | undefined | void | Promise<PreparedRequest | undefined | void> {
    return request;
  }

  /** The flow the session drives: by default, apply once and send. */
  async *authFlow(request: PreparedRequest): AuthFlow {
    yield (await this.apply(request)) ?? request;
  }
}
