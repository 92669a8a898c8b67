import type { Socket } from "node:net";
import type { DetailedPeerCertificate, TLSSocket } from "node:tls";
import type { ConnectionInfo, HttpVersion, PeerCertificate } from "@nq/models";

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
 * What we know about one socket: its addresses and TLS parameters (read once, while the socket
 * is open — Node forgets them after close), the HTTP version the server answers with, and how
 * long opening it took.
 */
export class SocketRecord {
  readonly socket: Socket;
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  readonly localAddress: string | undefined;
  readonly localPort: number | undefined;
  readonly encrypted: boolean;
  readonly tlsVersion: string | undefined;
  readonly cipher: string | undefined;
  readonly establishedLatency: number;
  readonly tlsHandshakeLatency: number | undefined;
  /** From the first status line the server sent on this socket. */
  httpVersion: 10 | 11 = 11;
  /** How many requests this socket has been handed; more than one means reuse. */
  requests = 0;
  #certificates: [PeerCertificate | undefined, PeerCertificate | undefined] | undefined;

  constructor(socket: Socket, startedAt: number, tcpConnectedAt: number, readyAt: number) {
    this.socket = socket;
    this.remoteAddress = socket.remoteAddress;
    this.remotePort = socket.remotePort;
    this.localAddress = socket.localAddress;
    this.localPort = socket.localPort;
    const tlsSocket = socket as Partial<TLSSocket>;
    this.encrypted = tlsSocket.encrypted === true;
    this.tlsVersion = this.encrypted ? (tlsSocket.getProtocol?.() ?? undefined) : undefined;
    this.cipher = this.encrypted ? tlsSocket.getCipher?.()?.standardName : undefined;
    this.establishedLatency = tcpConnectedAt - startedAt;
    this.tlsHandshakeLatency = this.encrypted ? readyAt - tcpConnectedAt : undefined;
    if (this.encrypted) this.#readCertificates();
    this.#watchStatusLine();
  }

  #readCertificates(): void {
    const leaf = (this.socket as TLSSocket).getPeerCertificate(true);
    const issuer = leaf.issuerCertificate as DetailedPeerCertificate | undefined;
    this.#certificates = [peerCertificate(leaf), peerCertificate(issuer)];
  }

  // undici does not say which HTTP version a response carried, so peek at the first bytes the
  // socket yields ("HTTP/1.0 200 …") through an own-property `read` that removes itself. Only
  // the first read pays for it; a server answers every response on a connection alike.
  #watchStatusLine(): void {
    const socket = this.socket;
    const read = socket.read;
    socket.read = (size?: number) => {
      const chunk = read.call(socket, size) as Buffer | string | null;
      if (chunk !== null) {
        Reflect.deleteProperty(socket, "read");
        if (typeof chunk !== "string" && chunk.length > 7 && chunk[5] === 0x31 && chunk[7] === 0x30) {
          this.httpVersion = 10;
        }
      }
      return chunk;
    };
  }

  /** The connection info for one request served by this socket. */
  info(reused: boolean): ConnectionInfo {
    const [certificate, issuerCertificate] = this.#certificates ?? [undefined, undefined];
    return {
      protocol: "http/1.1",
      httpVersion: this.httpVersion as HttpVersion,
      remoteAddress: this.remoteAddress,
      remotePort: this.remotePort,
      localAddress: this.localAddress,
      localPort: this.localPort,
      encrypted: this.encrypted,
      tlsVersion: this.tlsVersion,
      cipher: this.cipher,
      certificate,
      issuerCertificate,
      reused,
      establishedLatency: reused ? undefined : this.establishedLatency,
      tlsHandshakeLatency: reused ? undefined : this.tlsHandshakeLatency,
    };
  }
}
