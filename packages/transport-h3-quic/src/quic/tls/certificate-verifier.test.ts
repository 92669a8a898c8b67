import { Buffer } from "node:buffer";
import { generateKeyPairSync, randomBytes, X509Certificate } from "node:crypto";
import { Duplex } from "node:stream";
import * as tls from "node:tls";
import { createTestPki, type TestCertificate, type TestKeyType } from "@nq/testkit";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { mutatedBytes } from "../test-support/arbitraries.js";
import {
  OID_AUTHORITY_KEY_ID,
  OID_KEY_USAGE,
  partsOf,
  signed,
  TBS,
  withoutExtension,
} from "../test-support/certificate-der.js";
import { fromHex } from "../test-support/hex.js";
import { messages } from "../test-support/rfc8448-vectors.js";
import { TlsAlert, TlsAlertError } from "./alert.js";
import { TrustStore, verifyServerCertificateChain } from "./certificate-verifier.js";
import { decodeCertificate } from "./handshake-messages.js";

const DAY = 86_400_000;

// --- Helpers ---

function ders(pem: string): Uint8Array[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((block) => new Uint8Array(new X509Certificate(block).raw));
}

function pemOf(der: Uint8Array): string {
  return new X509Certificate(der).toString();
}

interface Failure {
  readonly alert: number;
  readonly code: string | undefined;
  readonly message: string;
  readonly causeMessage: string | undefined;
}

function failure(run: () => unknown): Failure {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(TlsAlertError);
    const alertError = error as TlsAlertError;
    const cause = alertError.cause as { code?: string; message?: string } | undefined;
    return {
      alert: alertError.alert,
      code: cause?.code,
      message: alertError.message,
      causeMessage: cause?.message,
    };
  }
  throw new Error("expected a TlsAlertError, nothing was thrown");
}

const expired = (): { notAfter: Date } => ({ notAfter: new Date(Date.now() - DAY) });

const pki = createTestPki();
const other = createTestPki();
const trust = [pki.ca.cert];
// testkit reuses one key per role and type, so a signature that must fail needs a key of its own.
const strangerKey = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;

function verifyPem(
  chain: string,
  serverName = "localhost",
  anchors: readonly string[] = trust,
): X509Certificate {
  return verifyServerCertificateChain(ders(chain), { serverName, trust: anchors });
}

describe("verifyServerCertificateChain: paths to a trust anchor", () => {
  it.each<TestKeyType>(["ec", "rsa", "ed25519"])(
    "accepts leaf + intermediate under a trusted root (%s)",
    (keyType) => {
      const root = createTestPki({ keyType });
      const intermediate = root.issue({ isCa: true, keyType });
      const leaf = intermediate.issue({ keyType });
      const result = verifyServerCertificateChain(ders(leaf.chain), {
        serverName: "localhost",
        trust: [root.ca.cert],
      });
      expect(result.raw.equals(new X509Certificate(leaf.cert).raw)).toBe(true);
    },
  );

  it("accepts intermediates in any order, with duplicates and an unrelated extra", () => {
    const upper = pki.issue({ isCa: true });
    const lower = upper.issue({ isCa: true });
    const leaf = lower.issue();
    const [leafDer, lowerDer, upperDer] = ders(leaf.chain);
    const unrelated = ders(other.issue({ isCa: true }).cert)[0]!;
    const chain = [leafDer!, unrelated, upperDer!, lowerDer!, upperDer!, leafDer!];
    expect(verifyServerCertificateChain(chain, { serverName: "localhost", trust }).subject).toContain(
      "CN=localhost",
    );
  });

  it("accepts a chain that also carries the root", () => {
    const leaf = pki.issue({ isCa: true }).issue();
    expect(() => verifyPem(leaf.chain + pki.ca.cert)).not.toThrow();
  });

  it("ends the path at a trusted intermediate (a partial chain)", () => {
    const intermediate = pki.issue({ isCa: true });
    const leaf = intermediate.issue();
    expect(() => verifyPem(leaf.cert, "localhost", [intermediate.cert])).not.toThrow();
  });

  it("accepts a self-signed leaf that is itself a trust anchor (pinning)", () => {
    const leaf = pki.issue({ selfSigned: true });
    expect(() => verifyPem(leaf.cert, "localhost", [leaf.cert])).not.toThrow();
  });

  it("accepts the RFC 8448 §3 server certificate pinned, matched by its CN", () => {
    const der = decodeCertificate(fromHex(messages.certificate.hex).subarray(4)).entries[0]!.data;
    const leaf = verifyServerCertificateChain([der], {
      serverName: "rsa", // no subjectAltName: the CN is the name
      trust: [new X509Certificate(der)],
      now: new Date("2020-01-01T00:00:00Z"),
    });
    expect(leaf.subject).toBe("CN=rsa");
  });

  it("rejects a chain longer than ten certificates, root included", () => {
    let authority = pki.issue({ isCa: true });
    for (let i = 0; i < 7; i++) authority = authority.issue({ isCa: true });
    expect(() => verifyPem(authority.issue().chain)).not.toThrow(); // 8 intermediates: 10 in all
    const longer = authority.issue({ isCa: true }).issue();
    expect(failure(() => verifyPem(longer.chain))).toMatchObject({
      alert: TlsAlert.unknown_ca,
      code: "CERT_CHAIN_TOO_LONG",
    });
  });
});

describe("TrustStore", () => {
  it("reads a PEM bundle with several certificates and text between them", () => {
    const bundle = `# first\n${other.ca.cert}\nsome comment\n${pki.ca.cert}`;
    const store = new TrustStore([bundle]);
    expect(store.size).toBe(2);
    expect(new TrustStore(bundle).size).toBe(2);
    expect(() =>
      verifyServerCertificateChain(ders(pki.issue().chain), { serverName: "localhost", trust: store }),
    ).not.toThrow();
    expect(() =>
      verifyServerCertificateChain(ders(other.issue().chain), { serverName: "localhost", trust: store }),
    ).not.toThrow();
  });

  it("takes the system roots plus a private CA, once, and de-duplicates", () => {
    const store = new TrustStore([...tls.rootCertificates, pki.ca.cert, new X509Certificate(pki.ca.cert)]);
    expect(store.size).toBe(tls.rootCertificates.length + 1);
    const leaf = new X509Certificate(pki.ca.cert);
    expect(store.includes(leaf)).toBe(true);
    expect(store.withSubject(leaf.subject)).toHaveLength(1);
    for (let i = 0; i < 3; i++) {
      expect(() =>
        verifyServerCertificateChain(ders(pki.issue().chain), { serverName: "localhost", trust: store }),
      ).not.toThrow();
    }
  });

  it("refuses a string without a certificate, or a certificate that does not parse", () => {
    expect(() => new TrustStore(["/etc/ssl/cert.pem"])).toThrow(TypeError);
    expect(() => new TrustStore(["-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"])).toThrow(
      /trust anchor 0: certificate 0 does not parse/,
    );
  });
});

describe("verifyServerCertificateChain: untrusted chains (unknown_ca)", () => {
  it("a leaf from another PKI, sent alone: unable to verify the first certificate", () => {
    expect(failure(() => verifyPem(other.issue().chain))).toMatchObject({
      alert: TlsAlert.unknown_ca,
      code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
      causeMessage: "unable to verify the first certificate",
    });
  });

  it("a leaf from another PKI with its intermediate: unable to get local issuer certificate", () => {
    expect(failure(() => verifyPem(other.issue({ isCa: true }).issue().chain))).toMatchObject({
      alert: TlsAlert.unknown_ca,
      code: "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
      causeMessage: "unable to get local issuer certificate",
    });
  });

  it("another PKI's chain up to its own root: self-signed certificate in certificate chain", () => {
    expect(failure(() => verifyPem(other.issue().cert + other.ca.cert))).toMatchObject({
      alert: TlsAlert.unknown_ca,
      code: "SELF_SIGNED_CERT_IN_CHAIN",
    });
  });

  it("a self-signed leaf: self-signed certificate", () => {
    expect(failure(() => verifyPem(pki.issue({ selfSigned: true }).cert))).toMatchObject({
      alert: TlsAlert.unknown_ca,
      code: "DEPTH_ZERO_SELF_SIGNED_CERT",
      causeMessage: "self-signed certificate",
    });
  });

  it("an empty trust store trusts nothing", () => {
    expect(failure(() => verifyPem(pki.issue().chain, "localhost", []))).toMatchObject({
      code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    });
  });
});

describe("verifyServerCertificateChain: validity dates (certificate_expired)", () => {
  it("an expired leaf", () => {
    expect(failure(() => verifyPem(pki.issue(expired()).chain))).toMatchObject({
      alert: TlsAlert.certificate_expired,
      code: "CERT_HAS_EXPIRED",
      causeMessage: "certificate has expired",
    });
  });

  it("a leaf that is not yet valid", () => {
    const leaf = pki.issue({
      notBefore: new Date(Date.now() + DAY),
      notAfter: new Date(Date.now() + 2 * DAY),
    });
    expect(failure(() => verifyPem(leaf.chain))).toMatchObject({
      alert: TlsAlert.certificate_expired,
      code: "CERT_NOT_YET_VALID",
      causeMessage: "certificate is not yet valid",
    });
  });

  it("an expired intermediate, named by depth", () => {
    const leaf = pki.issue({ isCa: true, ...expired() }).issue();
    const result = failure(() => verifyPem(leaf.chain));
    expect(result).toMatchObject({ alert: TlsAlert.certificate_expired, code: "CERT_HAS_EXPIRED" });
    expect(result.message).toContain("depth 1");
  });

  it("an expired self-signed leaf reports the expiry, as Node does", () => {
    expect(failure(() => verifyPem(pki.issue({ selfSigned: true, ...expired() }).cert))).toMatchObject({
      code: "CERT_HAS_EXPIRED",
    });
  });

  it("judges the dates at `now` when given", () => {
    const leaf = pki.issue({
      notBefore: new Date(Date.now() + 10 * DAY),
      notAfter: new Date(Date.now() + 20 * DAY),
    });
    const chain = ders(leaf.chain);
    const at = (now: Date): unknown =>
      verifyServerCertificateChain(chain, { serverName: "localhost", trust, now });
    expect(() => at(new Date(Date.now() + 15 * DAY))).not.toThrow();
    expect(failure(() => at(new Date())).code).toBe("CERT_NOT_YET_VALID");
    expect(failure(() => at(new Date(Date.now() + 30 * DAY))).code).toBe("CERT_HAS_EXPIRED");
  });

  it("judges the trust anchor's dates too", () => {
    const leaf = pki.issue({ notAfter: new Date(Date.now() + 800 * DAY) });
    // testkit roots are valid for a year from a day ago.
    const result = failure(() =>
      verifyServerCertificateChain(ders(leaf.chain), {
        serverName: "localhost",
        trust,
        now: new Date(Date.now() + 400 * DAY),
      }),
    );
    expect(result).toMatchObject({ alert: TlsAlert.certificate_expired, code: "CERT_HAS_EXPIRED" });
    expect(result.message).toContain("depth 1");
  });
});

describe("verifyServerCertificateChain: the certificates themselves", () => {
  it("a forged leaf signature: certificate signature failure", () => {
    const { tbs, algorithm } = partsOf(pki.issue().cert);
    expect(failure(() => verifyPem(pemOf(signed(tbs, algorithm, strangerKey))))).toMatchObject({
      alert: TlsAlert.bad_certificate,
      code: "CERT_SIGNATURE_FAILURE",
      causeMessage: "certificate signature failure",
    });
  });

  it("a forged intermediate signature", () => {
    const intermediate = pki.issue({ isCa: true });
    const { tbs, algorithm } = partsOf(intermediate.cert);
    const chain = intermediate.issue().cert + pemOf(signed(tbs, algorithm, strangerKey));
    const result = failure(() => verifyPem(chain));
    expect(result).toMatchObject({ alert: TlsAlert.bad_certificate, code: "CERT_SIGNATURE_FAILURE" });
    expect(result.message).toContain("depth 1");
  });

  function issuedByLeaf(stripIssuerKeyUsage: boolean): string {
    const issuer = pki.issue({ hosts: ["issuer.test"] });
    const victim = partsOf(pki.issue().cert);
    let issuerPem = issuer.cert;
    if (stripIssuerKeyUsage) {
      const parts = partsOf(issuer.cert);
      issuerPem = pemOf(signed(withoutExtension(parts.tbs, OID_KEY_USAGE), parts.algorithm, pki.key));
    }
    const tbs = withoutExtension(victim.tbs, OID_AUTHORITY_KEY_ID);
    tbs[TBS.issuer] = partsOf(issuer.cert).tbs[TBS.subject]!;
    return pemOf(signed(tbs, victim.algorithm, issuer.key)) + issuerPem;
  }

  it("a leaf used as a CA: invalid CA certificate", () => {
    for (const stripKeyUsage of [false, true]) {
      expect(failure(() => verifyPem(issuedByLeaf(stripKeyUsage)))).toMatchObject({
        alert: TlsAlert.bad_certificate,
        code: "INVALID_CA",
        causeMessage: "invalid CA certificate",
      });
    }
  });

  it("a leaf whose extended key usage lacks serverAuth: unsupported certificate purpose", () => {
    const { tbs, algorithm } = partsOf(pki.issue().cert);
    const extensions = Buffer.from(tbs[TBS.extensions]!);
    const serverAuth = Buffer.from("06082b06010505070301", "hex");
    const at = extensions.indexOf(serverAuth);
    expect(at).toBeGreaterThan(0);
    extensions[at + serverAuth.length - 1] = 2; // id-kp-clientAuth
    tbs[TBS.extensions] = new Uint8Array(extensions);
    expect(failure(() => verifyPem(pemOf(signed(tbs, algorithm, pki.key))))).toMatchObject({
      alert: TlsAlert.unsupported_certificate,
      code: "INVALID_PURPOSE",
      causeMessage: "unsuitable certificate purpose",
    });
  });

  it("accepts an extended key usage that allows serverAuth among others", () => {
    expect(() => verifyPem(pki.issue({ clientAuth: true }).chain)).not.toThrow();
  });
});

describe("verifyServerCertificateChain: the server name", () => {
  const leaf = pki.issue({ hosts: ["localhost", "*.example.com", "127.0.0.1", "::1"] });

  it.each([
    "localhost",
    "LocalHost",
    "localhost.",
    "a.example.com",
    "127.0.0.1",
    "::1",
    "[::1]",
    "0:0:0:0:0:0:0:1",
  ])("accepts %s", (name) => {
    expect(() => verifyPem(leaf.chain, name)).not.toThrow();
  });

  it.each([
    "example.com",
    "a.b.example.com",
    "localhost.example",
    "127.0.0.2",
    "::2",
    "[::2]",
    "10.0.0.1",
    "",
  ])("rejects %s with Node's error", (name) => {
    const result = failure(() => verifyPem(leaf.chain, name));
    expect(result).toMatchObject({ alert: TlsAlert.bad_certificate, code: "ERR_TLS_CERT_ALTNAME_INVALID" });
    expect(result.causeMessage).toMatch(/^Hostname\/IP does not match certificate's altnames: /);
  });

  it("matches tls.checkServerIdentity, verdict and message, over wildcards, IPs and the CN", () => {
    const certificates: TestCertificate[] = [
      pki.issue({ hosts: ["*.example.com"] }),
      pki.issue({ hosts: ["f*.example.com", "www.example.org"] }),
      pki.issue({ hosts: ["*.com"] }),
      pki.issue({ hosts: ["xn--*.example.com"] }),
      pki.issue({ hosts: ["example.com", "10.1.2.3", "2001:db8::1"] }),
      pki.issue({ hosts: ["10.1.2.3"] }),
      pki.issue({ hosts: [] }), // no subjectAltName: the CN is "nq testkit leaf N"
    ];
    const names = [
      "example.com",
      "a.example.com",
      "A.Example.COM",
      "a.b.example.com",
      "foo.example.com",
      "f.example.com",
      "bar.example.com",
      "www.example.org",
      "com",
      "x.com",
      "xn--abc.example.com",
      "example.com.",
      "10.1.2.3",
      "10.1.2.4",
      "2001:db8::1",
      "2001:DB8:0:0:0:0:0:1",
      "2001:db8::2",
      "localhost",
    ];
    for (const certificate of certificates) {
      const legacy = new X509Certificate(certificate.cert).toLegacyObject();
      for (const name of names) {
        const expected = tls.checkServerIdentity(name, legacy);
        let actual: Error | undefined;
        try {
          verifyPem(certificate.chain, name);
        } catch (error) {
          actual = (error as TlsAlertError).cause as Error;
        }
        expect({ cert: legacy.subjectaltname, name, error: actual?.message }).toEqual({
          cert: legacy.subjectaltname,
          name,
          error: expected?.message,
        });
      }
    }
  });

  it("checks the name only once the chain is good, as Node does", () => {
    expect(failure(() => verifyPem(pki.issue(expired()).chain, "example.com")).code).toBe("CERT_HAS_EXPIRED");
  });
});

describe("verifyServerCertificateChain with trust: 'any'", () => {
  const any = { serverName: "wrong.example", trust: "any" } as const;

  it("accepts a self-signed, expired certificate for another host", () => {
    const leaf = pki.issue({ selfSigned: true, ...expired() });
    expect(verifyServerCertificateChain(ders(leaf.cert), any).subject).toContain("CN=localhost");
  });

  it("still rejects an empty certificate list (decode_error, RFC 8446 §4.4.2.4)", () => {
    expect(failure(() => verifyServerCertificateChain([], any))).toMatchObject({
      alert: TlsAlert.decode_error,
    });
    expect(failure(() => verifyServerCertificateChain([], { serverName: "localhost", trust }))).toMatchObject(
      {
        alert: TlsAlert.decode_error,
      },
    );
  });

  it("still rejects bytes that are not exactly one DER certificate", () => {
    const good = ders(pki.issue().cert)[0]!;
    const cases = [
      randomBytes(64),
      new Uint8Array(0),
      Uint8Array.of(0x30, 0x03, 1, 2, 3),
      Uint8Array.from([...good, 0]),
      good.subarray(0, good.length - 1),
      new TextEncoder().encode(pki.issue().cert), // PEM, which X509Certificate alone would take
    ];
    for (const bytes of cases) {
      expect(failure(() => verifyServerCertificateChain([bytes], any)).alert).toBe(TlsAlert.bad_certificate);
      expect(failure(() => verifyServerCertificateChain([good, bytes], any)).alert).toBe(
        TlsAlert.bad_certificate,
      );
    }
  });
});

describe("verifyServerCertificateChain agrees with Node's own TLS client", () => {
  function duplexPair(): [Duplex, Duplex] {
    const sides: Duplex[] = [];
    const make = (peer: () => Duplex): Duplex =>
      new Duplex({
        read() {},
        write(chunk, _encoding, done) {
          peer().push(chunk);
          done();
        },
        final(done) {
          peer().push(null);
          done();
        },
      });
    sides.push(
      make(() => sides[1]!),
      make(() => sides[0]!),
    );
    return [sides[0]!, sides[1]!];
  }

  /** tls.connect over an in-memory pair: undefined when it connects, else the error's code. */
  function nodeVerdict(key: string, chain: string, ca: string, host: string): Promise<string | undefined> {
    return new Promise((resolve) => {
      const [serverSide, clientSide] = duplexPair();
      const server = new tls.TLSSocket(serverSide, {
        isServer: true,
        secureContext: tls.createSecureContext({ key, cert: chain }),
      });
      server.on("error", () => {});
      const client = tls.connect({ socket: clientSide, ca, host });
      client.on("secureConnect", () => {
        resolve(undefined);
        client.destroy();
      });
      client.on("error", (error: NodeJS.ErrnoException) => {
        resolve(error.code);
        client.destroy();
        server.destroy();
      });
    });
  }

  const forge = (certificate: TestCertificate): string => {
    const { tbs, algorithm } = partsOf(certificate.cert);
    return pemOf(signed(tbs, algorithm, strangerKey));
  };
  const cases: Record<string, () => { leaf: TestCertificate; chain: string; host?: string }> = {
    good: () => {
      const leaf = pki.issue({ isCa: true }).issue();
      return { leaf, chain: leaf.chain };
    },
    otherPkiAlone: () => {
      const leaf = other.issue();
      return { leaf, chain: leaf.chain };
    },
    otherPkiWithIntermediate: () => {
      const leaf = other.issue({ isCa: true }).issue();
      return { leaf, chain: leaf.chain };
    },
    otherPkiWithRoot: () => {
      const leaf = other.issue();
      return { leaf, chain: leaf.cert + other.ca.cert };
    },
    selfSigned: () => {
      const leaf = pki.issue({ selfSigned: true });
      return { leaf, chain: leaf.cert };
    },
    expired: () => {
      const leaf = pki.issue(expired());
      return { leaf, chain: leaf.chain };
    },
    notYetValid: () => {
      const leaf = pki.issue({
        notBefore: new Date(Date.now() + DAY),
        notAfter: new Date(Date.now() + 2 * DAY),
      });
      return { leaf, chain: leaf.chain };
    },
    expiredIntermediate: () => {
      const leaf = pki.issue({ isCa: true, ...expired() }).issue();
      return { leaf, chain: leaf.chain };
    },
    expiredUntrustedIntermediate: () => {
      const leaf = other.issue({ isCa: true, ...expired() }).issue();
      return { leaf, chain: leaf.chain };
    },
    expiredSelfSigned: () => {
      const leaf = pki.issue({ selfSigned: true, ...expired() });
      return { leaf, chain: leaf.cert };
    },
    forgedLeaf: () => {
      const leaf = pki.issue();
      return { leaf, chain: forge(leaf) };
    },
    forgedIntermediate: () => {
      const intermediate = pki.issue({ isCa: true });
      const leaf = intermediate.issue();
      return { leaf, chain: leaf.cert + forge(intermediate) };
    },
    forgedAndExpired: () => {
      const leaf = pki.issue(expired());
      return { leaf, chain: forge(leaf) };
    },
    wrongHost: () => {
      const leaf = pki.issue();
      return { leaf, chain: leaf.chain, host: "example.com" };
    },
    wrongIp: () => {
      const leaf = pki.issue();
      return { leaf, chain: leaf.chain, host: "10.0.0.1" };
    },
  };

  it.each(Object.keys(cases))("%s", async (name) => {
    const { leaf, chain, host = "localhost" } = cases[name]!();
    const expected = await nodeVerdict(leaf.key, chain, pki.ca.cert, host);
    let actual: string | undefined;
    try {
      verifyPem(chain, host);
    } catch (error) {
      actual = ((error as TlsAlertError).cause as { code: string }).code;
    }
    expect(actual).toBe(expected);
  });
});

describe("verifyServerCertificateChain on random input", () => {
  const leaf = pki.issue({ isCa: true }).issue();
  const samples = ders(leaf.chain);

  it("throws only TlsAlertError for random bytes", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 600 }), { maxLength: 4 }), (chain) => {
        for (const trustOption of ["any", trust] as const) {
          failure(() => verifyServerCertificateChain(chain, { serverName: "localhost", trust: trustOption }));
        }
      }),
      { numRuns: 500 },
    );
  });

  it("returns the leaf or throws TlsAlertError for mutated certificates", () => {
    fc.assert(
      fc.property(mutatedBytes(samples), fc.nat({ max: 1 }), (mutated, position) => {
        const chain = [...samples];
        chain[position] = mutated;
        try {
          verifyServerCertificateChain(chain, { serverName: "localhost", trust });
        } catch (error) {
          if (!(error instanceof TlsAlertError)) throw error;
        }
      }),
      { numRuns: 300 },
    );
  });
});
