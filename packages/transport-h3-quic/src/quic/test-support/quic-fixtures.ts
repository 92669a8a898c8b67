/**
 * Certificates, a client and a scripted server wired for connection tests, so each test states
 * only what it changes.
 *
 * @packageDocumentation
 */

import { createPrivateKey, X509Certificate } from "node:crypto";
import { createTestPki, type TestPki } from "@nq/testkit";
import { QuicClientConnection, type QuicClientConnectionOptions } from "../connection/client-connection.js";
import type { QuicConnectionEvent } from "../connection/connection-events.js";
import { certificateVerifier, TrustStore } from "../tls/certificate-verifier.js";
import { SignatureScheme } from "../tls/handshake-messages.js";
import { QuicNetwork, type QuicNetworkOptions } from "./quic-network.js";
import { QuicTestServer, type QuicTestServerOptions } from "./quic-test-server.js";

/** The host name the test certificates are issued for. */
export const SERVER_NAME = "server.test";

let pki: TestPki | undefined;
let stranger: TestPki | undefined;

/** One PKI for the whole test file: making keys is the slow part. */
export function testPki(): TestPki {
  pki ??= createTestPki();
  return pki;
}

/** A second, unrelated CA: chains from it are not trusted by `trustedVerifier`. */
export function strangerPki(): TestPki {
  stranger ??= createTestPki();
  return stranger;
}

function leafOf(
  from: TestPki,
): Pick<QuicTestServerOptions, "certificateChain" | "privateKey" | "signatureScheme"> {
  const leaf = from.issue({ hosts: [SERVER_NAME] });
  return {
    certificateChain: [new Uint8Array(new X509Certificate(leaf.cert).raw)],
    privateKey: createPrivateKey(leaf.key),
    signatureScheme: SignatureScheme.ecdsa_secp256r1_sha256,
  };
}

let trustedLeaf: ReturnType<typeof leafOf> | undefined;

/** A scripted server with a certificate for `SERVER_NAME` from `testPki()`. */
export function testServer(options: Partial<QuicTestServerOptions> = {}): QuicTestServer {
  trustedLeaf ??= leafOf(testPki());
  return new QuicTestServer({ ...trustedLeaf, alpnProtocol: "h3", ...options });
}

/** A scripted server whose certificate comes from the stranger CA. */
export function untrustedServer(options: Partial<QuicTestServerOptions> = {}): QuicTestServer {
  return new QuicTestServer({ ...leafOf(strangerPki()), alpnProtocol: "h3", ...options });
}

/** The verifier that trusts `testPki()`. */
export function trustedVerifier(): QuicClientConnectionOptions["verifyCertificate"] {
  return certificateVerifier(new TrustStore(testPki().ca.cert));
}

/** A client for `SERVER_NAME` that trusts `testPki()`, created at `now` (0 unless given). */
export function testClient(options: Partial<QuicClientConnectionOptions> = {}): QuicClientConnection {
  return new QuicClientConnection({
    serverName: SERVER_NAME,
    alpnProtocols: ["h3"],
    verifyCertificate: trustedVerifier(),
    now: 0,
    ...options,
  });
}

/** A client, a server and the network between them, with the client's events collected. */
export interface TestPair {
  readonly client: QuicClientConnection;
  readonly server: QuicTestServer;
  readonly network: QuicNetwork;
  /** Every event the client reported so far; refreshed by `clientEvents()`. */
  readonly events: QuicConnectionEvent[];
  clientEvents(): QuicConnectionEvent[];
}

/** Wires a client and a server through an in-memory network. */
export function testPair(
  options: {
    readonly client?: Partial<QuicClientConnectionOptions>;
    readonly server?: Partial<QuicTestServerOptions>;
    readonly network?: QuicNetworkOptions;
  } = {},
): TestPair {
  const client = testClient(options.client);
  const server = testServer(options.server);
  const network = new QuicNetwork(client, server, options.network);
  const events: QuicConnectionEvent[] = [];
  return {
    client,
    server,
    network,
    events,
    clientEvents() {
      events.push(...client.takeEvents());
      return events;
    },
  };
}

/** The closed event among `events`, if any. */
export function closedEvent(
  events: readonly QuicConnectionEvent[],
): Extract<QuicConnectionEvent, { type: "closed" }> | undefined {
  return events.find(
    (event): event is Extract<QuicConnectionEvent, { type: "closed" }> => event.type === "closed",
  );
}

/** Runs until the client's handshake is confirmed. */
export function confirm(pair: TestPair, maxTime = 10_000): void {
  pair.network.runUntil(() => pair.client.handshakeConfirmed, pair.network.now + maxTime);
}
