import { X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createTestPki, type TestKeyType } from "./certificates.js";
import { integer, namedBits, oid, time, tlv, unsignedInteger } from "./der.js";

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
const DAY = 86_400_000;

describe("DER encoding", () => {
  it("encodes short and long lengths", () => {
    expect(hex(tlv(0x04, new Uint8Array(3)))).toBe("0403000000");
    expect(hex(tlv(0x04, new Uint8Array(200))).slice(0, 6)).toBe("0481c8");
    expect(hex(tlv(0x04, new Uint8Array(300))).slice(0, 8)).toBe("0482012c");
  });

  it("keeps integers positive and minimal", () => {
    expect(hex(integer(0))).toBe("020100");
    expect(hex(integer(127))).toBe("02017f");
    expect(hex(integer(128))).toBe("02020080");
    expect(hex(integer(256))).toBe("02020100");
    expect(hex(unsignedInteger(Uint8Array.of(0, 0, 0x80)))).toBe("02020080");
  });

  it("encodes object identifiers with multi-byte arcs", () => {
    expect(hex(oid("1.2.840.113549.1.1.11"))).toBe("06092a864886f70d01010b");
    expect(hex(oid("2.5.29.17"))).toBe("0603551d11");
  });

  it("drops trailing zero bits from named bit strings", () => {
    expect(hex(namedBits([0]))).toBe("03020780");
    expect(hex(namedBits([0, 5, 6]))).toBe("03020186");
    expect(hex(namedBits([0, 2]))).toBe("030205a0");
  });

  it("uses UTCTime through 2049 and GeneralizedTime from 2050", () => {
    const ascii = (bytes: Uint8Array): string => Buffer.from(bytes.subarray(2)).toString("latin1");
    expect(ascii(time(new Date(Date.UTC(2049, 11, 31, 23, 59, 59))))).toBe("491231235959Z");
    expect(time(new Date(Date.UTC(2049, 0, 1)))[0]).toBe(0x17);
    const late = time(new Date(Date.UTC(2050, 0, 2, 3, 4, 5)));
    expect(late[0]).toBe(0x18);
    expect(ascii(late)).toBe("20500102030405Z");
  });
});

describe("createTestPki", () => {
  const keyTypes: TestKeyType[] = ["ec", "rsa", "ed25519"];

  for (const caType of keyTypes) {
    for (const leafType of keyTypes) {
      it(`issues a ${leafType} leaf under a ${caType} root that node:crypto verifies`, () => {
        const pki = createTestPki({ keyType: caType });
        const ca = new X509Certificate(pki.ca.cert);
        expect(ca.ca).toBe(true);
        expect(ca.verify(ca.publicKey)).toBe(true);
        const leaf = new X509Certificate(pki.issue({ keyType: leafType }).cert);
        expect(leaf.ca).toBe(false);
        expect(leaf.verify(ca.publicKey)).toBe(true);
        expect(leaf.checkIssued(ca)).toBe(true);
        expect(leaf.publicKey.asymmetricKeyType).toBe(leafType === "ec" ? "ec" : leafType);
      });
    }
  }

  it("names the loopback hosts in subjectAltName by default", () => {
    const leaf = new X509Certificate(createTestPki().issue().cert);
    expect(leaf.checkHost("localhost")).toBe("localhost");
    expect(leaf.checkIP("127.0.0.1")).toBe("127.0.0.1");
    expect(leaf.checkIP("::1")).toBe("::1");
    expect(leaf.checkHost("example.org")).toBeUndefined();
    expect(leaf.checkIP("127.0.0.2")).toBeUndefined();
    expect(leaf.subject).toContain("CN=localhost");
    expect(leaf.keyUsage).toEqual(["1.3.6.1.5.5.7.3.1"]);
  });

  it("encodes full IPv6 addresses and embedded IPv4", () => {
    const leaf = new X509Certificate(
      createTestPki().issue({ hosts: ["2001:db8::8:800:200c:417a", "::ffff:10.0.0.1"] }).cert,
    );
    expect(leaf.checkIP("2001:db8::8:800:200c:417a")).toBeDefined();
    expect(leaf.checkIP("::ffff:10.0.0.1")).toBeDefined();
    expect(leaf.checkIP("2001:db8::1")).toBeUndefined();
  });

  it("sets the requested validity, including one already over", () => {
    const notBefore = new Date(Date.UTC(2020, 0, 1));
    const notAfter = new Date(Date.UTC(2020, 0, 2));
    const expired = new X509Certificate(createTestPki().issue({ notBefore, notAfter }).cert);
    expect(new Date(expired.validTo).getTime()).toBe(notAfter.getTime());
    expect(new Date(expired.validFrom).getTime()).toBe(notBefore.getTime());
    // notBefore defaults to before notAfter even when only a past notAfter is given.
    const onlyEnd = new X509Certificate(createTestPki().issue({ notAfter: new Date(Date.now() - DAY) }).cert);
    expect(new Date(onlyEnd.validFrom).getTime()).toBeLessThan(new Date(onlyEnd.validTo).getTime());
  });

  it("adds clientAuth on request", () => {
    const leaf = new X509Certificate(createTestPki().issue({ clientAuth: true }).cert);
    expect(leaf.keyUsage).toEqual(["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]);
  });

  it("makes self-signed leaves that no CA vouches for", () => {
    const pki = createTestPki();
    const selfSigned = pki.issue({ selfSigned: true });
    const cert = new X509Certificate(selfSigned.cert);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.verify(new X509Certificate(pki.ca.cert).publicKey)).toBe(false);
    expect(selfSigned.chain).toBe(selfSigned.cert);
  });

  it("gives every root a unique name, so two PKIs never trust each other", () => {
    const a = new X509Certificate(createTestPki().ca.cert);
    const b = new X509Certificate(createTestPki().ca.cert);
    expect(a.subject).not.toBe(b.subject);
    const leafOfB = new X509Certificate(createTestPki().issue().cert);
    expect(leafOfB.checkIssued(a)).toBe(false);
  });

  it("chains leaves of an intermediate through it", () => {
    const pki = createTestPki();
    const intermediate = pki.issue({ isCa: true });
    const leaf = intermediate.issue();
    expect(leaf.chain).toBe(leaf.cert + intermediate.cert);
    const inter = new X509Certificate(intermediate.cert);
    expect(inter.ca).toBe(true);
    expect(inter.verify(new X509Certificate(pki.ca.cert).publicKey)).toBe(true);
    expect(new X509Certificate(leaf.cert).verify(inter.publicKey)).toBe(true);
  });

  it("reuses generated keys across certificates of the same role", () => {
    const first = createTestPki({ keyType: "rsa" }).issue({ keyType: "rsa" });
    const second = createTestPki({ keyType: "rsa" }).issue({ keyType: "rsa" });
    // The same PEM means the same cached key, so no second RSA key generation happened.
    expect(second.key).toBe(first.key);
    expect(second.cert).not.toBe(first.cert);
  });
});
