import { ConnectTimeout, requestExceptionFrom, SSLError, TransportError } from "@nq/models";
import { describe, expect, it } from "vitest";
import { quic } from "./index.js";
import { transportErrorFromQuic } from "./transport-error.js";

const { QuicConnectionError, QuicError, TlsAlert, TlsAlertError, TransportErrorCode } = quic;

function expired(): InstanceType<typeof TlsAlertError> {
  const cause = Object.assign(new Error("certificate has expired"), { code: "CERT_HAS_EXPIRED" });
  return new TlsAlertError(TlsAlert.certificate_expired, "the server's certificate", { cause });
}

describe("transportErrorFromQuic", () => {
  // "Retryable" means the server cannot have seen the request, as for TCP; RetryConfiguration
  // never retries the tls kind anyway.
  it("maps our own TLS alert to tls, with the verifier's Node code", () => {
    const error = transportErrorFromQuic(expired(), "connect", "https://h3.test:443");
    expect(error).toBeInstanceOf(TransportError);
    expect(error).toMatchObject({
      kind: "tls",
      phase: "connect",
      retryable: true,
      code: "CERT_HAS_EXPIRED",
    });
    expect(error.cause).toBeInstanceOf(TlsAlertError);
    expect(error.message).toContain("https://h3.test:443");
    expect(requestExceptionFrom(error)).toBeInstanceOf(SSLError);
  });

  it("maps the peer's CRYPTO_ERROR (no certificate for the name) to tls", () => {
    const error = transportErrorFromQuic(new QuicError(0x150, "the peer closed the connection"), "connect");
    expect(error).toMatchObject({ kind: "tls", retryable: true, code: "QUIC_CRYPTO_ERROR(0x150)" });
  });

  it("maps timeouts: a handshake timeout may be retried, an idle one mid-body may not", () => {
    const handshake = new QuicConnectionError(
      "handshake_timeout",
      "the QUIC handshake did not complete in time",
    );
    const timedOut = transportErrorFromQuic(handshake, "connect");
    expect(timedOut).toMatchObject({ kind: "timeout", retryable: true });
    expect(requestExceptionFrom(timedOut)).toBeInstanceOf(ConnectTimeout);
    const idle = new QuicConnectionError("idle_timeout", "the server went silent");
    expect(transportErrorFromQuic(idle, "body")).toMatchObject({
      kind: "timeout",
      phase: "body",
      retryable: false,
    });
  });

  it("maps a stateless reset to reset and a failed version negotiation to protocol", () => {
    expect(
      transportErrorFromQuic(new QuicConnectionError("stateless_reset", "stateless reset"), "head"),
    ).toMatchObject({ kind: "reset", retryable: false });
    expect(
      transportErrorFromQuic(new QuicConnectionError("version_negotiation", "no common version"), "connect"),
    ).toMatchObject({ kind: "protocol", retryable: false, code: "QUIC_0x11" });
  });

  it("maps the peer's close to closed and protocol faults to protocol", () => {
    const closed = transportErrorFromQuic(new QuicError(TransportErrorCode.NO_ERROR, "peer closed"), "head");
    expect(closed).toMatchObject({ kind: "closed", code: "QUIC_NO_ERROR" });
    const refused = transportErrorFromQuic(
      new QuicError(TransportErrorCode.CONNECTION_REFUSED, "busy"),
      "connect",
    );
    expect(refused).toMatchObject({ kind: "connect", retryable: true });
    const fault = new QuicError(TransportErrorCode.FLOW_CONTROL_ERROR, "too much data", { frameType: 0x08 });
    expect(transportErrorFromQuic(fault, "body")).toMatchObject({
      kind: "protocol",
      retryable: false,
      code: "QUIC_FLOW_CONTROL_ERROR",
    });
  });

  it("maps socket and DNS errors as the TCP transports do, and passes a TransportError through", () => {
    const dns = Object.assign(new Error("getaddrinfo ENOTFOUND h3.invalid"), { code: "ENOTFOUND" });
    expect(transportErrorFromQuic(dns, "connect")).toMatchObject({ kind: "connect", code: "ENOTFOUND" });
    const given = new TransportError("aborted", { kind: "aborted", phase: "send", retryable: false });
    expect(transportErrorFromQuic(given, "body")).toBe(given);
  });
});
