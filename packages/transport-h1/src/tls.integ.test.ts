import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TLSSocket } from "node:tls";
import { requestExceptionFrom, SSLError, type TransportError } from "@nq/models";
import type { HttpHandler, SecureFixtureServer } from "@nq/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestPki, type TestPki } from "../test/certificates.js";
import { prepared, readAll, sendOptions, transportFailure, useFixtures } from "../test/helpers.js";

let pki: TestPki;

beforeAll(() => {
  pki = createTestPki();
});

afterAll(() => {
  pki.remove();
});

const { serveTls, transport } = useFixtures();

const hello: HttpHandler = (_req, res) => res.end("secure hello");

/** An HTTPS server presenting the named certificate; with `mtls`, it also demands a client certificate from the CA. */
function serve(
  which: "ca-signed" | "self-signed" | "wrong-host",
  handler: HttpHandler = hello,
  mtls = false,
): Promise<SecureFixtureServer> {
  const certificate =
    which === "ca-signed" ? pki.server : which === "self-signed" ? pki.selfSigned : pki.wrongHost;
  return serveTls(handler, { pki: pki.kit, certificate, requireClientCertificate: mtls });
}

async function tlsFailure(promise: Promise<unknown>): Promise<TransportError> {
  const error = await transportFailure(promise);
  expect(error).toMatchObject({ kind: "tls", phase: "connect" });
  expect(requestExceptionFrom(error)).toBeInstanceOf(SSLError);
  return error;
}

describe("server verification", () => {
  it("rejects a self-signed certificate by default", async () => {
    const server = await serve("self-signed");
    const error = await tlsFailure(transport().send(prepared(server.url), sendOptions()));
    expect(error.code).toBe("DEPTH_ZERO_SELF_SIGNED_CERT");
    expect(error.retryable).toBe(true);
  });

  it("rejects a certificate from an unknown CA by default", async () => {
    const server = await serve("ca-signed");
    const error = await tlsFailure(transport().send(prepared(server.url), sendOptions()));
    expect(error.code).toBe("UNABLE_TO_VERIFY_LEAF_SIGNATURE");
  });

  it("accepts the server with verify = the CA as PEM text", async () => {
    const server = await serve("ca-signed");
    const response = await transport().send(prepared(server.url), sendOptions({ verify: pki.caCert }));
    expect((await readAll(response.body)).toString()).toBe("secure hello");
  });

  it("accepts the server with verify = a path to the CA bundle, a directory, or PEM bytes", async () => {
    const server = await serve("ca-signed");
    const dir = join(pki.dir, "capath");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "readme.txt"), "not a certificate");
    writeFileSync(join(dir, "ca.pem"), pki.caCert);
    const t = transport();
    for (const verify of [pki.caPath, dir, new TextEncoder().encode(pki.caCert)]) {
      const response = await t.send(prepared(server.url), sendOptions({ verify }));
      expect((await readAll(response.body)).toString()).toBe("secure hello");
    }
  });

  it("accepts anything with verify = false", async () => {
    const server = await serve("self-signed");
    const response = await transport().send(prepared(server.url), sendOptions({ verify: false }));
    expect((await readAll(response.body)).toString()).toBe("secure hello");
  });

  it("rejects a certificate for another host name", async () => {
    const server = await serve("wrong-host");
    const url = `https://localhost:${server.port}/`;
    const error = await tlsFailure(transport().send(prepared(url), sendOptions({ verify: pki.caCert })));
    expect(error.code).toBe("ERR_TLS_CERT_ALTNAME_INVALID");
  });

  it("checks the certificate against an IP literal host and sends no SNI for it", async () => {
    let sni: string | false | null | undefined;
    const server = await serve("ca-signed", (req, res) => {
      sni = (req.socket as TLSSocket).servername;
      res.end("ok");
    });
    const t = transport();
    const response = await t.send(prepared(server.url), sendOptions({ verify: pki.caCert }));
    await readAll(response.body);
    expect(sni).toBe(false);
    // A caller's Host header changes neither the SNI nor the connection.
    const request = prepared(server.url, { headers: { Host: "virtual.example" } });
    const again = await t.send(request, sendOptions({ verify: pki.caCert }));
    await readAll(again.body);
    expect(sni).toBe(false);
    expect(again.connInfo?.reused).toBe(true);
  });

  it("sends the URL host as SNI even when the caller sets another Host header", async () => {
    let sni: string | false | null | undefined;
    let host: string | undefined;
    const server = await serve("ca-signed", (req, res) => {
      sni = (req.socket as TLSSocket).servername;
      host = req.headers.host;
      res.end("ok");
    });
    const request = prepared(`https://localhost:${server.port}/`, { headers: { Host: "virtual.example" } });
    const response = await transport().send(request, sendOptions({ verify: pki.caCert }));
    await readAll(response.body);
    expect(sni).toBe("localhost");
    expect(host).toBe("virtual.example");
  });

  it("fails with a clear message when the CA bundle path does not exist", async () => {
    const missing = join(pki.dir, "missing.pem");
    const error = await transportFailure(
      transport().send(prepared("https://127.0.0.1:1/"), sendOptions({ verify: missing })),
    );
    expect(error).toMatchObject({
      kind: "tls",
      phase: "connect",
      retryable: false,
      message: `Could not find a suitable TLS CA certificate bundle, invalid path: ${missing}`,
    });
  });
});

describe("client certificates", () => {
  async function mtlsServer(): Promise<SecureFixtureServer> {
    return serve(
      "ca-signed",
      (req, res) => {
        const peer = (req.socket as TLSSocket).getPeerCertificate();
        res.end(peer.subject?.CN ?? "anonymous");
      },
      true,
    );
  }

  it.each([
    ["[cert, key] files", () => [pki.clientCertPath, pki.clientKeyPath] as const],
    ["one PEM file holding both", () => pki.clientCombinedPath],
    [
      "[cert, encrypted key, password]",
      () => [pki.clientCertPath, pki.clientEncryptedKeyPath, pki.clientKeyPassword] as const,
    ],
  ])("presents %s", async (_title, cert) => {
    const server = await mtlsServer();
    const response = await transport().send(
      prepared(server.url),
      sendOptions({ verify: pki.caCert, cert: cert() }),
    );
    expect((await readAll(response.body)).toString()).toBe("nq client");
  });

  it("fails the handshake without a client certificate", async () => {
    const server = await mtlsServer();
    const error = await transportFailure(
      transport().send(prepared(server.url), sendOptions({ verify: pki.caCert })),
    );
    // TLS 1.3 finishes the client side before the server refuses: the alert arrives as a TLS
    // error or as a reset, depending on timing.
    expect(["tls", "reset"]).toContain(error.kind);
  });

  it("fails clearly when the certificate or key file is missing", async () => {
    const t = transport();
    const missing = join(pki.dir, "nope.pem");
    const noCert = await t
      .send(prepared("https://127.0.0.1:1/"), sendOptions({ cert: [missing, pki.clientKeyPath] }))
      .catch((e: unknown) => e);
    expect(noCert).toMatchObject({
      kind: "tls",
      message: `Could not find the TLS certificate file, invalid path: ${missing}`,
    });
    const noKey = await t
      .send(prepared("https://127.0.0.1:1/"), sendOptions({ cert: [pki.clientCertPath, missing] }))
      .catch((e: unknown) => e);
    expect(noKey).toMatchObject({
      kind: "tls",
      message: `Could not find the TLS key file, invalid path: ${missing}`,
    });
  });
});

describe("TLS connection info", () => {
  it("reports version, cipher, certificates and handshake timing", async () => {
    const server = await serve("ca-signed");
    const t = transport();
    const first = await t.send(prepared(server.url), sendOptions({ verify: pki.caCert }));
    await readAll(first.body);
    const info = first.connInfo!;
    expect(info.encrypted).toBe(true);
    expect(info.protocol).toBe("http/1.1");
    expect(info.tlsVersion).toBe("TLSv1.3");
    expect(info.cipher).toMatch(/^TLS_/);
    expect(info.reused).toBe(false);
    expect(info.tlsHandshakeLatency).toBeGreaterThanOrEqual(0);
    expect(info.certificate?.subject).toMatchObject({ CN: "localhost", O: "nq testkit" });
    expect(info.certificate?.issuer).toMatchObject({ CN: expect.stringMatching(/^nq testkit root/) });
    expect(info.certificate?.subjectAltName).toBe("DNS:localhost, IP Address:127.0.0.1");
    expect(info.certificate?.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(info.certificate?.der).toBeInstanceOf(Uint8Array);
    expect(info.certificate?.serialNumber).toMatch(/^[0-9A-F]+$/);
    expect(info.certificate?.validTo).toMatch(/GMT$/);
    expect(info.issuerCertificate?.subject).toMatchObject({ CN: expect.stringMatching(/^nq testkit root/) });
    const second = await t.send(prepared(server.url), sendOptions({ verify: pki.caCert }));
    await readAll(second.body);
    expect(second.connInfo?.reused).toBe(true);
    expect(second.connInfo?.tlsHandshakeLatency).toBeUndefined();
    expect(second.connInfo?.certificate?.fingerprint256).toBe(info.certificate?.fingerprint256);
    expect(server.connections).toBe(1);
  });

  it("keeps separate pools for separate TLS settings", async () => {
    const server = await serve("self-signed");
    const t = transport();
    await readAll((await t.send(prepared(server.url), sendOptions({ verify: false }))).body);
    await readAll((await t.send(prepared(server.url), sendOptions({ verify: pki.selfSigned.cert }))).body);
    await readAll((await t.send(prepared(server.url), sendOptions({ verify: false }))).body);
    expect(server.connections).toBe(2);
  });
});
