import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fromHex, toHex } from "../test-support/hex.js";
import { A5 } from "../test-support/rfc9001-vectors.js";
import { aeadOpen, aeadSeal, packetNonce } from "./aead.js";
import { CIPHER_SUITES, TLS_AES_128_GCM_SHA256, TLS_CHACHA20_POLY1305_SHA256 } from "./cipher-suite.js";

describe("AEAD packet protection (RFC 9001 §5.3)", () => {
  it("forms the nonce as iv XOR packet number (Appendix A.5)", () => {
    expect(toHex(packetNonce(fromHex(A5.iv), A5.packetNumber))).toBe(A5.nonce);
    expect(toHex(packetNonce(fromHex(A5.iv), 0))).toBe(A5.iv);
  });

  it("XORs all 62 bits of a packet number into the last 8 bytes", () => {
    const iv = new Uint8Array(12);
    expect(toHex(packetNonce(iv, Number.MAX_SAFE_INTEGER))).toBe("00000000001fffffffffffff");
    expect(toHex(packetNonce(iv, 0x0102030405))).toBe("000000000000000102030405");
    expect(() => packetNonce(iv, -1)).toThrow(RangeError);
  });

  it("seals the A.5 ChaCha20-Poly1305 payload exactly", () => {
    const sealed = aeadSeal(
      TLS_CHACHA20_POLY1305_SHA256,
      fromHex(A5.key),
      fromHex(A5.nonce),
      fromHex(A5.unprotectedHeader),
      fromHex(A5.payload),
    );
    expect(toHex(sealed)).toBe(A5.ciphertext);
  });

  it.each(CIPHER_SUITES.map((s) => [s.name, s] as const))(
    "round-trips and authenticates with %s",
    (_, suite) => {
      fc.assert(
        fc.property(
          fc.uint8Array({ minLength: suite.keyLength, maxLength: suite.keyLength }),
          fc.uint8Array({ minLength: 12, maxLength: 12 }),
          fc.uint8Array({ maxLength: 64 }),
          fc.uint8Array({ maxLength: 300 }),
          fc.nat(),
          (key, nonce, aad, plaintext, flip) => {
            const sealed = aeadSeal(suite, key, nonce, aad, plaintext);
            expect(sealed.length).toBe(plaintext.length + 16);
            expect(toHex(aeadOpen(suite, key, nonce, aad, sealed)!)).toBe(toHex(plaintext));
            const tampered = new Uint8Array(sealed);
            tampered[flip % tampered.length]! ^= 0x01;
            expect(aeadOpen(suite, key, nonce, aad, tampered)).toBeUndefined();
            if (aad.length > 0) {
              const otherAad = new Uint8Array(aad);
              otherAad[0]! ^= 0x80;
              expect(aeadOpen(suite, key, nonce, otherAad, sealed)).toBeUndefined();
            }
          },
        ),
        { numRuns: 100 },
      );
    },
  );

  it("discards input shorter than a tag instead of throwing", () => {
    expect(
      aeadOpen(
        TLS_AES_128_GCM_SHA256,
        new Uint8Array(16),
        new Uint8Array(12),
        new Uint8Array(0),
        new Uint8Array(15),
      ),
    ).toBeUndefined();
  });

  it("rejects keys and nonces of the wrong size as programming errors", () => {
    expect(() =>
      aeadSeal(
        TLS_AES_128_GCM_SHA256,
        new Uint8Array(32),
        new Uint8Array(12),
        new Uint8Array(0),
        new Uint8Array(0),
      ),
    ).toThrow(RangeError);
    expect(() =>
      aeadSeal(
        TLS_AES_128_GCM_SHA256,
        new Uint8Array(16),
        new Uint8Array(8),
        new Uint8Array(0),
        new Uint8Array(0),
      ),
    ).toThrow(RangeError);
  });
});
