import { describe, expect, it } from "vitest";
import {
  ChunkedEncodingError,
  ConnectionError,
  ConnectTimeout,
  ContentDecodingError,
  HTTPError,
  InvalidHeader,
  InvalidJSONError,
  InvalidProxyURL,
  InvalidURL,
  JSONDecodeError,
  ProxyError,
  ReadTimeout,
  RequestException,
  requestExceptionFrom,
  SSLError,
  Timeout,
  TransportError,
  type TransportErrorKind,
  type TransportErrorPhase,
} from "./errors.js";
import { PreparedRequest } from "./request.js";

describe("the exception tree", () => {
  it("keeps niquests' hierarchy, ConnectTimeout being both a ConnectionError and a Timeout", () => {
    const e = new ConnectTimeout("slow");
    expect(e).toBeInstanceOf(ConnectTimeout);
    expect(e).toBeInstanceOf(ConnectionError);
    expect(e).toBeInstanceOf(Timeout);
    expect(e).toBeInstanceOf(RequestException);
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe("ConnectTimeout");
    expect(new ReadTimeout()).not.toBeInstanceOf(ConnectionError);
    expect(new JSONDecodeError()).toBeInstanceOf(InvalidJSONError);
    expect(new InvalidProxyURL()).toBeInstanceOf(InvalidURL);
    expect(new HTTPError()).not.toBeInstanceOf(ConnectionError);
  });

  it("recognises errors from another copy of the package by their brand", () => {
    const foreign = Object.create(Error.prototype) as Record<symbol, unknown>;
    Object.defineProperty(foreign, Symbol.for("nq.error.brands"), {
      value: new Set(["ConnectTimeout", "Timeout"]),
    });
    expect(foreign).toBeInstanceOf(Timeout);
    expect(foreign).toBeInstanceOf(ConnectTimeout);
    expect(foreign).not.toBeInstanceOf(SSLError);
    expect({}).not.toBeInstanceOf(RequestException);
  });

  it("judges a user's subclass by its prototype chain", () => {
    class MyError extends HTTPError {}
    expect(new MyError()).toBeInstanceOf(MyError);
    expect(new MyError()).toBeInstanceOf(HTTPError);
    expect(new HTTPError()).not.toBeInstanceOf(MyError);
  });

  it("carries the request, the response and the cause", () => {
    const request = new PreparedRequest();
    const cause = new Error("low level");
    const e = new ConnectionError("failed", { request, cause });
    expect(e.request).toBe(request);
    expect(e.cause).toBe(cause);
    expect(e.response).toBeUndefined();
  });
});

describe("requestExceptionFrom", () => {
  const request = new PreparedRequest();
  const cases: [TransportErrorKind, TransportErrorPhase, abstract new (...args: never[]) => Error][] = [
    ["connect", "connect", ConnectionError],
    ["timeout", "connect", ConnectTimeout],
    ["timeout", "head", ReadTimeout],
    ["timeout", "body", ConnectionError],
    ["tls", "connect", SSLError],
    ["proxy", "connect", ProxyError],
    ["header", "head", InvalidHeader],
    ["decoding", "body", ContentDecodingError],
    ["reset", "head", ConnectionError],
    ["reset", "body", ChunkedEncodingError],
    ["protocol", "body", ChunkedEncodingError],
    ["closed", "connect", ConnectionError],
  ];
  it.each(cases)("maps kind %s in phase %s", (kind, phase, expected) => {
    const cause = new TransportError("x", { kind, phase, retryable: false });
    const mapped = requestExceptionFrom(cause, request) as RequestException;
    expect(mapped).toBeInstanceOf(expected);
    expect(mapped.request).toBe(request);
    expect(mapped.cause).toBe(cause);
  });

  it("passes an abort reason through untouched and fills a RequestException's request", () => {
    const reason = new DOMException("stop", "AbortError");
    expect(requestExceptionFrom(reason, request)).toBe(reason);
    const existing = new HTTPError("x");
    expect(requestExceptionFrom(existing, request)).toBe(existing);
    expect(existing.request).toBe(request);
  });

  it("brands TransportError across copies too", () => {
    const e = new TransportError("x", { kind: "reset", phase: "body", retryable: false, code: "ECONNRESET" });
    expect(e).toBeInstanceOf(TransportError);
    expect(e.code).toBe("ECONNRESET");
    expect(new Error("x")).not.toBeInstanceOf(TransportError);
  });
});
