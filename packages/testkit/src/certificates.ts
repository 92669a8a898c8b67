import {
  createHash,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
} from "node:crypto";
import { isIPv4, isIPv6 } from "node:net";
import {
  bitString,
  boolean,
  explicit,
  implicit,
  integer,
  namedBits,
  nul,
  octetString,
  oid,
  sequence,
  set,
  time,
  unsignedInteger,
  utf8String,
} from "./der.js";

/** The key algorithm of a test certificate: ECDSA P-256, RSA 2048 or Ed25519. */
export type TestKeyType = "ec" | "rsa" | "ed25519";

/** A certificate and its private key, PEM-encoded, ready for `tls.createServer` or a client's `cert`. */
export interface TestCertificate {
  /** This certificate alone, PEM. */
  readonly cert: string;
  /** Its private key, PKCS#8 PEM. */
  readonly key: string;
  /** This certificate followed by any intermediates up to (not including) the root: what a server presents. */
  readonly chain: string;
}

/** What `issue()` of a {@link TestPki} or {@link TestCertificateAuthority} makes. */
export interface IssueOptions {
  /** DNS names and IP addresses (v4 or v6) for subjectAltName; the first is also the subject CN. */
  readonly hosts?: readonly string[] | undefined;
  /** Start of validity; one hour ago by default, so clock skew does not matter. */
  readonly notBefore?: Date | undefined;
  /** End of validity; a week from now by default. A date in the past makes an expired certificate. */
  readonly notAfter?: Date | undefined;
  /** Key algorithm of the new certificate; `"ec"` by default. */
  readonly keyType?: TestKeyType | undefined;
  /** Makes an intermediate CA that can issue certificates in turn. */
  readonly isCa?: boolean | undefined;
  /** Adds the clientAuth extended key usage, for mutual TLS. */
  readonly clientAuth?: boolean | undefined;
  /** Signs the certificate with its own key instead of the CA's, so no CA vouches for it. */
  readonly selfSigned?: boolean | undefined;
}

/** A certificate authority that can issue certificates. */
export interface TestCertificateAuthority extends TestCertificate {
  /** Issues a CA certificate (an intermediate) signed by this authority. */
  issue(options: IssueOptions & { readonly isCa: true }): TestCertificateAuthority;
  /** Issues a leaf certificate (`localhost`, `127.0.0.1`, `::1` by default) signed by this authority. */
  issue(options?: IssueOptions): TestCertificate;
}

/** A throwaway public key infrastructure: a root CA to trust and a way to issue certificates under it. */
export interface TestPki extends TestCertificateAuthority {
  /** The root CA; trust `ca.cert` on the client. */
  readonly ca: TestCertificate;
}

/** Options of {@link createTestPki}. */
export interface TestPkiOptions {
  /** Key algorithm of the root CA, which also decides the signature algorithm of what it issues. */
  readonly keyType?: TestKeyType | undefined;
  /** The root's common name; unique per PKI by default, so two PKIs never trust each other's leaves. */
  readonly commonName?: string | undefined;
}

/** The hosts a loopback fixture server answers as. */
export const LOOPBACK_HOSTS: readonly string[] = ["localhost", "127.0.0.1", "::1"];

const OID = {
  commonName: "2.5.4.3",
  organization: "2.5.4.10",
  basicConstraints: "2.5.29.19",
  keyUsage: "2.5.29.15",
  extKeyUsage: "2.5.29.37",
  subjectAltName: "2.5.29.17",
  subjectKeyId: "2.5.29.14",
  authorityKeyId: "2.5.29.35",
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  sha256WithRsa: "1.2.840.113549.1.1.11",
  ed25519: "1.3.101.112",
} as const;

// keyUsage bit numbers from RFC 5280 §4.2.1.3.
const KU = { digitalSignature: 0, keyEncipherment: 2, keyCertSign: 5, cRLSign: 6 } as const;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

interface KeyPair {
  readonly type: TestKeyType;
  readonly privateKey: KeyObject;
  readonly spki: Uint8Array;
  readonly keyId: Uint8Array;
  readonly pem: string;
}

// Generating an RSA key takes tens of milliseconds; a suite issues dozens of certificates. Keys
// are reused per process by role, and every CA gets a unique name, so sharing a key never lets
// one PKI's certificates chain to another's root.
const keyCache = new Map<string, KeyPair>();

function keyPair(type: TestKeyType, role: string): KeyPair {
  const cacheKey = `${type}:${role}`;
  const cached = keyCache.get(cacheKey);
  if (cached) return cached;
  const { privateKey } =
    type === "rsa"
      ? generateKeyPairSync("rsa", { modulusLength: 2048 })
      : type === "ec"
        ? generateKeyPairSync("ec", { namedCurve: "P-256" })
        : generateKeyPairSync("ed25519");
  const spki = new Uint8Array(createPublicKey(privateKey).export({ type: "spki", format: "der" }));
  const pair: KeyPair = {
    type,
    privateKey,
    spki,
    // RFC 7093 §2 allows any hash of the key for the identifier; SHA-1 of the SPKI keeps it 20 bytes.
    keyId: new Uint8Array(createHash("sha1").update(spki).digest()),
    pem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
  };
  keyCache.set(cacheKey, pair);
  return pair;
}

function signatureAlgorithm(type: TestKeyType): Uint8Array {
  switch (type) {
    case "ec":
      return sequence(oid(OID.ecdsaWithSha256));
    case "rsa":
      // RSA algorithm identifiers carry an explicit NULL parameter; ECDSA and EdDSA carry none.
      return sequence(oid(OID.sha256WithRsa), nul());
    case "ed25519":
      return sequence(oid(OID.ed25519));
  }
}

function signWith(key: KeyPair, data: Uint8Array): Uint8Array {
  // Ed25519 hashes internally and takes no digest name.
  return new Uint8Array(sign(key.type === "ed25519" ? null : "sha256", data, key.privateKey));
}

function name(commonName: string): Uint8Array {
  const attribute = (type: string, value: string): Uint8Array => set(sequence(oid(type), utf8String(value)));
  return sequence(attribute(OID.organization, "nq testkit"), attribute(OID.commonName, commonName));
}

function extension(id: string, critical: boolean, value: Uint8Array): Uint8Array {
  return critical
    ? sequence(oid(id), boolean(true), octetString(value))
    : sequence(oid(id), octetString(value));
}

function ipv6Bytes(text: string): Uint8Array {
  let address = text.replace(/%.*$/, "");
  const out = new Uint8Array(16);
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (v4) {
    const [a, b, c, d] = v4[1]!.split(".").map(Number);
    address = `${address.slice(0, v4.index)}${((a! << 8) | b!).toString(16)}:${((c! << 8) | d!).toString(16)}`;
  }
  const [head = "", tail] = address.split("::");
  const groups = (part: string): number[] => (part ? part.split(":").map((g) => Number.parseInt(g, 16)) : []);
  const front = groups(head);
  const back = tail === undefined ? [] : groups(tail);
  const all = [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
  all.forEach((group, i) => {
    out[2 * i] = group >> 8;
    out[2 * i + 1] = group & 0xff;
  });
  return out;
}

function generalName(host: string): Uint8Array {
  if (isIPv4(host)) return implicit(7, Uint8Array.from(host.split(".").map(Number)));
  if (isIPv6(host)) return implicit(7, ipv6Bytes(host));
  return implicit(
    2,
    Uint8Array.from(host, (c) => c.charCodeAt(0)),
  );
}

function serialNumber(): Uint8Array {
  const bytes = new Uint8Array(randomBytes(16));
  // Positive and with a non-zero first byte, so the DER INTEGER is exactly 16 bytes.
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return unsignedInteger(bytes);
}

function pem(label: string, der: Uint8Array): string {
  const base64 = Buffer.from(der).toString("base64");
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

interface Issuer {
  readonly name: Uint8Array;
  readonly key: KeyPair;
}

interface CertificateSpec {
  readonly subject: string;
  readonly hosts: readonly string[];
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly key: KeyPair;
  readonly isCa: boolean;
  readonly clientAuth: boolean;
}

function buildCertificate(spec: CertificateSpec, issuer: Issuer | null): Uint8Array {
  const subjectName = name(spec.subject);
  const signer = issuer ?? { name: subjectName, key: spec.key };
  const keyUsage = spec.isCa
    ? [KU.digitalSignature, KU.keyCertSign, KU.cRLSign]
    : spec.key.type === "rsa"
      ? [KU.digitalSignature, KU.keyEncipherment]
      : [KU.digitalSignature];
  const extensions = [
    // cA defaults to FALSE and DER forbids encoding a default, so a leaf carries an empty SEQUENCE.
    extension(OID.basicConstraints, true, spec.isCa ? sequence(boolean(true)) : sequence()),
    extension(OID.keyUsage, true, namedBits(keyUsage)),
    extension(OID.subjectKeyId, false, octetString(spec.key.keyId)),
    extension(OID.authorityKeyId, false, sequence(implicit(0, signer.key.keyId))),
  ];
  if (!spec.isCa) {
    const usages = [oid(OID.serverAuth)];
    if (spec.clientAuth) usages.push(oid(OID.clientAuth));
    extensions.push(extension(OID.extKeyUsage, false, sequence(...usages)));
  }
  if (spec.hosts.length > 0) {
    extensions.push(extension(OID.subjectAltName, false, sequence(...spec.hosts.map(generalName))));
  }
  const algorithm = signatureAlgorithm(signer.key.type);
  const tbs = sequence(
    explicit(0, integer(2)), // v3
    serialNumber(),
    algorithm,
    signer.name,
    sequence(time(spec.notBefore), time(spec.notAfter)),
    subjectName,
    spec.key.spki,
    explicit(3, sequence(...extensions)),
  );
  return sequence(tbs, algorithm, bitString(signWith(signer.key, tbs)));
}

let counter = 0;

function validity(options: IssueOptions): { notBefore: Date; notAfter: Date } {
  const now = Date.now();
  const notAfter = options.notAfter ?? new Date(now + 7 * DAY);
  const notBefore = options.notBefore ?? new Date(Math.min(now - HOUR, notAfter.getTime() - DAY));
  return { notBefore, notAfter };
}

function authority(
  certificate: TestCertificate,
  issuer: Issuer,
  chainAbove: string,
): TestCertificateAuthority {
  function issue(options: IssueOptions & { readonly isCa: true }): TestCertificateAuthority;
  function issue(options?: IssueOptions): TestCertificate;
  function issue(options: IssueOptions = {}): TestCertificate | TestCertificateAuthority {
    const keyType = options.keyType ?? "ec";
    const isCa = options.isCa ?? false;
    const selfSigned = options.selfSigned ?? false;
    const hosts = options.hosts ?? (isCa ? [] : LOOPBACK_HOSTS);
    const subject = isCa
      ? `nq testkit intermediate ${++counter}`
      : (hosts[0] ?? `nq testkit leaf ${++counter}`);
    const key = keyPair(keyType, isCa ? "intermediate" : "leaf");
    const der = buildCertificate(
      { subject, hosts, ...validity(options), key, isCa, clientAuth: options.clientAuth ?? false },
      selfSigned ? null : issuer,
    );
    const cert = pem("CERTIFICATE", der);
    const chain = selfSigned ? cert : cert + chainAbove;
    const issued: TestCertificate = { cert, key: key.pem, chain };
    if (!isCa) return issued;
    return authority(issued, { name: name(subject), key }, selfSigned ? "" : chain);
  }
  return { ...certificate, issue };
}

/**
 * Creates a root CA and returns it with an `issue()` for leaf and intermediate certificates,
 * all made in-process with node:crypto (no openssl CLI, no dependency).
 */
export function createTestPki(options: TestPkiOptions = {}): TestPki {
  const keyType = options.keyType ?? "ec";
  const commonName =
    options.commonName ?? `nq testkit root ${process.pid}.${++counter}.${randomBytes(4).toString("hex")}`;
  const key = keyPair(keyType, "root");
  const now = Date.now();
  const der = buildCertificate(
    {
      subject: commonName,
      hosts: [],
      notBefore: new Date(now - DAY),
      notAfter: new Date(now + 365 * DAY),
      key,
      isCa: true,
      clientAuth: false,
    },
    null,
  );
  const cert = pem("CERTIFICATE", der);
  // The root is the trust anchor, so it is not part of the chain a server presents.
  const root = authority({ cert, key: key.pem, chain: cert }, { name: name(commonName), key }, "");
  return Object.assign(root, { ca: { cert, key: key.pem, chain: cert } });
}

let sharedPki: TestPki | undefined;

/** One root CA shared by everything in this process that does not bring its own; fixture servers use it by default. */
export function defaultTestPki(): TestPki {
  sharedPki ??= createTestPki();
  return sharedPki;
}
