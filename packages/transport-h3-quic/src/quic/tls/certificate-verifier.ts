/**
 * Server authentication for the TLS 1.3 client: the certificate chain (RFC 8446 §4.4.2, RFC 5280
 * §6 as OpenSSL applies it). The CertificateVerify signature made with the leaf's key is checked
 * in `certificate-verify.ts`.
 *
 * Node's TLS stack cannot carry QUIC, so nothing verifies the chain for us; this does it on
 * `X509Certificate`. It means to accept and reject what `tls.connect` accepts and rejects, and to
 * fail the same way: every failure is a `TlsAlertError` whose `cause` is an `Error` with the
 * `code` and message Node's TLS reports for that case (`CERT_HAS_EXPIRED`, "certificate has
 * expired"), so the transport maps it to nq's errors exactly as the TCP transports do.
 *
 * ```
 * TlsAlertError (alert)                  cause.code
 * ├─ decode_error (50)                   ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE  empty chain
 * ├─ bad_certificate (42)                ERR_SSL_CERT_LENGTH_MISMATCH, ERR_SSL_ASN1_LIB  bad DER
 * │                                      CERT_SIGNATURE_FAILURE, INVALID_CA
 * │                                      ERR_TLS_CERT_ALTNAME_INVALID  hostname or IP
 * ├─ unknown_ca (48)                     UNABLE_TO_GET_ISSUER_CERT_LOCALLY, UNABLE_TO_VERIFY_LEAF_SIGNATURE,
 * │                                      DEPTH_ZERO_SELF_SIGNED_CERT, SELF_SIGNED_CERT_IN_CHAIN,
 * │                                      CERT_CHAIN_TOO_LONG
 * ├─ certificate_expired (45)            CERT_HAS_EXPIRED, CERT_NOT_YET_VALID
 * └─ unsupported_certificate (43)        INVALID_PURPOSE  EKU without serverAuth
 * ```
 *
 * Where it differs from `tls.connect`, on purpose:
 *
 * - Any trust anchor ends a path, even one that is not self-signed (Node 22's
 *   `allowPartialTrustChain`), so a pinned intermediate works.
 * - A path has at most 10 certificates, anchor included (OpenSSL allows 100).
 * - A certificate signed by a non-CA is `INVALID_CA`. Node reports the same chain as "unable to
 *   verify", "unsuitable purpose" or a keyUsage error, depending on the issuer's extensions.
 * - pathLenConstraint, name constraints, unknown critical extensions, OpenSSL's security level
 *   (key sizes, weak digests) and revocation are not checked: `X509Certificate` exposes none.
 *
 * @packageDocumentation
 */

import { X509Certificate } from "node:crypto";
import { TlsAlert, TlsAlertError } from "./alert.js";

// RFC 5280 §4.2.1.12 id-kp-serverAuth.
const SERVER_AUTH = "1.3.6.1.5.5.7.3.1";

// Real chains are two to four certificates; OpenSSL's default depth of 100 only lets a hostile
// server make us work harder.
const MAX_PATH_LENGTH = 10;

// A server controls every certificate it sends, so it could send dozens with the same name that
// all claim to issue each other. These bound the search to well above any real chain's needs.
const MAX_SIGNATURE_CHECKS = 64;
const MAX_SEARCH_STEPS = 1024;

/**
 * Trust anchors parsed once and indexed by subject, so a transport builds the store from
 * `tls.rootCertificates` or a CA bundle at start-up and shares it between connections.
 *
 * @alpha
 */
export class TrustStore {
  readonly #bySubject = new Map<string, X509Certificate[]>();
  #size = 0;

  /**
   * Parses the anchors; a string may hold several PEM certificates, and text between them is
   * ignored. A string without any certificate, or one that does not parse, is a `TypeError`.
   */
  constructor(anchors: string | Iterable<string | X509Certificate>) {
    let index = 0;
    // A string is itself iterable; without this, one PEM bundle would be read a character at a time.
    for (const anchor of typeof anchors === "string" ? [anchors] : anchors) {
      if (typeof anchor === "string") {
        const blocks = anchor.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
        if (blocks.length === 0) throw new TypeError(`trust anchor ${index} holds no PEM certificate`);
        blocks.forEach((block, n) => {
          let certificate: X509Certificate;
          try {
            certificate = new X509Certificate(block);
          } catch (cause) {
            throw new TypeError(`trust anchor ${index}: certificate ${n} does not parse`, { cause });
          }
          this.#add(certificate);
        });
      } else if (anchor instanceof X509Certificate) {
        this.#add(anchor);
      } else {
        throw new TypeError(`trust anchor ${index} is neither a PEM string nor an X509Certificate`);
      }
      index++;
    }
  }

  /** How many distinct certificates the store holds. */
  get size(): number {
    return this.#size;
  }

  /** The anchors whose subject is exactly `subject`, in the `X509Certificate.subject` form. */
  withSubject(subject: string): readonly X509Certificate[] {
    return this.#bySubject.get(subject) ?? [];
  }

  /** True when this very certificate (byte for byte) is an anchor. */
  includes(certificate: X509Certificate): boolean {
    return this.withSubject(certificate.subject).some((anchor) => anchor.raw.equals(certificate.raw));
  }

  #add(certificate: X509Certificate): void {
    if (this.includes(certificate)) return;
    const list = this.#bySubject.get(certificate.subject);
    if (list === undefined) this.#bySubject.set(certificate.subject, [certificate]);
    else list.push(certificate);
    this.#size++;
  }
}

/**
 * Options of `verifyServerCertificateChain`.
 *
 * @alpha
 */
export interface ServerCertificateOptions {
  /** The name the client connected to: a DNS name, or an IPv4 or IPv6 literal, brackets allowed. */
  readonly serverName: string;
  /**
   * The trust anchors, or `"any"` to accept any chain that parses (Node's
   * `rejectUnauthorized: false`). A list is parsed on every call; a `TrustStore` only once.
   */
  readonly trust: "any" | TrustStore | readonly (string | X509Certificate)[];
  /** The time validity is judged at; the current time by default. */
  readonly now?: Date | undefined;
}

/**
 * Verifies the certificate list of the server's Certificate message (DER, leaf first) and
 * returns the leaf, whose key then checks CertificateVerify.
 *
 * @alpha
 */
export function verifyServerCertificateChain(
  chain: readonly Uint8Array[],
  options: ServerCertificateOptions,
): X509Certificate {
  const certificates = parseChain(chain);
  const leaf = certificates[0]!;
  if (options.trust === "any") return leaf;
  const store = options.trust instanceof TrustStore ? options.trust : new TrustStore(options.trust);
  const now = options.now ?? new Date();

  const search = new PathSearch(certificates, store);
  let reported: Problem | undefined;
  for (const path of search.paths()) {
    const problems = pathProblems(path, true, search, now);
    if (problems.length === 0) {
      checkServerName(leaf, options.serverName);
      return leaf;
    }
    // Trusted anchors are tried first, so the first complete path is the one OpenSSL would build.
    reported ??= problems.at(-1);
  }
  if (reported === undefined) {
    const partial = search.longestPartial ?? [leaf];
    reported = pathProblems(partial, false, search, now).at(-1)!;
  }
  throw reported.toAlert();
}

/**
 * The usual `TlsClientOptions.verifyCertificate`: `verifyServerCertificateChain` against `trust`
 * for the name the client connected to. A list of anchors is parsed once, here.
 *
 * @alpha
 */
export function certificateVerifier(
  trust: ServerCertificateOptions["trust"],
): (chain: readonly Uint8Array[], serverName: string) => X509Certificate {
  const anchors = trust === "any" || trust instanceof TrustStore ? trust : new TrustStore(trust);
  return (chain, serverName) => verifyServerCertificateChain(chain, { serverName, trust: anchors });
}

function parseChain(chain: readonly Uint8Array[]): X509Certificate[] {
  if (chain.length === 0) {
    // RFC 8446 §4.4.2.4 names this alert for an empty server Certificate message.
    throw new TlsAlertError(TlsAlert.decode_error, "the server sent no certificate", {
      cause: tlsError("ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE", "peer did not return a certificate"),
    });
  }
  return chain.map((der, index) => {
    // X509Certificate also takes PEM and ignores bytes after the certificate; the TLS message
    // carries exactly one DER certificate per entry, so anything else is refused here.
    if (derLength(der) !== der.length) {
      throw new TlsAlertError(TlsAlert.bad_certificate, `certificate ${index} is not one DER certificate`, {
        cause: tlsError("ERR_SSL_CERT_LENGTH_MISMATCH", "cert length mismatch"),
      });
    }
    try {
      return new X509Certificate(der);
    } catch (error) {
      throw new TlsAlertError(TlsAlert.bad_certificate, `certificate ${index} does not parse`, {
        cause: tlsError("ERR_SSL_ASN1_LIB", "ASN1 lib", { cause: error }),
      });
    }
  });
}

// The length of the DER SEQUENCE at the start of `der`, header included, or -1.
function derLength(der: Uint8Array): number {
  if (der.length < 2 || der[0] !== 0x30) return -1;
  const first = der[1]!;
  if (first < 0x80) return 2 + first;
  const count = first & 0x7f;
  // DER: the long form only for lengths of 128 and up, minimally encoded; four bytes is 4 GiB.
  if (count === 0 || count > 4 || der.length < 2 + count || der[2] === 0) return -1;
  let length = 0;
  for (let i = 0; i < count; i++) length = length * 256 + der[2 + i]!;
  return length < 0x80 ? -1 : 2 + count + length;
}

interface Link {
  /** checkIssued: names, key identifiers and, when present, keyUsage keyCertSign. */
  readonly issued: boolean;
  readonly signature: boolean;
}

// Finds paths from the leaf to an anchor, trusted anchors before the server's intermediates at
// each step (OpenSSL's default since 1.1.0), backtracking past dead ends and loops.
class PathSearch {
  readonly #certificates: readonly X509Certificate[];
  readonly #store: TrustStore;
  readonly #intermediates = new Map<string, X509Certificate[]>();
  readonly #links = new Map<X509Certificate, Map<X509Certificate, Link>>();
  readonly #selfSigned = new Map<X509Certificate, boolean>();
  #signatureChecks = 0;
  #steps = 0;
  /** The longest path that reached no anchor, and whether it stopped at the length limit. */
  longestPartial: X509Certificate[] | undefined;
  partialTooLong = false;

  constructor(certificates: readonly X509Certificate[], store: TrustStore) {
    this.#certificates = certificates;
    this.#store = store;
    for (const certificate of certificates.slice(1)) {
      // RFC 8446 §4.4.2: the extra certificates may come in any order, with duplicates.
      if (certificates[0]!.raw.equals(certificate.raw)) continue;
      const list = this.#intermediates.get(certificate.subject) ?? [];
      if (!list.some((other) => other.raw.equals(certificate.raw))) list.push(certificate);
      this.#intermediates.set(certificate.subject, list);
    }
  }

  *paths(): Generator<X509Certificate[]> {
    yield* this.#extend([this.#certificates[0]!]);
  }

  // OpenSSL 3 calls a certificate self-signed when it names itself as issuer with its own key;
  // checkIssued also wants keyCertSign, which a self-signed leaf usually lacks, so its own
  // signature stands in for the key check.
  isSelfSigned(certificate: X509Certificate): boolean {
    let selfSigned = this.#selfSigned.get(certificate);
    if (selfSigned === undefined) {
      selfSigned =
        certificate.subject === certificate.issuer &&
        (certificate.checkIssued(certificate) || this.#verifySignature(certificate, certificate));
      this.#selfSigned.set(certificate, selfSigned);
    }
    return selfSigned;
  }

  link(child: X509Certificate, issuer: X509Certificate): Link {
    let row = this.#links.get(child);
    if (row === undefined) this.#links.set(child, (row = new Map()));
    let link = row.get(issuer);
    if (link === undefined) {
      link = { issued: child.checkIssued(issuer), signature: this.#verifySignature(child, issuer) };
      row.set(issuer, link);
    }
    return link;
  }

  *#extend(path: X509Certificate[]): Generator<X509Certificate[]> {
    const top = path.at(-1)!;
    if (this.#store.includes(top)) {
      yield path;
      return;
    }
    let extended = false;
    // A self-signed certificate the store does not hold ends the path, as in OpenSSL.
    if (!this.isSelfSigned(top) && path.length < MAX_PATH_LENGTH && ++this.#steps <= MAX_SEARCH_STEPS) {
      for (const anchor of this.#store.withSubject(top.issuer)) {
        if (!this.#isIssuer(top, anchor)) continue;
        extended = true;
        yield [...path, anchor];
      }
      for (const candidate of this.#intermediates.get(top.issuer) ?? []) {
        if (path.some((seen) => seen.raw.equals(candidate.raw)) || this.#store.includes(candidate)) continue;
        if (!this.#isIssuer(top, candidate)) continue;
        extended = true;
        yield* this.#extend([...path, candidate]);
      }
    }
    if (!extended && path.length > (this.longestPartial?.length ?? 0)) {
      this.longestPartial = path;
      this.partialTooLong = path.length >= MAX_PATH_LENGTH;
    }
  }

  // checkIssued alone would hide a certificate issued by a non-CA (its keyUsage lacks
  // keyCertSign), turning "invalid CA" into "unable to get issuer". A valid signature proves the
  // relation, so such a link stays in the path and the CA check reports it.
  #isIssuer(child: X509Certificate, candidate: X509Certificate): boolean {
    const link = this.link(child, candidate);
    return link.issued || link.signature;
  }

  #verifySignature(child: X509Certificate, issuer: X509Certificate): boolean {
    if (++this.#signatureChecks > MAX_SIGNATURE_CHECKS) return false;
    try {
      return child.verify(issuer.publicKey);
    } catch {
      return false;
    }
  }
}

class Problem {
  readonly alert: TlsAlert;
  readonly code: string;
  readonly message: string;
  readonly depth: number;
  readonly certificate: X509Certificate;

  constructor(alert: TlsAlert, code: string, message: string, depth: number, certificate: X509Certificate) {
    this.alert = alert;
    this.code = code;
    this.message = message;
    this.depth = depth;
    this.certificate = certificate;
  }

  toAlert(): TlsAlertError {
    const where = `depth ${this.depth}: ${oneLine(this.certificate.subject)}`;
    return new TlsAlertError(this.alert, `${this.message} (${where})`, {
      cause: tlsError(this.code, this.message),
    });
  }
}

// Node's verify callback lets OpenSSL run every check and reports the last error, so an
// untrusted but expired certificate fails as expired. The problems are listed in OpenSSL's
// order — building the chain, then extensions, then signatures and times from the top down —
// and the caller throws the last one.
function pathProblems(
  path: readonly X509Certificate[],
  anchored: boolean,
  search: PathSearch,
  now: Date,
): Problem[] {
  const problems: Problem[] = [];
  const top = path.length - 1;
  const add = (alert: TlsAlert, code: string, message: string, depth: number): void => {
    problems.push(new Problem(alert, code, message, depth, path[depth]!));
  };

  if (!anchored) {
    if (search.partialTooLong && path === search.longestPartial) {
      add(TlsAlert.unknown_ca, "CERT_CHAIN_TOO_LONG", "certificate chain too long", top);
    } else if (search.isSelfSigned(path[top]!)) {
      if (top === 0) add(TlsAlert.unknown_ca, "DEPTH_ZERO_SELF_SIGNED_CERT", "self-signed certificate", 0);
      else
        add(
          TlsAlert.unknown_ca,
          "SELF_SIGNED_CERT_IN_CHAIN",
          "self-signed certificate in certificate chain",
          top,
        );
    } else if (top === 0) {
      add(
        TlsAlert.unknown_ca,
        "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
        "unable to verify the first certificate",
        0,
      );
    } else {
      add(
        TlsAlert.unknown_ca,
        "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
        "unable to get local issuer certificate",
        top,
      );
    }
  }

  for (let depth = 0; depth <= top; depth++) {
    const certificate = path[depth]!;
    if (depth > 0 && (!certificate.ca || !search.link(path[depth - 1]!, certificate).issued)) {
      add(TlsAlert.bad_certificate, "INVALID_CA", "invalid CA certificate", depth);
    }
    // The anchor is trusted for whatever it is; the certificates the server sent must each allow
    // serverAuth if they restrict usage at all, CAs included, as OpenSSL's SSL server purpose does.
    const isAnchor = anchored && depth === top && depth > 0;
    const usages = certificate.keyUsage;
    if (!isAnchor && usages !== undefined && !usages.includes(SERVER_AUTH)) {
      add(TlsAlert.unsupported_certificate, "INVALID_PURPOSE", "unsuitable certificate purpose", depth);
    }
  }

  // OpenSSL judges the top certificate's dates only when it ends the path: an anchor, a
  // self-signed certificate, or a lone leaf. An intermediate whose issuer never came is skipped.
  const datedTop = anchored || top === 0 || search.isSelfSigned(path[top]!) ? top : top - 1;
  for (let depth = top; depth >= 0; depth--) {
    const certificate = path[depth]!;
    if (depth < top && !search.link(certificate, path[depth + 1]!).signature) {
      add(TlsAlert.bad_certificate, "CERT_SIGNATURE_FAILURE", "certificate signature failure", depth);
    }
    if (depth > datedTop) continue;
    const notBefore = Date.parse(certificate.validFrom);
    const notAfter = Date.parse(certificate.validTo);
    if (Number.isNaN(notBefore)) {
      add(
        TlsAlert.bad_certificate,
        "ERROR_IN_CERT_NOT_BEFORE_FIELD",
        "format error in certificate's notBefore field",
        depth,
      );
    } else if (now.getTime() < notBefore) {
      add(TlsAlert.certificate_expired, "CERT_NOT_YET_VALID", "certificate is not yet valid", depth);
    }
    if (Number.isNaN(notAfter)) {
      add(
        TlsAlert.bad_certificate,
        "ERROR_IN_CERT_NOT_AFTER_FIELD",
        "format error in certificate's notAfter field",
        depth,
      );
    } else if (now.getTime() > notAfter) {
      add(TlsAlert.certificate_expired, "CERT_HAS_EXPIRED", "certificate has expired", depth);
    }
  }
  return problems;
}

const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

// The options that make OpenSSL's X509_check_host match tls.checkServerIdentity: the subject CN
// only without DNS names, a wildcard only as the whole or part of the leftmost label, never
// spanning labels, and never directly under a top-level domain.
const HOST_CHECK = {
  subject: "default",
  wildcards: true,
  partialWildcards: true,
  multiLabelWildcards: false,
  singleLabelSubdomains: false,
} as const;

function checkServerName(leaf: X509Certificate, serverName: string): void {
  let host = serverName;
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  // Node removes one trailing dot before matching; OpenSSL would treat it as part of the name.
  if (host.endsWith(".")) host = host.slice(0, -1);
  const isIp = IPV4.test(host) || host.includes(":");
  let matched: boolean;
  try {
    // A zone index names an interface on this host, never anything a certificate could list.
    matched = isIp
      ? leaf.checkIP(host.replace(/%.*$/, "")) !== undefined
      : leaf.checkHost(host, HOST_CHECK) !== undefined;
  } catch {
    matched = false;
  }
  if (matched) return;
  const reason = mismatchReason(leaf, host, isIp);
  const message = `Hostname/IP does not match certificate's altnames: ${reason}`;
  throw new TlsAlertError(TlsAlert.bad_certificate, message, {
    cause: tlsError("ERR_TLS_CERT_ALTNAME_INVALID", message, { reason, host }),
  });
}

// The same sentence tls.checkServerIdentity puts in its error, built from the same fields.
function mismatchReason(leaf: X509Certificate, host: string, isIp: boolean): string {
  const altNames = leaf.subjectAltName ?? "";
  const entries = altNames === "" ? [] : altNames.split(", ");
  if (isIp) {
    const ips = entries.filter((e) => e.startsWith("IP Address:")).map((e) => canonicalIp(e.slice(11)));
    return `IP: ${host} is not in the cert's list: ${ips.join(", ")}`;
  }
  if (entries.some((e) => e.startsWith("DNS:")))
    return `Host: ${host}. is not in the cert's altnames: ${altNames}`;
  const names = leaf.subject
    .split("\n")
    .filter((line) => line.startsWith("CN="))
    .map((line) => line.slice(3));
  if (names.length > 0) return `Host: ${host}. is not cert's CN: ${names.join(",")}`;
  return "Cert does not contain a DNS name";
}

// OpenSSL prints IPv6 SANs as eight uncompressed groups; Node's message shows them as inet_ntop
// would (RFC 5952: lower case, the longest run of two or more zero groups as "::").
function canonicalIp(text: string): string {
  const groups = text.split(":");
  if (groups.length !== 8) return text;
  const values = groups.map((g) => Number.parseInt(g, 16).toString(16));
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && values[j] === "0") j++;
    if (j - i > bestLength) {
      best = i;
      bestLength = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  if (best < 0) return values.join(":");
  return `${values.slice(0, best).join(":")}::${values.slice(best + bestLength).join(":")}`;
}

function oneLine(name: string): string {
  return name.split("\n").join(", ");
}

function tlsError(
  code: string,
  message: string,
  extra: { readonly cause?: unknown; readonly reason?: string; readonly host?: string } = {},
): Error {
  const { cause, ...fields } = extra;
  return Object.assign(new Error(message, cause === undefined ? undefined : { cause }), { code, ...fields });
}
