import { TransportError } from "@nq/models";
import { describe, expect, it } from "vitest";
import { h2CodeName, isUnsentCode, kindOfH2Code, toTransportError } from "./error-mapping.js";

function coded(code: string, message = code): Error {
  return Object.assign(new Error(message), { code });
}

describe("HTTP/2 error codes", () => {
  it("are named as nghttp2 names them", () => {
    expect(h2CodeName(0)).toBe("NGHTTP2_NO_ERROR");
    expect(h2CodeName(7)).toBe("NGHTTP2_REFUSED_STREAM");
    expect(h2CodeName(13)).toBe("NGHTTP2_HTTP_1_1_REQUIRED");
    expect(h2CodeName(99)).toBe("NGHTTP2_UNKNOWN_99");
  });

  it("each have a kind; unknown ones count as INTERNAL_ERROR", () => {
    expect(kindOfH2Code(0)).toBe("closed");
    expect(kindOfH2Code(1)).toBe("protocol");
    expect(kindOfH2Code(2)).toBe("reset");
    expect(kindOfH2Code(7)).toBe("reset");
    expect(kindOfH2Code(8)).toBe("reset");
    expect(kindOfH2Code(9)).toBe("protocol");
    expect(kindOfH2Code(12)).toBe("tls");
    expect(kindOfH2Code(13)).toBe("protocol");
    expect(kindOfH2Code(42)).toBe("reset");
  });
});

describe("toTransportError", () => {
  it("takes the kind of a stream error from its RST_STREAM code", () => {
    const error = toTransportError(coded("ERR_HTTP2_STREAM_ERROR"), "head", { rstCode: 1 });
    expect(error).toMatchObject({
      kind: "protocol",
      phase: "head",
      retryable: false,
      code: "NGHTTP2_PROTOCOL_ERROR",
    });
  });

  it("takes the kind of a session error from the GOAWAY code", () => {
    const error = toTransportError(coded("ERR_HTTP2_SESSION_ERROR"), "body", { goawayCode: 11, rstCode: 2 });
    expect(error).toMatchObject({ kind: "reset", phase: "body", code: "NGHTTP2_ENHANCE_YOUR_CALM" });
  });

  it("calls REFUSED_STREAM and HTTP_1_1_REQUIRED retryable: the server processed nothing", () => {
    expect(toTransportError(coded("ERR_HTTP2_STREAM_ERROR"), "head", { rstCode: 7 })).toMatchObject({
      kind: "reset",
      retryable: true,
      code: "NGHTTP2_REFUSED_STREAM",
    });
    expect(toTransportError(coded("ERR_HTTP2_STREAM_ERROR"), "send", { rstCode: 13 })).toMatchObject({
      kind: "protocol",
      retryable: true,
    });
  });

  it("judges a stream closed without an error by its GOAWAY, then its RST code", () => {
    expect(toTransportError(undefined, "head", { goawayCode: 0, rstCode: 8 })).toMatchObject({
      kind: "closed",
      code: "NGHTTP2_NO_ERROR",
      retryable: false,
    });
    expect(toTransportError(undefined, "head", { rstCode: 8 })).toMatchObject({
      kind: "reset",
      code: "NGHTTP2_CANCEL",
    });
    expect(toTransportError(undefined, "head", { unprocessed: true }).retryable).toBe(true);
  });

  it("maps socket and TLS codes as the HTTP/1.1 transport does", () => {
    expect(toTransportError(coded("ECONNREFUSED"), "connect")).toMatchObject({
      kind: "connect",
      retryable: true,
    });
    expect(toTransportError(coded("ECONNRESET"), "head")).toMatchObject({ kind: "reset", retryable: false });
    expect(toTransportError(coded("CERT_HAS_EXPIRED"), "connect")).toMatchObject({
      kind: "tls",
      retryable: true,
    });
    expect(toTransportError(coded("ERR_TLS_CERT_ALTNAME_INVALID"), "connect").kind).toBe("tls");
    expect(toTransportError(coded("ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL"), "connect")).toMatchObject({
      kind: "protocol",
      retryable: false,
    });
    expect(toTransportError(new Error("who knows"), "connect").kind).toBe("connect");
    expect(toTransportError(new Error("who knows"), "body").kind).toBe("reset");
  });

  it("maps request header refusals to kind header in the send phase", () => {
    expect(toTransportError(coded("ERR_HTTP2_INVALID_HEADER_VALUE"), "connect")).toMatchObject({
      kind: "header",
      phase: "send",
    });
    expect(toTransportError(coded("ERR_INVALID_CHAR"), "head").phase).toBe("send");
  });

  it("passes a TransportError through and keeps the native error as cause", () => {
    const own = new TransportError("x", { kind: "aborted", phase: "send", retryable: false });
    expect(toTransportError(own, "head")).toBe(own);
    const native = coded("EPIPE");
    expect(toTransportError(native, "send").cause).toBe(native);
  });

  it("knows which node:http2 refusals mean nothing was sent", () => {
    expect(isUnsentCode("ERR_HTTP2_GOAWAY_SESSION")).toBe(true);
    expect(isUnsentCode("ERR_HTTP2_INVALID_SESSION")).toBe(true);
    expect(isUnsentCode("ERR_HTTP2_OUT_OF_STREAMS")).toBe(true);
    expect(isUnsentCode("ERR_HTTP2_STREAM_ERROR")).toBe(false);
    expect(isUnsentCode(undefined)).toBe(false);
  });
});
