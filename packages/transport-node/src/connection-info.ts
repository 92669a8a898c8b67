/**
 * What a socket tells about itself — addresses, TLS parameters, the peer's certificates — read
 * once, and the `ConnectionInfo` a response reports from it.
 */
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { DetailedPeerCertificate, TLSSocket } from "node:tls";
import type { ConnectionInfo, HttpVersion, PeerCertificate, Protocol } from "@nq/models";

type CertificateFields = Readonly<Record<string, string | string[] | undefined>>;

function fields(record: CertificateFields | undefined): Readonly<Record<string, string>> {
  const out: Record<string, string> = {};
  if (record === undefined) return out;
  for (const [name, value] of Object.entries(record)) {
    if (value === undefined) continue;
    // A repeated RDN (two OUs) arrives as an array.
    out[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

/** A certificate as `connInfo` reports it, or `undefined` when Node has none to give. */
export function peerCertificate(cert: DetailedPeerCertificate | undefined): PeerCertificate | undefined {
  // Node hands back `{}` when there is no certificate (verify=false against an anonymous peer).
  if (cert === undefined || cert.raw === undefined) return undefined;
  return {
    subject: fields(cert.subject as CertificateFields | undefined),
    issuer: fields(cert.issuer as CertificateFields | undefined),
    subjectAltName: cert.subjectaltname,
    serialNumber: cert.serialNumber,
    validFrom: cert.valid_from,
    validTo: cert.valid_to,
    fingerprint256: cert.fingerprint256,
    der: new Uint8Array(cert.raw.buffer, cert.raw.byteOffset, cert.raw.byteLength),
  };
}

/** The addresses and TLS details of one socket, as {@link readSocketDetails} found them. */
export interface SocketDetails {
  /** The peer's address. */
  readonly remoteAddress: string | undefined;
  /** The peer's port. */
  readonly remotePort: number | undefined;
  /** Our end's address. */
  readonly localAddress: string | undefined;
  /** Our end's port. */
  readonly localPort: number | undefined;
  /** True for a TLS socket. */
  readonly encrypted: boolean;
  /** The TLS version (`TLSv1.3`…). */
  readonly tlsVersion: string | undefined;
  /** The cipher suite's standard name. */
  readonly cipher: string | undefined;
  /** The peer's certificate. */
  readonly certificate: PeerCertificate | undefined;
  /** The certificate that issued the peer's, when the peer sent it. */
  readonly issuerCertificate: PeerCertificate | undefined;
}

/**
 * Reads what `connInfo` reports of a socket. Call it once, while the socket is open and before
 * anything takes it over: Node forgets TLS details after close, and node:http2's socket proxy
 * refuses most socket methods. A connector may hand over any `Duplex`; addresses and TLS
 * details exist only on real sockets, and are `undefined` otherwise.
 */
export function readSocketDetails(duplex: Duplex): SocketDetails {
  const socket = duplex as Partial<Socket> & Partial<TLSSocket>;
  const encrypted = socket.encrypted === true;
  const leaf = encrypted ? socket.getPeerCertificate?.(true) : undefined;
  return {
    remoteAddress: socket.remoteAddress,
    remotePort: socket.remotePort,
    localAddress: socket.localAddress,
    localPort: socket.localPort,
    encrypted,
    tlsVersion: encrypted ? (socket.getProtocol?.() ?? undefined) : undefined,
    cipher: encrypted ? socket.getCipher?.()?.standardName : undefined,
    certificate: peerCertificate(leaf),
    issuerCertificate: peerCertificate(leaf?.issuerCertificate as DetailedPeerCertificate | undefined),
  };
}

/** What one request adds to a socket's details in its `connInfo`. */
export interface ConnectionUse {
  /** The protocol spoken on the connection. */
  readonly protocol: Protocol;
  /** The HTTP version of the response (`10` for an HTTP/1.0 server on an HTTP/1.1 connection). */
  readonly httpVersion: HttpVersion;
  /** True when an earlier request already used the connection: latencies are then left out. */
  readonly reused: boolean;
  /** Milliseconds TCP took to connect. */
  readonly establishedLatency: number | undefined;
  /** Milliseconds the TLS handshake took; reported for an encrypted socket only. */
  readonly tlsHandshakeLatency: number | undefined;
}

/** The `connInfo` of one request served by a socket with these details. */
export function connectionInfo(details: SocketDetails, use: ConnectionUse): ConnectionInfo {
  const reused = use.reused;
  return {
    protocol: use.protocol,
    httpVersion: use.httpVersion,
    remoteAddress: details.remoteAddress,
    remotePort: details.remotePort,
    localAddress: details.localAddress,
    localPort: details.localPort,
    encrypted: details.encrypted,
    tlsVersion: details.tlsVersion,
    cipher: details.cipher,
    certificate: details.certificate,
    issuerCertificate: details.issuerCertificate,
    reused,
    establishedLatency: reused ? undefined : use.establishedLatency,
    tlsHandshakeLatency: reused || !details.encrypted ? undefined : use.tlsHandshakeLatency,
  };
}
