import { TransportError } from "@nq/models";
import { isRetryable, nativeCode } from "@nq/transport-node";
import { errors } from "undici";
import { describe, expect, it } from "vitest";
import { kindOf, toTransportError } from "./error-mapping.js";

function coded(code: string): Error {
  return Object.assign(new Error(`failure ${code}`), { code });
}

describe("toTransportError", () => {
  it.each([
    ["ECONNREFUSED", "connect", "connect", "connect", true],
    ["ENOTFOUND", "connect", "connect", "connect", true],
    ["EAI_AGAIN", "connect", "connect", "connect", true],
    ["EHOSTUNREACH", "connect", "connect", "connect", true],
    ["ECONNRESET", "connect", "reset", "connect", true],
    ["ECONNRESET", "head", "reset", "head", false],
    ["ECONNRESET", "body", "reset", "body", false],
    ["EPIPE", "send", "reset", "send", false],
    ["UND_ERR_CONNECT_TIMEOUT", "connect", "timeout", "connect", true],
    ["UND_ERR_HEADERS_TIMEOUT", "send", "timeout", "head", false],
    ["UND_ERR_BODY_TIMEOUT", "body", "timeout", "body", false],
    ["UND_ERR_SOCKET", "head", "reset", "head", false],
    ["UND_ERR_SOCKET", "body", "reset", "body", false],
    ["UND_ERR_HEADERS_OVERFLOW", "head", "header", "head", false],
    ["UND_ERR_RES_CONTENT_LENGTH_MISMATCH", "body", "reset", "body", false],
    ["UND_ERR_RES_CONTENT_LENGTH_MISMATCH", "head", "header", "head", false],
    ["HPE_INVALID_CONTENT_LENGTH", "head", "header", "head", false],
    ["HPE_UNEXPECTED_CONTENT_LENGTH", "head", "header", "head", false],
    ["HPE_INVALID_HEADER_TOKEN", "head", "header", "head", false],
    ["HPE_INVALID_CHUNK_SIZE", "body", "protocol", "body", false],
    ["HPE_INVALID_CONSTANT", "head", "protocol", "head", false],
    ["HPE_INVALID_STATUS", "head", "protocol", "head", false],
    ["CERT_HAS_EXPIRED", "connect", "tls", "connect", true],
    ["DEPTH_ZERO_SELF_SIGNED_CERT", "connect", "tls", "connect", true],
    ["SELF_SIGNED_CERT_IN_CHAIN", "connect", "tls", "connect", true],
    ["UNABLE_TO_VERIFY_LEAF_SIGNATURE", "connect", "tls", "connect", true],
    ["UNABLE_TO_GET_ISSUER_CERT_LOCALLY", "connect", "tls", "connect", true],
    ["ERR_TLS_CERT_ALTNAME_INVALID", "connect", "tls", "connect", true],
    ["ERR_SSL_WRONG_VERSION_NUMBER", "connect", "tls", "connect", true],
    ["ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED", "head", "tls", "head", false],
    ["ERR_OSSL_PEM_NO_START_LINE", "connect", "tls", "connect", true],
    ["UND_ERR_CLOSED", "connect", "closed", "connect", false],
    ["UND_ERR_DESTROYED", "head", "closed", "head", false],
    ["UND_ERR_INVALID_ARG", "connect", "protocol", "send", false],
    ["UND_ERR_NOT_SUPPORTED", "connect", "protocol", "send", false],
    ["UND_ERR_REQ_CONTENT_LENGTH_MISMATCH", "send", "protocol", "send", false],
    ["UND_ERR_ABORTED", "head", "aborted", "head", false],
  ] as const)("maps %s in phase %s to %s/%s, retryable %s", (code, phase, kind, expectedPhase, retryable) => {
    const cause = coded(code);
    const error = toTransportError(cause, phase, "http://example.test");
    expect(error).toBeInstanceOf(TransportError);
    expect(error).toMatchObject({ kind, phase: expectedPhase, retryable, code, cause });
    expect(error.message).toContain("http://example.test");
    expect(error.message).toContain(cause.message);
  });

  it("maps undici's own error classes by their code", () => {
    expect(toTransportError(new errors.HeadersTimeoutError(), "head")).toMatchObject({
      kind: "timeout",
      phase: "head",
    });
    expect(toTransportError(new errors.BodyTimeoutError(), "body")).toMatchObject({
      kind: "timeout",
      phase: "body",
    });
    expect(toTransportError(new errors.SocketError("other side closed"), "body")).toMatchObject({
      kind: "reset",
      phase: "body",
    });
    expect(toTransportError(new errors.InvalidArgumentError("invalid header"), "connect")).toMatchObject({
      kind: "protocol",
      phase: "send",
      retryable: false,
    });
    expect(toTransportError(new errors.ClientClosedError(), "connect")).toMatchObject({
      kind: "closed",
      retryable: false,
    });
  });

  it("maps a parser error without its llhttp code to protocol", () => {
    const error = new errors.HTTPParserError("Response does not match the HTTP/1.1 protocol (whatever)");
    expect(toTransportError(error, "head")).toMatchObject({
      kind: "protocol",
      phase: "head",
      code: undefined,
    });
  });

  it("decides by code, never by message", () => {
    const misleading = coded("ECONNREFUSED");
    misleading.message = "certificate has expired; headers timeout; other side closed";
    expect(toTransportError(misleading, "connect").kind).toBe("connect");
  });

  it("falls back on the phase for unknown errors", () => {
    expect(toTransportError(new Error("???"), "connect")).toMatchObject({ kind: "connect", retryable: true });
    expect(toTransportError(new Error("???"), "body")).toMatchObject({ kind: "reset", retryable: false });
    expect(toTransportError("a string", "head")).toMatchObject({ kind: "reset", phase: "head" });
  });

  it("passes a TransportError through", () => {
    const existing = new TransportError("x", { kind: "decoding", phase: "body", retryable: false });
    expect(toTransportError(existing, "head")).toBe(existing);
  });

  it("reads the code of the first attempt of a happy-eyeballs AggregateError", () => {
    const aggregate = new AggregateError([coded("ECONNREFUSED"), coded("ECONNREFUSED")], "all failed");
    expect(nativeCode(aggregate)).toBe("ECONNREFUSED");
    expect(toTransportError(aggregate, "connect")).toMatchObject({ kind: "connect", code: "ECONNREFUSED" });
  });
});

describe("kindOf and isRetryable", () => {
  it("never calls an error after the connect phase retryable", () => {
    for (const phase of ["send", "head", "body"] as const) {
      expect(isRetryable(kindOf("ECONNRESET", phase), phase)).toBe(false);
    }
  });

  it("does not retry a closed transport or a request undici refused", () => {
    expect(isRetryable("closed", "connect")).toBe(false);
    expect(isRetryable("protocol", "connect")).toBe(false);
    expect(isRetryable("aborted", "connect")).toBe(false);
    expect(isRetryable("tls", "connect")).toBe(true);
  });
});
