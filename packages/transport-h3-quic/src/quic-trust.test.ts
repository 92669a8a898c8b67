import { X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rootCertificates } from "node:tls";
import { TransportError } from "@nq/models";
import { createTestPki } from "@nq/testkit";
import { describe, expect, it } from "vitest";
import { quic } from "./index.js";
import { quicTrust } from "./quic-trust.js";

describe("quicTrust", () => {
  const pki = createTestPki();
  const leaf = pki.issue({ hosts: ["localhost"] });
  const chain = [new Uint8Array(new X509Certificate(leaf.cert).raw)];

  it("trusts Node's root certificates for verify: true, and reuses the store", () => {
    const store = quicTrust(true);
    expect(store).toBeInstanceOf(quic.TrustStore);
    expect((store as InstanceType<typeof quic.TrustStore>).size).toBe(rootCertificates.length);
    expect(quicTrust(true)).toBe(store);
    // A private CA's leaf is not among them.
    expect(() => quic.verifyServerCertificateChain(chain, { serverName: "localhost", trust: store })).toThrow(
      quic.TlsAlertError,
    );
  });

  it("accepts any chain for verify: false", () => {
    expect(quicTrust(false)).toBe("any");
  });

  it("trusts exactly the bundle given as PEM text, PEM bytes or a file", () => {
    const dir = mkdtempSync(join(tmpdir(), "nq-quic-trust-"));
    const file = join(dir, "ca.pem");
    writeFileSync(file, pki.ca.cert);
    try {
      for (const verify of [pki.ca.cert, new TextEncoder().encode(pki.ca.cert), file]) {
        const trust = quicTrust(verify);
        expect(trust).not.toBe("any");
        const accepted = quic.verifyServerCertificateChain(chain, { serverName: "localhost", trust });
        expect(accepted.subject).toContain("localhost");
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("fails a missing file or a bundle without certificates as a tls TransportError", () => {
    for (const verify of [join("/nonexistent", "ca.pem"), new TextEncoder().encode("no certificates here")]) {
      let error: unknown;
      try {
        quicTrust(verify);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(TransportError);
      expect(error).toMatchObject({ kind: "tls", phase: "connect", retryable: false });
    }
  });
});
