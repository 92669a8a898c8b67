import { once } from "node:events";
import { checkServerIdentity, connect, createServer, type TLSSocket } from "node:tls";
import { describe, expect, it } from "vitest";
import { createTestPki, type TestCertificate } from "./certificates.js";

const DAY = 86_400_000;

/** Runs one TLS handshake on loopback and reports the client's verdict. */
async function handshake(
  server: TestCertificate,
  client: { ca?: string; servername?: string; host?: string; cert?: TestCertificate },
  requestCert = false,
  serverCa?: string,
): Promise<{ authorized: boolean; error: string | undefined; peerCn: string | undefined }> {
  const tlsServer = createServer({
    key: server.key,
    cert: server.chain,
    requestCert,
    rejectUnauthorized: requestCert,
    ...(serverCa ? { ca: serverCa } : {}),
  });
  let peerCn: string | undefined;
  tlsServer.on("secureConnection", (socket: TLSSocket) => {
    const cn = socket.getPeerCertificate().subject?.CN;
    peerCn = Array.isArray(cn) ? cn[0] : cn;
    socket.end("hi");
  });
  tlsServer.on("tlsClientError", () => {});
  tlsServer.listen(0, "127.0.0.1");
  await once(tlsServer, "listening");
  const address = tlsServer.address();
  if (typeof address !== "object" || address === null) throw new Error("no address");
  try {
    const socket = connect({
      host: client.host ?? "127.0.0.1",
      port: address.port,
      servername: client.servername,
      ca: client.ca,
      ...(client.cert ? { cert: client.cert.chain, key: client.cert.key } : {}),
      rejectUnauthorized: false,
    });
    try {
      await once(socket, "secureConnect");
      // Node's default check is what every transport relies on: chain, validity, then host.
      const hostError = socket.authorized ? undefined : String(socket.authorizationError);
      const identity = socket.authorized
        ? checkServerIdentity(client.servername ?? client.host ?? "127.0.0.1", socket.getPeerCertificate())
        : undefined;
      if (requestCert) await once(socket, "data");
      return {
        authorized: socket.authorized && identity === undefined,
        error: hostError ?? (identity as (Error & { code?: string }) | undefined)?.code,
        peerCn,
      };
    } finally {
      socket.destroy();
    }
  } finally {
    tlsServer.close();
  }
}

describe("test certificates in a real TLS handshake", () => {
  it("is trusted through the root and matches 127.0.0.1 and localhost", async () => {
    for (const keyType of ["ec", "rsa", "ed25519"] as const) {
      const pki = createTestPki({ keyType });
      const leaf = pki.issue({ keyType });
      expect(await handshake(leaf, { ca: pki.ca.cert })).toMatchObject({ authorized: true });
      expect(await handshake(leaf, { ca: pki.ca.cert, servername: "localhost" })).toMatchObject({
        authorized: true,
      });
    }
  });

  it("is refused without the root", async () => {
    const result = await handshake(createTestPki().issue(), {});
    expect(result.authorized).toBe(false);
    expect(result.error).toBe("UNABLE_TO_VERIFY_LEAF_SIGNATURE");
  });

  it("is refused when expired", async () => {
    const pki = createTestPki();
    const expired = pki.issue({
      notBefore: new Date(Date.now() - 10 * DAY),
      notAfter: new Date(Date.now() - DAY),
    });
    const result = await handshake(expired, { ca: pki.ca.cert });
    expect(result).toMatchObject({ authorized: false, error: "CERT_HAS_EXPIRED" });
  });

  it("is refused for another host", async () => {
    const pki = createTestPki();
    const result = await handshake(pki.issue({ hosts: ["elsewhere.example"] }), { ca: pki.ca.cert });
    expect(result).toMatchObject({ authorized: false, error: "ERR_TLS_CERT_ALTNAME_INVALID" });
  });

  it("verifies through an intermediate the server sends", async () => {
    const pki = createTestPki({ keyType: "rsa" });
    const leaf = pki.issue({ isCa: true, keyType: "ed25519" }).issue();
    expect(await handshake(leaf, { ca: pki.ca.cert })).toMatchObject({ authorized: true });
  });

  it("trusts a self-signed leaf only when it is the trust anchor itself", async () => {
    const pki = createTestPki();
    const selfSigned = pki.issue({ selfSigned: true });
    expect(await handshake(selfSigned, { ca: pki.ca.cert })).toMatchObject({ authorized: false });
    expect(await handshake(selfSigned, { ca: selfSigned.cert })).toMatchObject({ authorized: true });
  });

  it("authenticates a client certificate for mutual TLS", async () => {
    const pki = createTestPki();
    const client = pki.issue({ hosts: ["client.test"], clientAuth: true });
    const result = await handshake(pki.issue(), { ca: pki.ca.cert, cert: client }, true, pki.ca.cert);
    expect(result).toMatchObject({ authorized: true, peerCn: "client.test" });
  });
});
