import { describe, expect, it } from "vitest";
import { QuicError } from "../errors.js";
import { TlsAlert, TlsAlertError, tlsAlertName } from "./alert.js";

describe("TlsAlertError", () => {
  it("closes with CRYPTO_ERROR(0x100 + alert) and keeps the alert", () => {
    const error = new TlsAlertError(TlsAlert.bad_certificate, "certificate signature does not verify");
    expect(error.code).toBe(0x12a);
    expect(error.alert).toBe(42);
    expect(error.message).toBe("CRYPTO_ERROR(0x12a): bad_certificate: certificate signature does not verify");
    expect(error).toBeInstanceOf(QuicError);
    expect(error).toBeInstanceOf(TlsAlertError);
  });

  it("is not matched by a plain QuicError", () => {
    expect(new QuicError(0x0a, "x")).not.toBeInstanceOf(TlsAlertError);
  });

  it("names alerts, known or not", () => {
    expect(tlsAlertName(120)).toBe("no_application_protocol");
    expect(tlsAlertName(200)).toBe("alert 200");
  });
});
