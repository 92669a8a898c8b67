/**
 * QUIC version 1 Initial secrets (RFC 9001 §5.2): the keys of the first flight, derived from the
 * Destination Connection ID the client chose so that both sides (and anyone on the path — they
 * give integrity against off-path attackers only) can compute them.
 *
 * @packageDocumentation
 */

import { Buffer } from "node:buffer";
import { TLS_AES_128_GCM_SHA256 } from "./cipher-suite.js";
import { hkdfExpandLabel, hkdfExtract } from "./hkdf.js";
import { derivePacketProtectionKeys, type PacketProtectionKeys } from "./packet-keys.js";

/**
 * The QUIC version 1 code point.
 *
 * @alpha
 */
export const QUIC_VERSION_1 = 0x00000001;

/**
 * initial_salt of QUIC version 1 (RFC 9001 §5.2). A new version brings a new salt (§9.6).
 *
 * @alpha
 */
export const QUIC_V1_INITIAL_SALT: Uint8Array = Uint8Array.from(
  Buffer.from("38762cf7f55934b34d179ae6a4c80cadccbb7f0a", "hex"),
);

/**
 * The Initial secrets of one connection.
 *
 * @alpha
 */
export interface InitialSecrets {
  /** initial_secret = HKDF-Extract(initial_salt, client_dst_connection_id). */
  readonly initialSecret: Uint8Array;
  /** client_initial_secret = HKDF-Expand-Label(initial_secret, "client in", "", 32). */
  readonly clientSecret: Uint8Array;
  /** server_initial_secret = HKDF-Expand-Label(initial_secret, "server in", "", 32). */
  readonly serverSecret: Uint8Array;
}

/**
 * The Initial secrets for the Destination Connection ID of the client's first Initial packet.
 *
 * @alpha
 */
export function deriveInitialSecrets(clientDestinationConnectionId: Uint8Array): InitialSecrets {
  const initialSecret = hkdfExtract("sha256", QUIC_V1_INITIAL_SALT, clientDestinationConnectionId);
  const empty = new Uint8Array(0);
  return {
    initialSecret,
    clientSecret: hkdfExpandLabel("sha256", initialSecret, "client in", empty, 32),
    serverSecret: hkdfExpandLabel("sha256", initialSecret, "server in", empty, 32),
  };
}

/**
 * Initial packet protection keys, which always use AEAD_AES_128_GCM (RFC 9001 §5.2).
 *
 * @alpha
 */
export interface InitialKeys {
  /** Protects packets the client sends. */
  readonly client: PacketProtectionKeys;
  /** Protects packets the server sends. */
  readonly server: PacketProtectionKeys;
}

/**
 * Initial packet protection keys for both directions. After a Retry the client derives them
 * again from the new Destination Connection ID it was given (RFC 9001 §5.2).
 *
 * @alpha
 */
export function deriveInitialKeys(clientDestinationConnectionId: Uint8Array): InitialKeys {
  const secrets = deriveInitialSecrets(clientDestinationConnectionId);
  return {
    client: derivePacketProtectionKeys(TLS_AES_128_GCM_SHA256, secrets.clientSecret),
    server: derivePacketProtectionKeys(TLS_AES_128_GCM_SHA256, secrets.serverSecret),
  };
}
