/**
 * `verify` and `cert` turned into what `tls.connect` takes, and keyed so requests with equal TLS
 * settings share a pool.
 *
 * One copy for every Node transport and the protocol router, so a request is verified the same
 * way whichever of them opens its connection.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { createSecureContext, type SecureContext } from "node:tls";
import { type TLSClientCert, type TLSVerify, TransportError } from "@nq/models";

/** What a pool's TLS connections are opened with. */
export interface TLSConnectSettings {
  /** Built once per settings, so a CA bundle is parsed once and not on every handshake. */
  readonly secureContext: SecureContext;
  /** False only for `verify: false`: the peer's certificate is then not checked at all. */
  readonly rejectUnauthorized: boolean;
}

const PEM_PREFIX = "-----BEGIN";
const CERTIFICATE_PEM = "-----BEGIN CERTIFICATE-----";

// PEM files are read once per path for the life of the process: a session pointing at a CA
// bundle would otherwise read and parse it for every new pool.
const fileCache = new Map<string, string>();

const bytesIds = new WeakMap<Uint8Array, number>();
let nextBytesId = 0;

function tlsConfigError(message: string, cause?: unknown): TransportError {
  // A missing or unreadable file is a local configuration fault: replaying will not fix it.
  return new TransportError(message, { kind: "tls", phase: "connect", retryable: false, cause });
}

function isPem(value: string): boolean {
  return value.trimStart().startsWith(PEM_PREFIX);
}

function readPemPath(path: string, what: string): string {
  const cached = fileCache.get(path);
  if (cached !== undefined) return cached;
  let text: string;
  try {
    if (statSync(path).isDirectory()) {
      // A directory of PEM files, as OpenSSL's CApath: every file holding a certificate counts.
      const parts: string[] = [];
      for (const name of readdirSync(path).sort()) {
        const file = join(path, name);
        try {
          if (!statSync(file).isFile()) continue;
          const content = readFileSync(file, "latin1");
          if (content.includes(CERTIFICATE_PEM)) parts.push(content);
        } catch {
          // An unreadable entry (a dangling link, a permission) is skipped, as OpenSSL does.
        }
      }
      text = parts.join("\n");
    } else {
      text = readFileSync(path, "latin1");
    }
  } catch (cause) {
    throw tlsConfigError(`${what}, invalid path: ${path}`, cause);
  }
  fileCache.set(path, text);
  return text;
}

function bytesKey(bytes: Uint8Array): string {
  let id = bytesIds.get(bytes);
  if (id === undefined) {
    id = nextBytesId++;
    bytesIds.set(bytes, id);
  }
  return `#${id}`;
}

/**
 * A short string that identifies `verify` + `cert`, so requests with equal TLS settings share a
 * pool. Byte arrays are keyed by identity: the same `Uint8Array` object shares, a copy does not.
 */
export function tlsKey(verify: TLSVerify, cert: TLSClientCert | null | undefined): string {
  let key: string;
  if (verify === true) key = "v";
  else if (verify === false) key = "n";
  else if (typeof verify === "string") key = `s${verify}`;
  else key = bytesKey(verify);
  if (cert == null) return key;
  return `${key}\0${typeof cert === "string" ? cert : cert.join("\0")}`;
}

/**
 * The PEM text of a `verify` CA bundle: PEM given inline (text or bytes), or read from a file or
 * an OpenSSL-style directory, for a transport that checks certificates itself (QUIC); the same
 * missing-file error as the TCP transports.
 */
export function caBundlePem(verify: string | Uint8Array): string {
  const ca = caFrom(verify);
  return typeof ca === "string" ? ca : ca.toString("latin1");
}

function caFrom(verify: string | Uint8Array): string | Buffer {
  if (typeof verify !== "string") return Buffer.from(verify.buffer, verify.byteOffset, verify.byteLength);
  return isPem(verify) ? verify : readPemPath(verify, "Could not find a suitable TLS CA certificate bundle");
}

function clientCertFrom(cert: TLSClientCert): { cert: string; key: string; passphrase?: string } {
  if (typeof cert === "string") {
    // One PEM holding both: OpenSSL picks the certificate and the key blocks out of it.
    const pem = isPem(cert) ? cert : readPemPath(cert, "Could not find the TLS certificate file");
    return { cert: pem, key: pem };
  }
  const [certificate, key, passphrase] = cert;
  const certPem = isPem(certificate)
    ? certificate
    : readPemPath(certificate, "Could not find the TLS certificate file");
  const keyPem = isPem(key) ? key : readPemPath(key, "Could not find the TLS key file");
  return passphrase === undefined
    ? { cert: certPem, key: keyPem }
    : { cert: certPem, key: keyPem, passphrase };
}

/**
 * Turns `verify` and `cert` into what `tls.connect` takes. `true` keeps Node's default trust
 * store; a CA given as PEM, bytes, file or directory replaces it (as Requests' `verify=path`
 * does). Throws a `TransportError` of kind `tls` when a file is missing or the PEM is unusable.
 */
export function resolveTLS(verify: TLSVerify, cert: TLSClientCert | null | undefined): TLSConnectSettings {
  const ca = verify === true || verify === false ? undefined : caFrom(verify);
  const client = cert == null ? undefined : clientCertFrom(cert);
  let secureContext: SecureContext;
  try {
    secureContext = createSecureContext({ ...(ca === undefined ? {} : { ca }), ...client });
  } catch (cause) {
    throw tlsConfigError(
      `Could not load the TLS ${client === undefined ? "CA certificates" : "client certificate or key"}: ${(cause as Error).message}`,
      cause,
    );
  }
  return { secureContext, rejectUnauthorized: verify !== false };
}
