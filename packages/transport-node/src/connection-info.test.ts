import { PassThrough } from "node:stream";
import type { DetailedPeerCertificate } from "node:tls";
import { describe, expect, it } from "vitest";
import { connectionInfo, peerCertificate, readSocketDetails } from "./connection-info.js";

function certificate(overrides: Partial<DetailedPeerCertificate> = {}): DetailedPeerCertificate {
  return {
    subject: { CN: "example.test", OU: ["a", "b"] },
    issuer: { CN: "Test CA" },
    subjectaltname: "DNS:example.test",
    serialNumber: "0A",
    valid_from: "Jan  1 00:00:00 2030 GMT",
    valid_to: "Jan  1 00:00:00 2031 GMT",
    fingerprint256: "AA:BB",
    raw: Buffer.from([1, 2, 3]),
    ...overrides,
  } as unknown as DetailedPeerCertificate;
}

/** What a TLS socket reports, without a handshake. */
function fakeTlsSocket(leaf: DetailedPeerCertificate) {
  return Object.assign(new PassThrough(), {
    encrypted: true,
    remoteAddress: "127.0.0.1",
    remotePort: 443,
    localAddress: "127.0.0.1",
    localPort: 50_000,
    getProtocol: () => "TLSv1.3",
    getCipher: () => ({
      name: "TLS_AES_128_GCM_SHA256",
      standardName: "TLS_AES_128_GCM_SHA256",
      version: "TLSv1.3",
    }),
    getPeerCertificate: () => leaf,
  });
}

describe("peerCertificate", () => {
  it("joins a repeated RDN and keeps the DER bytes", () => {
    const cert = peerCertificate(certificate());
    expect(cert).toMatchObject({
      subject: { CN: "example.test", OU: "a, b" },
      issuer: { CN: "Test CA" },
      subjectAltName: "DNS:example.test",
      serialNumber: "0A",
      fingerprint256: "AA:BB",
    });
    expect([...(cert?.der ?? [])]).toEqual([1, 2, 3]);
  });

  it("is undefined for the empty object Node gives when there is no certificate", () => {
    expect(peerCertificate({} as DetailedPeerCertificate)).toBeUndefined();
    expect(peerCertificate(undefined)).toBeUndefined();
  });
});

describe("readSocketDetails", () => {
  it("reads addresses, TLS parameters and both certificates of a TLS socket", () => {
    const issuer = certificate({ subject: { CN: "Test CA" } as DetailedPeerCertificate["subject"] });
    const details = readSocketDetails(fakeTlsSocket(certificate({ issuerCertificate: issuer })));
    expect(details).toMatchObject({
      remoteAddress: "127.0.0.1",
      remotePort: 443,
      localPort: 50_000,
      encrypted: true,
      tlsVersion: "TLSv1.3",
      cipher: "TLS_AES_128_GCM_SHA256",
      certificate: { subject: { CN: "example.test", OU: "a, b" } },
      issuerCertificate: { subject: { CN: "Test CA" } },
    });
  });

  it("takes any Duplex a connector hands over: no addresses, no TLS", () => {
    expect(readSocketDetails(new PassThrough())).toEqual({
      remoteAddress: undefined,
      remotePort: undefined,
      localAddress: undefined,
      localPort: undefined,
      encrypted: false,
      tlsVersion: undefined,
      cipher: undefined,
      certificate: undefined,
      issuerCertificate: undefined,
    });
  });
});

describe("connectionInfo", () => {
  const details = readSocketDetails(fakeTlsSocket(certificate()));

  it("reports the latencies for the request that opened the connection", () => {
    expect(
      connectionInfo(details, {
        protocol: "h2",
        httpVersion: 20,
        reused: false,
        establishedLatency: 1.5,
        tlsHandshakeLatency: 2.5,
      }),
    ).toMatchObject({
      protocol: "h2",
      httpVersion: 20,
      reused: false,
      encrypted: true,
      establishedLatency: 1.5,
      tlsHandshakeLatency: 2.5,
    });
  });

  it("leaves them out for a reused connection, and the TLS one for cleartext", () => {
    const use = {
      protocol: "http/1.1",
      httpVersion: 11,
      establishedLatency: 1,
      tlsHandshakeLatency: 2,
    } as const;
    expect(connectionInfo(details, { ...use, reused: true })).toMatchObject({
      reused: true,
      establishedLatency: undefined,
      tlsHandshakeLatency: undefined,
    });
    expect(connectionInfo(readSocketDetails(new PassThrough()), { ...use, reused: false })).toMatchObject({
      encrypted: false,
      establishedLatency: 1,
      tlsHandshakeLatency: undefined,
    });
  });
});
