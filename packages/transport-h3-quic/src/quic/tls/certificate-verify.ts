/**
 * Checking the server's CertificateVerify (RFC 8446 §4.4.3): a signature with the key of the
 * end-entity certificate over the transcript hash, wrapped so a signature made for anything
 * else (TLS 1.2, the client side) can never verify here.
 *
 * Only the schemes TLS 1.3 allows in CertificateVerify are accepted: RSASSA-PSS (with an
 * rsaEncryption or an RSASSA-PSS key), ECDSA on the curve the scheme names, and EdDSA.
 * RSASSA-PKCS1-v1_5 and SHA-1 may sign certificates but never a CertificateVerify.
 *
 * @packageDocumentation
 */

import { constants, type KeyObject, verify, type X509Certificate } from "node:crypto";
import { TlsAlert, TlsAlertError } from "./alert.js";
import { SignatureScheme } from "./handshake-messages.js";

/**
 * The schemes this client offers in signature_algorithms, in preference order. The PKCS#1
 * entries are there for the signatures on certificates (RFC 8446 §4.2.3 applies the list to
 * both when signature_algorithms_cert is absent); they are refused in CertificateVerify.
 *
 * @alpha
 */
export const DEFAULT_SIGNATURE_SCHEMES: readonly number[] = Object.freeze([
  SignatureScheme.ecdsa_secp256r1_sha256,
  SignatureScheme.rsa_pss_rsae_sha256,
  SignatureScheme.rsa_pkcs1_sha256,
  SignatureScheme.ecdsa_secp384r1_sha384,
  SignatureScheme.rsa_pss_rsae_sha384,
  SignatureScheme.rsa_pkcs1_sha384,
  SignatureScheme.rsa_pss_rsae_sha512,
  SignatureScheme.rsa_pkcs1_sha512,
  SignatureScheme.ed25519,
  SignatureScheme.rsa_pss_pss_sha256,
  SignatureScheme.rsa_pss_pss_sha384,
  SignatureScheme.rsa_pss_pss_sha512,
]);

interface SchemeRequirements {
  /** The `KeyObject.asymmetricKeyType` the certificate's key must have. */
  readonly keyType: "rsa" | "rsa-pss" | "ec" | "ed25519";
  /** The digest for `crypto.verify`; EdDSA hashes internally. */
  readonly digest: "sha256" | "sha384" | "sha512" | null;
  /** For ECDSA, the curve the scheme fixes (RFC 8446 §4.2.3). */
  readonly curve?: "prime256v1" | "secp384r1";
}

const pss = (keyType: "rsa" | "rsa-pss", digest: "sha256" | "sha384" | "sha512"): SchemeRequirements => ({
  keyType,
  digest,
});

const CERTIFICATE_VERIFY_SCHEMES = new Map<number, SchemeRequirements>([
  [SignatureScheme.rsa_pss_rsae_sha256, pss("rsa", "sha256")],
  [SignatureScheme.rsa_pss_rsae_sha384, pss("rsa", "sha384")],
  [SignatureScheme.rsa_pss_rsae_sha512, pss("rsa", "sha512")],
  [SignatureScheme.rsa_pss_pss_sha256, pss("rsa-pss", "sha256")],
  [SignatureScheme.rsa_pss_pss_sha384, pss("rsa-pss", "sha384")],
  [SignatureScheme.rsa_pss_pss_sha512, pss("rsa-pss", "sha512")],
  [SignatureScheme.ecdsa_secp256r1_sha256, { keyType: "ec", digest: "sha256", curve: "prime256v1" }],
  [SignatureScheme.ecdsa_secp384r1_sha384, { keyType: "ec", digest: "sha384", curve: "secp384r1" }],
  [SignatureScheme.ed25519, { keyType: "ed25519", digest: null }],
]);

const DIGEST_LENGTH = { sha256: 32, sha384: 48, sha512: 64 } as const;

const SCHEME_NAMES = new Map<number, string>(Object.entries(SignatureScheme).map(([k, v]) => [v, k]));
const CURVE_NAMES: Readonly<Record<string, string>> = { prime256v1: "P-256", secp384r1: "P-384" };

function schemeName(scheme: number): string {
  const hex = `0x${scheme.toString(16).padStart(4, "0")}`;
  const name = SCHEME_NAMES.get(scheme);
  return name === undefined ? hex : `${name} (${hex})`;
}

/**
 * Whether `verifyCertificateVerifySignature` implements a scheme.
 *
 * @alpha
 */
export function isCertificateVerifyScheme(scheme: number): boolean {
  return CERTIFICATE_VERIFY_SCHEMES.has(scheme);
}

const PADDING = new Uint8Array(64).fill(0x20);
const encoder = new TextEncoder();
const SERVER_CONTEXT = encoder.encode("TLS 1.3, server CertificateVerify");
const CLIENT_CONTEXT = encoder.encode("TLS 1.3, client CertificateVerify");

/**
 * The bytes a CertificateVerify signs: 64 spaces, the context string of the signer's side, a
 * zero byte, then the transcript hash up to and including the Certificate (RFC 8446 §4.4.3).
 *
 * @alpha
 */
export function certificateVerifyContent(
  signer: "server" | "client",
  transcriptHash: Uint8Array,
): Uint8Array {
  const context = signer === "server" ? SERVER_CONTEXT : CLIENT_CONTEXT;
  const content = new Uint8Array(PADDING.length + context.length + 1 + transcriptHash.length);
  content.set(PADDING);
  content.set(context, PADDING.length);
  content.set(transcriptHash, PADDING.length + context.length + 1);
  return content;
}

/**
 * Checks a CertificateVerify signature over `content` with the public key of `leaf`. A scheme
 * TLS 1.3 does not allow here, or one that does not fit the key, is illegal_parameter; a
 * signature that does not verify is decrypt_error.
 *
 * @alpha
 */
export function verifyCertificateVerifySignature(
  leaf: X509Certificate,
  scheme: number,
  signature: Uint8Array,
  content: Uint8Array,
): void {
  const requirements = CERTIFICATE_VERIFY_SCHEMES.get(scheme);
  if (requirements === undefined)
    throw new TlsAlertError(
      TlsAlert.illegal_parameter,
      `signature scheme ${schemeName(scheme)} is not allowed in a TLS 1.3 CertificateVerify`,
    );
  const key = leaf.publicKey;
  const mismatch = keyMismatch(key, requirements);
  if (mismatch !== undefined)
    throw new TlsAlertError(
      TlsAlert.illegal_parameter,
      `signature scheme ${schemeName(scheme)} does not fit the certificate's ${mismatch}`,
    );
  let valid: boolean;
  try {
    valid = verify(requirements.digest, content, verifyKey(key, requirements), signature);
  } catch (error) {
    // A signature OpenSSL cannot even parse (bad DER, wrong length) is as wrong as one that
    // does not match.
    throw new TlsAlertError(
      TlsAlert.decrypt_error,
      `the CertificateVerify signature (${schemeName(scheme)}) is malformed`,
      { cause: error },
    );
  }
  if (!valid)
    throw new TlsAlertError(
      TlsAlert.decrypt_error,
      `the CertificateVerify signature (${schemeName(scheme)}) does not verify with the certificate's key`,
    );
}

// What is wrong with the key for this scheme, as "the certificate's …" ends; undefined if it fits.
function keyMismatch(key: KeyObject, requirements: SchemeRequirements): string | undefined {
  const keyType = key.asymmetricKeyType ?? "unknown";
  const details = key.asymmetricKeyDetails ?? {};
  const curve =
    details.namedCurve === undefined ? undefined : (CURVE_NAMES[details.namedCurve] ?? details.namedCurve);
  if (
    keyType !== requirements.keyType ||
    (requirements.curve !== undefined && details.namedCurve !== requirements.curve)
  )
    return `${keyType}${curve === undefined ? "" : ` ${curve}`} key`;
  // An RSASSA-PSS key may be restricted to one digest (RFC 4055 §3.1); a scheme with another
  // digest could only fail, and OpenSSL would refuse it.
  if (keyType === "rsa-pss")
    for (const restricted of [details.hashAlgorithm, details.mgf1HashAlgorithm])
      if (restricted !== undefined && restricted !== requirements.digest)
        return `rsa-pss key, which is restricted to ${restricted}`;
  return undefined;
}

function verifyKey(key: KeyObject, requirements: SchemeRequirements): Parameters<typeof verify>[2] {
  if (requirements.keyType === "rsa" || requirements.keyType === "rsa-pss") {
    // RFC 8446 §4.2.3: the PSS salt is as long as the digest.
    return {
      key,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: DIGEST_LENGTH[requirements.digest as "sha256" | "sha384" | "sha512"],
    };
  }
  if (requirements.keyType === "ec") return { key, dsaEncoding: "der" };
  return key;
}
