import type { Normalised } from "./normalise.js";
import type { Draft } from "./oracle.js";

/**
 * Requests sends `Content-Length: 0` on a body-less DELETE; undici, under nq's HTTP/1.1
 * transport, leaves it off (RFC 9110 §8.6: a user agent should not send it when the method
 * does not anticipate a body). `PreparedRequest.headers` still carries it, as in Requests.
 * Only for nq's HTTP/1.1 transport: its HTTP/2 transport sends `content-length: 0` as Requests
 * does (seen against hypercorn; caddy drops the field on the way to httpbin for both clients).
 */
export function withoutEmptyContentLength(expected: Draft<Normalised>): void {
  const echo = expected.response?.body.json;
  const headers =
    echo && "value" in echo ? (echo.value as { headers?: Record<string, unknown> }).headers : undefined;
  if (headers?.["Content-Length"] === "0") delete headers["Content-Length"];
}
