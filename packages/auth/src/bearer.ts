import type { AuthFlow, PreparedRequest } from "@nq/models";
import { AuthBase } from "./auth-base.js";

/**
 * A token sent as `Authorization: Bearer <token>`; a token that already holds a scheme
 * (`"Token abc"`, a space inside) is sent verbatim, as niquests does.
 */
export class BearerTokenAuth extends AuthBase {
  readonly token: string;

  constructor(token: string) {
    super();
    this.token = token;
  }

  override apply(request: PreparedRequest): PreparedRequest {
    request.headers.set("Authorization", this.token.includes(" ") ? this.token : `Bearer ${this.token}`);
    return request;
  }

  override *authFlow(request: PreparedRequest): AuthFlow {
    yield this.apply(request);
  }
}
