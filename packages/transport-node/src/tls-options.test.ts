import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TransportError } from "@nq/models";
import { describe, expect, it } from "vitest";
import { caBundlePem, resolveTLS, tlsKey } from "./tls-options.js";

describe("tlsKey", () => {
  it("is equal for equal settings and distinct otherwise", () => {
    expect(tlsKey(true, undefined)).toBe(tlsKey(true, null));
    expect(tlsKey(true, undefined)).not.toBe(tlsKey(false, undefined));
    expect(tlsKey("/etc/ca.pem", undefined)).toBe(tlsKey("/etc/ca.pem", undefined));
    expect(tlsKey("/etc/ca.pem", undefined)).not.toBe(tlsKey("/etc/other.pem", undefined));
    expect(tlsKey(true, ["c", "k"])).not.toBe(tlsKey(true, ["c", "k", "p"]));
    expect(tlsKey(true, "c")).not.toBe(tlsKey(true, undefined));
  });

  it("keys bytes by identity", () => {
    const a = new Uint8Array([1]);
    const b = new Uint8Array([1]);
    expect(tlsKey(a, undefined)).toBe(tlsKey(a, undefined));
    expect(tlsKey(a, undefined)).not.toBe(tlsKey(b, undefined));
  });
});

describe("resolveTLS", () => {
  it("uses the default trust store for verify=true and skips verification for false", () => {
    expect(resolveTLS(true, undefined).rejectUnauthorized).toBe(true);
    expect(resolveTLS(false, undefined).rejectUnauthorized).toBe(false);
  });

  it("fails a missing CA path with Requests' message", () => {
    const missing = join("/nonexistent", "ca.pem");
    let error: unknown;
    try {
      resolveTLS(missing, undefined);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TransportError);
    expect(error).toMatchObject({
      kind: "tls",
      phase: "connect",
      retryable: false,
      message: `Could not find a suitable TLS CA certificate bundle, invalid path: ${missing}`,
    });
  });

  it("fails an unusable client certificate as a tls error", () => {
    const cert = "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n";
    const key = "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n";
    let error: unknown;
    try {
      resolveTLS(true, [cert, key]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TransportError);
    expect(error).toMatchObject({ kind: "tls", phase: "connect", retryable: false });
  });
});

describe("caBundlePem", () => {
  const pem = "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n";

  it("returns inline PEM text and PEM bytes as text, and reads a file", () => {
    const dir = mkdtempSync(join(tmpdir(), "nq-ca-"));
    const file = join(dir, "ca.pem");
    writeFileSync(file, pem);
    try {
      expect(caBundlePem(pem)).toBe(pem);
      expect(caBundlePem(new TextEncoder().encode(pem))).toBe(pem);
      expect(caBundlePem(file)).toBe(pem);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("fails a missing path with the same error as resolveTLS", () => {
    const missing = join("/nonexistent", "bundle.pem");
    expect(() => caBundlePem(missing)).toThrow(
      `Could not find a suitable TLS CA certificate bundle, invalid path: ${missing}`,
    );
  });
});
