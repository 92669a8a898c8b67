/**
 * DER surgery on X.509 certificates for tests: `@nq/testkit` cannot make every broken or
 * unusual certificate (forged signatures, missing extensions, P-384 or RSASSA-PSS keys), so
 * the tests edit one it made.
 *
 * @packageDocumentation
 */

import { Buffer } from "node:buffer";
import { createPrivateKey, type KeyObject, sign, X509Certificate } from "node:crypto";

/** One DER TLV at `offset`: the whole encoding and its contents. */
export function readTlv(bytes: Uint8Array, offset = 0): { whole: Uint8Array; content: Uint8Array } {
  let length = bytes[offset + 1]!;
  let header = 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[offset + 2 + i]!;
    header += count;
  }
  return {
    whole: bytes.subarray(offset, offset + header + length),
    content: bytes.subarray(offset + header, offset + header + length),
  };
}

/** The TLVs that make up a constructed value's contents, in order. */
export function children(content: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let offset = 0; offset < content.length; ) {
    const { whole } = readTlv(content, offset);
    out.push(whole);
    offset += whole.length;
  }
  return out;
}

/** A DER TLV with `tag` around the concatenated parts (contents up to 64 KiB). */
export function encodeDer(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const length = parts.reduce((n, p) => n + p.length, 0);
  const lengthBytes =
    length < 0x80 ? [length] : length < 0x100 ? [0x81, length] : [0x82, length >> 8, length & 0xff];
  return Uint8Array.from([tag, ...lengthBytes, ...parts.flatMap((p) => [...p])]);
}

/** Children of TBSCertificate (RFC 5280 §4.1) in a v3 certificate. */
export const TBS = { issuer: 3, subject: 5, publicKey: 6, extensions: 7 } as const;

/** The DER of the keyUsage extension's OID (2.5.29.15). */
export const OID_KEY_USAGE = "0603551d0f";
/** The DER of the authorityKeyIdentifier extension's OID (2.5.29.35). */
export const OID_AUTHORITY_KEY_ID = "0603551d23";

/** A certificate taken apart: the TBSCertificate's children, the algorithm and the signature. */
export interface CertificateParts {
  readonly tbs: Uint8Array[];
  readonly algorithm: Uint8Array;
  readonly signature: Uint8Array;
}

/** Takes a PEM or DER certificate apart. */
export function partsOf(certificate: string | Uint8Array): CertificateParts {
  const der = new Uint8Array(new X509Certificate(certificate).raw);
  const [tbs, algorithm, signature] = children(readTlv(der).content);
  return { tbs: children(readTlv(tbs!).content), algorithm: algorithm!, signature: signature! };
}

/** A certificate from edited TBS fields, signed (ECDSA or RSA with SHA-256) by `key`. */
export function signed(
  tbs: readonly Uint8Array[],
  algorithm: Uint8Array,
  key: string | KeyObject,
): Uint8Array {
  const body = encodeDer(0x30, ...tbs);
  const signature = new Uint8Array(
    sign("sha256", body, typeof key === "string" ? createPrivateKey(key) : key),
  );
  return encodeDer(0x30, body, algorithm, encodeDer(0x03, Uint8Array.of(0), signature));
}

/** The TBS fields without the extension whose OID (DER, hex) is `oidHex`. */
export function withoutExtension(tbs: readonly Uint8Array[], oidHex: string): Uint8Array[] {
  const oid = Buffer.from(oidHex, "hex");
  const extensions = children(readTlv(readTlv(tbs[TBS.extensions]!).content).content);
  const kept = extensions.filter((extension) => !Buffer.from(extension).includes(oid));
  const out = [...tbs];
  out[TBS.extensions] = encodeDer(0xa3, encodeDer(0x30, ...kept));
  return out;
}

/**
 * The same certificate with another subject public key. Its signature no longer verifies, which
 * does not matter where only the key is used (CertificateVerify).
 */
export function withPublicKey(certificate: string | Uint8Array, key: KeyObject): X509Certificate {
  const { tbs, algorithm, signature } = partsOf(certificate);
  tbs[TBS.publicKey] = new Uint8Array(key.export({ type: "spki", format: "der" }));
  return new X509Certificate(encodeDer(0x30, encodeDer(0x30, ...tbs), algorithm, signature));
}
