import { createECDH } from "node:crypto";
import { describe, expect, it } from "vitest";
import { fromHex, toHex } from "../test-support/hex.js";
import { keys, secrets } from "../test-support/rfc8448-vectors.js";
import { alertOf } from "../test-support/thrown.js";
import { TlsAlert } from "./alert.js";
import { NamedGroup } from "./handshake-messages.js";
import {
  generateKeyShare,
  keyExchangeGroupByCode,
  keyShareFromPrivateKey,
  namedGroupCode,
} from "./key-share.js";

describe("x25519", () => {
  it("gives the RFC 8448 §3 public keys and shared secret from the trace's private keys, both ways", () => {
    const client = keyShareFromPrivateKey("x25519", fromHex(keys.clientPrivate));
    const server = keyShareFromPrivateKey("x25519", fromHex(keys.serverPrivate));
    expect(toHex(client.publicKey)).toBe(keys.clientPublic);
    expect(toHex(server.publicKey)).toBe(keys.serverPublic);
    const expected = toHex(fromHex(secrets.sharedSecret));
    expect(toHex(client.sharedSecret(fromHex(keys.serverPublic)))).toBe(expected);
    expect(toHex(server.sharedSecret(fromHex(keys.clientPublic)))).toBe(expected);
    expect(client.namedGroup).toBe(NamedGroup.x25519);
  });

  it("agrees between two fresh key pairs", () => {
    const a = generateKeyShare("x25519");
    const b = generateKeyShare("x25519");
    expect(a.publicKey).toHaveLength(32);
    expect(toHex(a.sharedSecret(b.publicKey))).toBe(toHex(b.sharedSecret(a.publicKey)));
  });

  it("refuses a share of the wrong length and low-order points (an all-zero secret)", () => {
    const share = generateKeyShare("x25519");
    expect(alertOf(() => share.sharedSecret(new Uint8Array(31)))).toBe(TlsAlert.illegal_parameter);
    expect(alertOf(() => share.sharedSecret(new Uint8Array(33)))).toBe(TlsAlert.illegal_parameter);
    // 0 and 1 are points of small order: the result is all zeros (RFC 7748 §6.1).
    expect(alertOf(() => share.sharedSecret(new Uint8Array(32)))).toBe(TlsAlert.illegal_parameter);
    const one = new Uint8Array(32);
    one[0] = 1;
    expect(alertOf(() => share.sharedSecret(one))).toBe(TlsAlert.illegal_parameter);
  });
});

describe("secp256r1", () => {
  it("agrees between two parties, with 65-byte uncompressed points and a 32-byte secret", () => {
    const a = generateKeyShare("secp256r1");
    const b = generateKeyShare("secp256r1");
    expect(a.publicKey).toHaveLength(65);
    expect(a.publicKey[0]).toBe(4);
    const secret = a.sharedSecret(b.publicKey);
    expect(secret).toHaveLength(32);
    expect(toHex(secret)).toBe(toHex(b.sharedSecret(a.publicKey)));
    expect(a.namedGroup).toBe(NamedGroup.secp256r1);
  });

  it("takes an injected private key and agrees with node:crypto's ECDH", () => {
    const privateKey = fromHex("c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721");
    const share = keyShareFromPrivateKey("secp256r1", privateKey);
    const reference = createECDH("prime256v1");
    reference.setPrivateKey(privateKey);
    expect(toHex(share.publicKey)).toBe(reference.getPublicKey("hex"));
    const peer = createECDH("prime256v1");
    peer.generateKeys();
    expect(toHex(share.sharedSecret(peer.getPublicKey()))).toBe(toHex(peer.computeSecret(share.publicKey)));
  });

  it("refuses compressed points, wrong lengths and points off the curve", () => {
    const share = generateKeyShare("secp256r1");
    const peer = generateKeyShare("secp256r1").publicKey;
    const compressed = Uint8Array.from([2 + (peer[64]! & 1), ...peer.subarray(1, 33)]);
    expect(alertOf(() => share.sharedSecret(compressed))).toBe(TlsAlert.illegal_parameter);
    expect(alertOf(() => share.sharedSecret(peer.subarray(0, 64)))).toBe(TlsAlert.illegal_parameter);
    const hybrid = peer.slice();
    hybrid[0] = 6;
    expect(alertOf(() => share.sharedSecret(hybrid))).toBe(TlsAlert.illegal_parameter);
    const offCurve = peer.slice();
    offCurve[64]! ^= 1;
    expect(alertOf(() => share.sharedSecret(offCurve))).toBe(TlsAlert.illegal_parameter);
    expect(alertOf(() => share.sharedSecret(Uint8Array.from([4, ...new Uint8Array(64)])))).toBe(
      TlsAlert.illegal_parameter,
    );
  });
});

describe("group codes", () => {
  it("maps the implemented groups both ways and nothing else", () => {
    expect(namedGroupCode("x25519")).toBe(0x1d);
    expect(namedGroupCode("secp256r1")).toBe(0x17);
    expect(keyExchangeGroupByCode(0x1d)).toBe("x25519");
    expect(keyExchangeGroupByCode(0x17)).toBe("secp256r1");
    expect(keyExchangeGroupByCode(NamedGroup.secp384r1)).toBeUndefined();
  });

  it("refuses an injected private key of the wrong size", () => {
    expect(() => keyShareFromPrivateKey("x25519", new Uint8Array(31))).toThrow(RangeError);
    expect(() => keyShareFromPrivateKey("secp256r1", new Uint8Array(33))).toThrow(RangeError);
  });
});
