import { TransportError } from "@nq/models";
import { describe, expect, it } from "vitest";
import {
  describeFailure,
  isRetryable,
  isTlsCode,
  kindByPhase,
  mappedError,
  nativeCode,
  socketCodeKind,
  toSocketTransportError,
  transportClosedError,
} from "./error-codes.js";

function coded(code: string): Error {
  return Object.assign(new Error(`failure ${code}`), { code });
}

describe("toSocketTransportError", () => {
  it.each([
    ["ECONNREFUSED", "connect", "connect", true],
    ["ENOTFOUND", "connect", "connect", true],
    ["EAI_AGAIN", "connect", "connect", true],
    ["EHOSTUNREACH", "connect", "connect", true],
    ["EADDRNOTAVAIL", "connect", "connect", true],
    ["ETIMEDOUT", "connect", "timeout", true],
    ["ERR_SOCKET_CONNECTION_TIMEOUT", "connect", "timeout", true],
    ["ECONNRESET", "connect", "reset", true],
    ["ECONNRESET", "body", "reset", false],
    ["EPIPE", "send", "reset", false],
    ["ERR_STREAM_PREMATURE_CLOSE", "head", "reset", false],
    ["CERT_HAS_EXPIRED", "connect", "tls", true],
    ["DEPTH_ZERO_SELF_SIGNED_CERT", "connect", "tls", true],
    ["EPROTO", "connect", "tls", true],
    ["ERR_TLS_CERT_ALTNAME_INVALID", "connect", "tls", true],
    ["ERR_SSL_WRONG_VERSION_NUMBER", "head", "tls", false],
  ] as const)("maps %s in phase %s to %s, retryable %s", (code, phase, kind, retryable) => {
    const cause = coded(code);
    const error = toSocketTransportError(cause, phase, "https://example.test");
    expect(error).toBeInstanceOf(TransportError);
    expect(error).toMatchObject({ kind, phase, retryable, code, cause });
    expect(error.message).toContain("https://example.test");
    expect(error.message).toContain(cause.message);
  });

  it("decides by code, never by message", () => {
    const misleading = coded("ECONNREFUSED");
    misleading.message = "certificate has expired; connection reset";
    expect(toSocketTransportError(misleading, "connect").kind).toBe("connect");
  });

  it("falls back on the phase for unknown codes and errors without one", () => {
    expect(toSocketTransportError(coded("UND_ERR_SOCKET"), "connect")).toMatchObject({
      kind: "connect",
      retryable: true,
      code: "UND_ERR_SOCKET",
    });
    expect(toSocketTransportError(new Error("???"), "body")).toMatchObject({
      kind: "reset",
      retryable: false,
    });
    expect(toSocketTransportError("a string", "head")).toMatchObject({ kind: "reset", code: undefined });
  });

  it("passes a TransportError through", () => {
    const existing = new TransportError("x", { kind: "aborted", phase: "send", retryable: false });
    expect(toSocketTransportError(existing, "connect")).toBe(existing);
  });
});

describe("the shared code tables", () => {
  it("know OpenSSL's verify codes and the TLS prefixes, and nothing else, as TLS", () => {
    for (const code of [
      "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
      "HOSTNAME_MISMATCH",
      "ERR_OSSL_PEM_NO_START_LINE",
    ]) {
      expect(isTlsCode(code), code).toBe(true);
    }
    for (const code of ["ECONNRESET", "TLS_SOMETHING", "ERR_HTTP2_ERROR", "HPE_INVALID_CONSTANT"]) {
      expect(isTlsCode(code), code).toBe(false);
    }
  });

  it("leave undici's, llhttp's and node:http2's codes to the transports", () => {
    for (const code of [
      "UND_ERR_SOCKET",
      "HPE_CLOSED_CONNECTION",
      "ERR_HTTP2_GOAWAY_SESSION",
      "NQ_H2_PING_TIMEOUT",
    ]) {
      expect(socketCodeKind(code), code).toBeUndefined();
    }
    expect(socketCodeKind("ENETDOWN")).toBe("connect");
    expect(socketCodeKind("ERR_SSL_DECRYPTION_FAILED")).toBe("tls");
  });

  it("fall back to connect before a socket and reset after", () => {
    expect(kindByPhase("connect")).toBe("connect");
    for (const phase of ["send", "head", "body"] as const) expect(kindByPhase(phase)).toBe("reset");
  });
});

describe("nativeCode", () => {
  it("reads the code of the first attempt of a happy-eyeballs AggregateError", () => {
    const aggregate = new AggregateError([coded("ECONNREFUSED"), coded("EHOSTUNREACH")], "all failed");
    expect(nativeCode(aggregate)).toBe("ECONNREFUSED");
  });

  it("is undefined for anything without a string code", () => {
    expect(nativeCode(undefined)).toBeUndefined();
    expect(nativeCode("ECONNRESET")).toBeUndefined();
    expect(nativeCode(Object.assign(new Error("x"), { code: 7 }))).toBeUndefined();
    expect(nativeCode(new AggregateError([], "none"))).toBeUndefined();
  });
});

describe("isRetryable", () => {
  it("never calls an error after the connect phase retryable", () => {
    for (const phase of ["send", "head", "body"] as const) {
      for (const kind of ["connect", "reset", "timeout", "tls"] as const)
        expect(isRetryable(kind, phase)).toBe(false);
    }
  });

  it("does not retry a closed transport, a refused request or an abort", () => {
    expect(isRetryable("closed", "connect")).toBe(false);
    expect(isRetryable("protocol", "connect")).toBe(false);
    expect(isRetryable("aborted", "connect")).toBe(false);
    expect(isRetryable("tls", "connect")).toBe(true);
    expect(isRetryable("timeout", "connect")).toBe(true);
  });
});

describe("messages", () => {
  it("describe a timeout by its phase and other failures by kind", () => {
    expect(describeFailure("timeout", "connect")).toBe("Connection timed out");
    expect(describeFailure("timeout", "head")).toBe("Read timed out waiting for the response head");
    expect(describeFailure("timeout", "body")).toBe("Read timed out in the response body");
    expect(describeFailure("reset", "body")).toBe("Connection broken");
    expect(describeFailure("tls", "connect")).toBe("TLS handshake failed");
  });

  it("say what happened, where, and what the native error said", () => {
    const cause = coded("ECONNRESET");
    const error = mappedError(cause, {
      kind: "reset",
      phase: "head",
      code: "ECONNRESET",
      origin: "http://a.test",
    });
    expect(error.message).toBe("Connection broken (http://a.test): failure ECONNRESET");
    expect(error).toMatchObject({ retryable: false, code: "ECONNRESET", cause });
    expect(mappedError("plain", { kind: "connect", phase: "connect", code: undefined }).message).toBe(
      "Failed to establish a new connection: plain",
    );
  });

  it("refuse work on a closed transport as closed, in the connect phase, not retryable", () => {
    expect(transportClosedError()).toMatchObject({
      kind: "closed",
      phase: "connect",
      retryable: false,
      message: "The transport is closed",
    });
  });
});
