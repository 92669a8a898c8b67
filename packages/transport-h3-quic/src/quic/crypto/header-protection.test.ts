import { createCipheriv } from "node:crypto";
import { describe, expect, it } from "vitest";
import { fromHex, toHex } from "../test-support/hex.js";
import { A1, A2, A3, A5 } from "../test-support/rfc9001-vectors.js";
import {
  TLS_AES_128_GCM_SHA256,
  TLS_AES_256_GCM_SHA384,
  TLS_CHACHA20_POLY1305_SHA256,
} from "./cipher-suite.js";
import { HeaderProtection, headerProtectionMask } from "./header-protection.js";

describe("header protection (RFC 9001 §5.4)", () => {
  it("makes the A.2 client Initial mask with AES-128-ECB", () => {
    expect(
      toHex(headerProtectionMask(TLS_AES_128_GCM_SHA256, fromHex(A1.client.hp), fromHex(A2.sample))),
    ).toBe(A2.mask);
  });

  it("makes the A.3 server Initial mask", () => {
    expect(
      toHex(headerProtectionMask(TLS_AES_128_GCM_SHA256, fromHex(A1.server.hp), fromHex(A3.sample))),
    ).toBe(A3.mask);
  });

  it("makes the A.5 mask with ChaCha20, the sample as counter ‖ nonce", () => {
    expect(
      toHex(headerProtectionMask(TLS_CHACHA20_POLY1305_SHA256, fromHex(A5.hp), fromHex(A5.sample))),
    ).toBe(A5.mask);
  });

  it("gives the same masks when one cipher object is reused across packets", () => {
    const hp = new HeaderProtection(TLS_AES_128_GCM_SHA256, fromHex(A1.client.hp));
    for (let i = 0; i < 3; i++) {
      expect(toHex(hp.mask(fromHex(A2.sample)))).toBe(A2.mask);
      expect(toHex(hp.mask(fromHex(A3.sample)))).not.toBe(A2.mask);
    }
    const chacha = new HeaderProtection(TLS_CHACHA20_POLY1305_SHA256, fromHex(A5.hp));
    expect(toHex(chacha.mask(fromHex(A5.sample)))).toBe(A5.mask);
    expect(toHex(chacha.mask(fromHex(A5.sample)))).toBe(A5.mask);
  });

  it("uses AES-256-ECB for the SHA-384 suite", () => {
    const key = fromHex("11".repeat(32));
    const sample = fromHex("22".repeat(16));
    const ecb = createCipheriv("aes-256-ecb", key, null).setAutoPadding(false).update(sample);
    expect(toHex(headerProtectionMask(TLS_AES_256_GCM_SHA384, key, sample))).toBe(toHex(ecb.subarray(0, 5)));
  });

  it("rejects samples and keys of the wrong size", () => {
    expect(() =>
      headerProtectionMask(TLS_AES_128_GCM_SHA256, fromHex(A1.client.hp), new Uint8Array(15)),
    ).toThrow(RangeError);
    expect(() => new HeaderProtection(TLS_CHACHA20_POLY1305_SHA256, new Uint8Array(16))).toThrow(RangeError);
  });
});
