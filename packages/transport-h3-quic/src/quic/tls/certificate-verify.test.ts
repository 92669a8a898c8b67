import { createPrivateKey, generateKeyPairSync, sign, X509Certificate } from "node:crypto";
import { createTestPki } from "@nq/testkit";
import { describe, expect, it } from "vitest";
import { withPublicKey } from "../test-support/certificate-der.js";
import { fromHex, toHex } from "../test-support/hex.js";
import { messages } from "../test-support/rfc8448-vectors.js";
import { alertOf } from "../test-support/thrown.js";
import { signWithScheme } from "../test-support/tls-test-server.js";
import { TlsAlert } from "./alert.js";
import {
  certificateVerifyContent,
  DEFAULT_SIGNATURE_SCHEMES,
  isCertificateVerifyScheme,
  verifyCertificateVerifySignature,
} from "./certificate-verify.js";
import { decodeCertificate, decodeCertificateVerify, SignatureScheme } from "./handshake-messages.js";
import { TranscriptHash } from "./key-schedule.js";

const msg = (name: keyof typeof messages): Uint8Array => fromHex(messages[name].hex);

describe("certificateVerifyContent", () => {
  it("is 64 spaces, the server's context string, a zero byte and the transcript hash", () => {
    const content = certificateVerifyContent("server", Uint8Array.of(1, 2, 3));
    expect(toHex(content)).toBe(
      `${"20".repeat(64)}${toHex(new TextEncoder().encode("TLS 1.3, server CertificateVerify"))}00010203`,
    );
    expect(
      new TextDecoder().decode(certificateVerifyContent("client", new Uint8Array(0)).subarray(64, -1)),
    ).toBe("TLS 1.3, client CertificateVerify");
  });
});

describe("verifyCertificateVerifySignature", () => {
  it("verifies the RFC 8448 §3 RSA-PSS signature over the trace's transcript", () => {
    const transcript = new TranscriptHash("sha256");
    for (const name of ["clientHello", "serverHello", "encryptedExtensions", "certificate"] as const)
      transcript.update(msg(name));
    const leaf = new X509Certificate(decodeCertificate(msg("certificate").subarray(4)).entries[0]!.data);
    const { scheme, signature } = decodeCertificateVerify(msg("certificateVerify").subarray(4));
    expect(scheme).toBe(SignatureScheme.rsa_pss_rsae_sha256);
    const transcriptHash = transcript.digest();
    const content = certificateVerifyContent("server", transcriptHash);
    expect(() => verifyCertificateVerifySignature(leaf, scheme, signature, content)).not.toThrow();
    const tampered = signature.slice();
    tampered[10]! ^= 0x40;
    expect(alertOf(() => verifyCertificateVerifySignature(leaf, scheme, tampered, content))).toBe(
      TlsAlert.decrypt_error,
    );
    const otherHash = transcriptHash.slice();
    otherHash[31]! ^= 1;
    expect(
      alertOf(() =>
        verifyCertificateVerifySignature(
          leaf,
          scheme,
          signature,
          certificateVerifyContent("server", otherHash),
        ),
      ),
    ).toBe(TlsAlert.decrypt_error);
    // The same signature does not verify as a client's: the context string differs.
    const asClient = certificateVerifyContent("client", transcriptHash);
    expect(alertOf(() => verifyCertificateVerifySignature(leaf, scheme, signature, asClient))).toBe(
      TlsAlert.decrypt_error,
    );
  });

  // testkit issues P-256, RSA and Ed25519 certificates; a P-384 or RSASSA-PSS key is put into
  // one of them by hand, which CertificateVerify (using only the key) cannot tell apart.
  const pki = createTestPki();
  const holder = (keyType: "ec" | "rsa" | "ed25519") => {
    const issued = pki.issue({ hosts: ["server.test"], keyType });
    return { certificate: new X509Certificate(issued.cert), key: createPrivateKey(issued.key) };
  };
  const ec256 = holder("ec");
  const rsa = holder("rsa");
  const p384 = generateKeyPairSync("ec", { namedCurve: "P-384" });
  const pss = generateKeyPairSync("rsa-pss", { modulusLength: 2048 });
  const pssSha256Only = generateKeyPairSync("rsa-pss", {
    modulusLength: 2048,
    hashAlgorithm: "sha256",
    mgf1HashAlgorithm: "sha256",
  });
  const holders = {
    ec256,
    ec384: { certificate: withPublicKey(ec256.certificate.raw, p384.publicKey), key: p384.privateKey },
    rsa,
    pss: { certificate: withPublicKey(rsa.certificate.raw, pss.publicKey), key: pss.privateKey },
    pssSha256Only: {
      certificate: withPublicKey(rsa.certificate.raw, pssSha256Only.publicKey),
      key: pssSha256Only.privateKey,
    },
    ed25519: holder("ed25519"),
  };
  type Holder = keyof typeof holders;
  const good: [string, Holder, number][] = [
    ["ecdsa_secp256r1_sha256", "ec256", SignatureScheme.ecdsa_secp256r1_sha256],
    ["ecdsa_secp384r1_sha384", "ec384", SignatureScheme.ecdsa_secp384r1_sha384],
    ["rsa_pss_rsae_sha256", "rsa", SignatureScheme.rsa_pss_rsae_sha256],
    ["rsa_pss_rsae_sha384", "rsa", SignatureScheme.rsa_pss_rsae_sha384],
    ["rsa_pss_rsae_sha512", "rsa", SignatureScheme.rsa_pss_rsae_sha512],
    ["rsa_pss_pss_sha256", "pss", SignatureScheme.rsa_pss_pss_sha256],
    ["rsa_pss_pss_sha384", "pss", SignatureScheme.rsa_pss_pss_sha384],
    ["rsa_pss_pss_sha512", "pss", SignatureScheme.rsa_pss_pss_sha512],
    ["rsa_pss_pss_sha256 (key restricted to SHA-256)", "pssSha256Only", SignatureScheme.rsa_pss_pss_sha256],
    ["ed25519", "ed25519", SignatureScheme.ed25519],
  ];

  it.each(good)(
    "%s: accepts a real signature, refuses a tampered or truncated one",
    (_name, name, scheme) => {
      const { certificate, key } = holders[name];
      const content = certificateVerifyContent("server", new Uint8Array(32).fill(7));
      const signature = signWithScheme(key, scheme, content);
      expect(() => verifyCertificateVerifySignature(certificate, scheme, signature, content)).not.toThrow();
      const otherContent = content.slice();
      otherContent[100]! ^= 1;
      expect(
        alertOf(() => verifyCertificateVerifySignature(certificate, scheme, signature, otherContent)),
      ).toBe(TlsAlert.decrypt_error);
      const tampered = signature.slice();
      tampered[tampered.length >> 1]! ^= 0x01;
      expect(alertOf(() => verifyCertificateVerifySignature(certificate, scheme, tampered, content))).toBe(
        TlsAlert.decrypt_error,
      );
      for (const cut of [signature.subarray(1), new Uint8Array(0)])
        expect(alertOf(() => verifyCertificateVerifySignature(certificate, scheme, cut, content))).toBe(
          TlsAlert.decrypt_error,
        );
    },
  );

  it("refuses an ECDSA signature that is not DER (IEEE P1363 r || s)", () => {
    const content = certificateVerifyContent("server", new Uint8Array(32));
    const raw = sign("sha256", content, { key: ec256.key, dsaEncoding: "ieee-p1363" });
    expect(
      alertOf(() =>
        verifyCertificateVerifySignature(
          ec256.certificate,
          SignatureScheme.ecdsa_secp256r1_sha256,
          raw,
          content,
        ),
      ),
    ).toBe(TlsAlert.decrypt_error);
  });

  it.each<[string, Holder, number]>([
    ["an ECDSA scheme with an RSA key", "rsa", SignatureScheme.ecdsa_secp256r1_sha256],
    ["the P-384 scheme with a P-256 key", "ec256", SignatureScheme.ecdsa_secp384r1_sha384],
    ["the P-256 scheme with a P-384 key", "ec384", SignatureScheme.ecdsa_secp256r1_sha256],
    ["rsa_pss_rsae with an RSASSA-PSS key", "pss", SignatureScheme.rsa_pss_rsae_sha256],
    ["rsa_pss_pss with an rsaEncryption key", "rsa", SignatureScheme.rsa_pss_pss_sha256],
    ["SHA-384 with a PSS key restricted to SHA-256", "pssSha256Only", SignatureScheme.rsa_pss_pss_sha384],
    ["ed25519 with an ECDSA key", "ec256", SignatureScheme.ed25519],
    ["an RSA scheme with an Ed25519 key", "ed25519", SignatureScheme.rsa_pss_rsae_sha256],
    ["rsa_pkcs1_sha256", "rsa", SignatureScheme.rsa_pkcs1_sha256],
    ["rsa_pkcs1_sha1", "rsa", SignatureScheme.rsa_pkcs1_sha1],
    ["ecdsa_sha1", "ec256", SignatureScheme.ecdsa_sha1],
    ["ed448", "ed25519", SignatureScheme.ed448],
    ["an unknown scheme", "ec256", 0x0a0a],
  ])("illegal_parameter for %s, before looking at the signature", (_name, name, scheme) => {
    const { certificate, key } = holders[name];
    const content = certificateVerifyContent("server", new Uint8Array(32));
    // A signature that would verify if the scheme were ignored: the refusal must come first.
    const signature = sign(name === "ed25519" ? null : "sha256", content, key);
    expect(alertOf(() => verifyCertificateVerifySignature(certificate, scheme, signature, content))).toBe(
      TlsAlert.illegal_parameter,
    );
  });

  it("offers every scheme it verifies, PKCS#1 only for certificate signatures, and never SHA-1", () => {
    const verified = new Set(good.map(([, , scheme]) => scheme));
    expect(new Set(DEFAULT_SIGNATURE_SCHEMES.filter(isCertificateVerifyScheme))).toEqual(verified);
    expect(DEFAULT_SIGNATURE_SCHEMES.filter((scheme) => !isCertificateVerifyScheme(scheme))).toEqual([
      SignatureScheme.rsa_pkcs1_sha256,
      SignatureScheme.rsa_pkcs1_sha384,
      SignatureScheme.rsa_pkcs1_sha512,
    ]);
    expect(new Set(DEFAULT_SIGNATURE_SCHEMES).size).toBe(DEFAULT_SIGNATURE_SCHEMES.length);
    expect(DEFAULT_SIGNATURE_SCHEMES).not.toContain(SignatureScheme.rsa_pkcs1_sha1);
    expect(DEFAULT_SIGNATURE_SCHEMES).not.toContain(SignatureScheme.ecdsa_sha1);
  });
});
