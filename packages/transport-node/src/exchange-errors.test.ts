import { TransportError } from "@nq/models";
import { describe, expect, it } from "vitest";
import {
  connectTimeoutError,
  destroyedError,
  readTimeoutError,
  totalTimeoutError,
} from "./exchange-errors.js";

describe("the exchange's own errors", () => {
  it("a connect timeout is retryable: nothing was sent", () => {
    const error = connectTimeoutError("https://a.test", 250);
    expect(error).toMatchObject({ kind: "timeout", phase: "connect", retryable: true, code: undefined });
    expect(error.message).toBe("Connection to https://a.test timed out. (connect timeout=250 ms)");
  });

  it("a read timeout names the part of the response it waited for, and keeps a code when given", () => {
    expect(readTimeoutError("https://a.test", "head", 100)).toMatchObject({
      kind: "timeout",
      phase: "head",
      retryable: false,
      code: undefined,
      message: "Read timed out waiting for the response head from https://a.test. (read timeout=100 ms)",
    });
    expect(readTimeoutError("https://a.test", "body", 100, "UND_ERR_BODY_TIMEOUT")).toMatchObject({
      phase: "body",
      code: "UND_ERR_BODY_TIMEOUT",
    });
  });

  it("a total timeout is retryable only while connecting", () => {
    expect(totalTimeoutError("https://a.test", "connect", 1000)).toMatchObject({
      kind: "timeout",
      phase: "connect",
      retryable: true,
      message: "Request to https://a.test exceeded the total timeout of 1000 ms (in the connect phase)",
    });
    for (const phase of ["send", "head", "body"] as const) {
      expect(totalTimeoutError("https://a.test", phase, 1000).retryable).toBe(false);
    }
  });

  it("destroy(reason) passes a TransportError through and wraps anything else as closed", () => {
    const own = new TransportError("gone", { kind: "reset", phase: "body", retryable: false });
    expect(destroyedError(own, "head")).toBe(own);
    const other = new Error("shutting down");
    expect(destroyedError(other, "body")).toMatchObject({
      kind: "closed",
      phase: "body",
      retryable: false,
      cause: other,
      message: "The transport was destroyed: shutting down",
    });
    expect(destroyedError(undefined, "connect")).toMatchObject({
      kind: "closed",
      phase: "connect",
      message: "The transport was destroyed",
    });
  });
});
