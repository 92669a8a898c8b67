import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { DetailedPeerCertificate, TLSSocket } from "node:tls";
import type { ConnectionInfo, PeerCertificate } from "@nq/models";

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

function peerCertificate(cert: DetailedPeerCertificate | undefined): PeerCertificate | undefined {
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

/**
 * What we know about the socket under one HTTP/2 session, read once before node:http2 takes the
 * socket over (its proxy refuses most socket methods, and Node forgets TLS details after close).
 */
export class ConnectionRecord {
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  readonly localAddress: string | undefined;
  readonly localPort: number | undefined;
  readonly encrypted: boolean;
  readonly tlsVersion: string | undefined;
  readonly cipher: string | undefined;
  readonly certificate: PeerCertificate | undefined;
  readonly issuerCertificate: PeerCertificate | undefined;
  readonly establishedLatency: number | undefined;
  readonly tlsHandshakeLatency: number | undefined;
  #reused: ConnectionInfo | undefined;

  constructor(
    duplex: Duplex,
    establishedLatency: number | undefined,
    tlsHandshakeLatency: number | undefined,
  ) {
    // A connector may hand over any Duplex; addresses and TLS details exist only on real sockets.
    const socket = duplex as Partial<Socket> & Partial<TLSSocket>;
    this.remoteAddress = socket.remoteAddress;
    this.remotePort = socket.remotePort;
    this.localAddress = socket.localAddress;
    this.localPort = socket.localPort;
    this.encrypted = socket.encrypted === true;
    this.tlsVersion = this.encrypted ? (socket.getProtocol?.() ?? undefined) : undefined;
    this.cipher = this.encrypted ? socket.getCipher?.()?.standardName : undefined;
    this.establishedLatency = establishedLatency;
    this.tlsHandshakeLatency = this.encrypted ? tlsHandshakeLatency : undefined;
    const leaf = this.encrypted ? socket.getPeerCertificate?.(true) : undefined;
    this.certificate = peerCertificate(leaf);
    this.issuerCertificate = peerCertificate(leaf?.issuerCertificate as DetailedPeerCertificate | undefined);
  }

  /** The connection info for one request served by this session. */
  info(reused: boolean): ConnectionInfo {
    // Every request after the first gets the same frozen object.
    if (reused) {
      this.#reused ??= Object.freeze(this.#build(true));
      return this.#reused;
    }
    return this.#build(false);
  }

  #build(reused: boolean): ConnectionInfo {
    return {
      protocol: "h2",
      httpVersion: 20,
      remoteAddress: this.remoteAddress,
      remotePort: this.remotePort,
      localAddress: this.localAddress,
      localPort: this.localPort,
      encrypted: this.encrypted,
      tlsVersion: this.tlsVersion,
      cipher: this.cipher,
      certificate: this.certificate,
      issuerCertificate: this.issuerCertificate,
      reused,
      establishedLatency: reused ? undefined : this.establishedLatency,
      tlsHandshakeLatency: reused ? undefined : this.tlsHandshakeLatency,
    };
  }
}
