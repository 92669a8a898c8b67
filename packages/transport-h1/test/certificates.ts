import { createPrivateKey } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestPki as createKitPki, type TestPki as KitPki, type TestCertificate } from "@nq/testkit";

/** Certificates made for one test run, the PEM files of some, and the directory they live in. */
export interface TestPki {
  /** The testkit PKI that issued everything but the self-signed certificate. */
  readonly kit: KitPki;
  readonly dir: string;
  /** The test CA (PEM), and its path. */
  readonly caCert: string;
  readonly caPath: string;
  /** A server certificate for localhost and 127.0.0.1, signed by the CA. */
  readonly server: TestCertificate;
  /** Signed by the CA, but for wrong.example only. */
  readonly wrongHost: TestCertificate;
  /** Self-signed, for localhost and 127.0.0.1. */
  readonly selfSigned: TestCertificate;
  /** A client certificate (clientAuth) signed by the CA, its key, and both in one file. */
  readonly clientCertPath: string;
  readonly clientKeyPath: string;
  readonly clientCombinedPath: string;
  /** The client key encrypted with {@link TestPki.clientKeyPassword}. */
  readonly clientEncryptedKeyPath: string;
  readonly clientKeyPassword: string;
  remove(): void;
}

/**
 * Makes a CA, server, wrong-host, self-signed and client certificates with the testkit's
 * in-process PKI, and writes the files the path-based tests read to a fresh temp directory.
 */
export function createTestPki(): TestPki {
  const pki = createKitPki();
  const server = pki.issue({ hosts: ["localhost", "127.0.0.1"] });
  const wrong = pki.issue({ hosts: ["wrong.example"] });
  const self = pki.issue({ hosts: ["localhost", "127.0.0.1"], selfSigned: true });
  const client = pki.issue({ hosts: ["nq client"], clientAuth: true });
  const password = "correct horse";
  const encryptedKey = createPrivateKey(client.key)
    .export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: password })
    .toString();

  const dir = mkdtempSync(join(tmpdir(), "nq-h1-pki-"));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  return {
    kit: pki,
    dir,
    caCert: pki.ca.cert,
    caPath: file("ca.crt", pki.ca.cert),
    server,
    wrongHost: wrong,
    selfSigned: self,
    clientCertPath: file("client.crt", client.cert),
    clientKeyPath: file("client.key", client.key),
    clientCombinedPath: file("client-combined.pem", client.cert + client.key),
    clientEncryptedKeyPath: file("client-encrypted.key", encryptedKey),
    clientKeyPassword: password,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
