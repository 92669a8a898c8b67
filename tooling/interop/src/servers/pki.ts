import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createTestPki } from "@nq/testkit";

/** The files of a throwaway PKI for the TLS servers of one run. */
export interface PkiFiles {
  /** The root CA, PEM: what both clients are told to trust, and nothing else. */
  readonly ca: string;
  /** The server's leaf followed by its chain up to (not including) the root, PEM. */
  readonly chain: string;
  /** The leaf's private key, PKCS#8 PEM. */
  readonly key: string;
  /** The leaf alone, PEM: what a client must see as the peer certificate. */
  readonly leaf: string;
}

/**
 * Makes a fresh root CA and one leaf for `localhost`, `127.0.0.1` and `::1` (in-process, with
 * node:crypto) and writes them to `dir`. Made per run, so nothing expires in a checkout and no
 * key is committed.
 */
export function writeTestPki(dir: string): PkiFiles {
  const pki = createTestPki();
  const leaf = pki.issue({ hosts: ["localhost", "127.0.0.1", "::1"] });
  const files: PkiFiles = {
    ca: join(dir, "ca.pem"),
    chain: join(dir, "chain.pem"),
    key: join(dir, "leaf.key"),
    leaf: join(dir, "leaf.pem"),
  };
  writeFileSync(files.ca, pki.ca.cert);
  writeFileSync(files.chain, leaf.chain);
  writeFileSync(files.key, leaf.key, { mode: 0o600 });
  writeFileSync(files.leaf, leaf.cert);
  return files;
}
