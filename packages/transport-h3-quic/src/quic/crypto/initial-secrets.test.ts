import { describe, expect, it } from "vitest";
import { fromHex, toHex } from "../test-support/hex.js";
import { A1, DCID } from "../test-support/rfc9001-vectors.js";
import { TLS_AES_128_GCM_SHA256 } from "./cipher-suite.js";
import { deriveInitialKeys, deriveInitialSecrets, QUIC_V1_INITIAL_SALT } from "./initial-secrets.js";

const h = (text: string): string => toHex(fromHex(text));

describe("QUIC v1 Initial secrets (RFC 9001 §5.2, Appendix A.1)", () => {
  it("uses the version 1 salt", () => {
    expect(toHex(QUIC_V1_INITIAL_SALT)).toBe("38762cf7f55934b34d179ae6a4c80cadccbb7f0a");
  });

  it("derives initial_secret and both directions' secrets exactly", () => {
    const secrets = deriveInitialSecrets(fromHex(DCID));
    expect(toHex(secrets.initialSecret)).toBe(h(A1.initialSecret));
    expect(toHex(secrets.clientSecret)).toBe(h(A1.client.secret));
    expect(toHex(secrets.serverSecret)).toBe(h(A1.server.secret));
  });

  it("derives the client and server key, iv and hp exactly", () => {
    const { client, server } = deriveInitialKeys(fromHex(DCID));
    expect(client.suite).toBe(TLS_AES_128_GCM_SHA256);
    expect([toHex(client.key), toHex(client.iv), toHex(client.hp)]).toEqual([
      A1.client.key,
      A1.client.iv,
      A1.client.hp,
    ]);
    expect([toHex(server.key), toHex(server.iv), toHex(server.hp)]).toEqual([
      A1.server.key,
      A1.server.iv,
      A1.server.hp,
    ]);
  });

  it("gives different keys for a different connection ID (as after a Retry)", () => {
    const { client } = deriveInitialKeys(fromHex("f067a5502a4262b5"));
    expect(toHex(client.key)).not.toBe(A1.client.key);
  });
});
