/**
 * The `verify` option every nq transport takes, as the trust the QUIC handshake checks a
 * server's chain against. Node's TLS cannot carry QUIC, so the QUIC client verifies
 * certificates itself and needs the anchors as certificates, not as an OpenSSL context.
 *
 * @packageDocumentation
 */

import { rootCertificates } from "node:tls";
import { type TLSVerify, TransportError } from "@nq/models";
import { caBundlePem, tlsKey } from "@nq/transport-node";
import { TrustStore } from "./quic/index.js";

// Parsing a bundle takes milliseconds (Node's roots are 140-odd certificates): one store per
// distinct setting, a few kept.
const MAX_STORES = 8;
const stores = new Map<string, TrustStore>();

function loadStore(pem: readonly string[]): TrustStore {
  try {
    return new TrustStore(pem);
  } catch (cause) {
    // As the TCP transports report a bundle OpenSSL cannot load: a local fault, not retried.
    throw new TransportError(`Could not load the TLS CA certificates: ${(cause as Error).message}`, {
      kind: "tls",
      phase: "connect",
      retryable: false,
      cause,
    });
  }
}

/**
 * The trust for `verify`: `true` is Node's bundled root certificates (`tls.rootCertificates`),
 * `false` accepts any chain, and a path, PEM text or PEM bytes trusts that bundle alone, as
 * Requests' `verify` does; a missing file or a bundle without certificates fails as a `tls`
 * `TransportError`.
 *
 * @alpha
 */
export function quicTrust(verify: TLSVerify): TrustStore | "any" {
  if (verify === false) return "any";
  const key = tlsKey(verify, undefined);
  let store = stores.get(key);
  if (store === undefined) {
    store = loadStore(verify === true ? rootCertificates : [caBundlePem(verify)]);
    if (stores.size >= MAX_STORES) stores.delete(stores.keys().next().value as string);
    stores.set(key, store);
  }
  return store;
}
