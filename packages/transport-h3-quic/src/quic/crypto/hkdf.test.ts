import { hkdfSync } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fromHex, toHex } from "../test-support/hex.js";
import { secrets as rfc8448 } from "../test-support/rfc8448-vectors.js";
import { A1 } from "../test-support/rfc9001-vectors.js";
import { hashLength, hkdfExpand, hkdfExpandLabel, hkdfExtract, hkdfLabel } from "./hkdf.js";

describe("HKDF (RFC 5869)", () => {
  // RFC 5869 Appendix A.1–A.3, the SHA-256 test cases.
  it("reproduces test case 1", () => {
    const ikm = fromHex("0b".repeat(22));
    const prk = hkdfExtract("sha256", fromHex("000102030405060708090a0b0c"), ikm);
    expect(toHex(prk)).toBe("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5");
    expect(toHex(hkdfExpand("sha256", prk, fromHex("f0f1f2f3f4f5f6f7f8f9"), 42))).toBe(
      "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
    );
  });

  it("reproduces test case 3 (empty salt and info)", () => {
    const prk = hkdfExtract("sha256", new Uint8Array(0), fromHex("0b".repeat(22)));
    expect(toHex(prk)).toBe("19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04");
    expect(toHex(hkdfExpand("sha256", prk, new Uint8Array(0), 42))).toBe(
      "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8",
    );
  });

  // Node's hkdfSync does Extract then Expand; ours must agree for both hashes at every length.
  it.each(["sha256", "sha384"] as const)("agrees with node:crypto hkdfSync for %s", (hash) => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 80 }),
        fc.uint8Array({ maxLength: 80 }),
        fc.uint8Array({ maxLength: 80 }),
        fc.integer({ min: 1, max: 255 * hashLength(hash) }),
        (ikm, salt, info, length) => {
          const ours = hkdfExpand(hash, hkdfExtract(hash, salt, ikm), info, length);
          const node = new Uint8Array(hkdfSync(hash, ikm, salt, info, length));
          expect(toHex(ours)).toBe(toHex(node));
        },
      ),
      { numRuns: 200 },
    );
  });

  it("refuses lengths HKDF cannot produce", () => {
    expect(() => hkdfExpand("sha256", new Uint8Array(32), new Uint8Array(0), 255 * 32 + 1)).toThrow(
      RangeError,
    );
    expect(hkdfExpand("sha384", new Uint8Array(48), new Uint8Array(0), 0)).toHaveLength(0);
  });
});

describe("HKDF-Expand-Label (RFC 8446 §7.1)", () => {
  // RFC 9001 A.1 prints the HkdfLabel of each QUIC label.
  it.each([
    ["client in", 32],
    ["server in", 32],
    ["quic key", 16],
    ["quic iv", 12],
    ["quic hp", 16],
  ] as const)("builds the RFC 9001 A.1 HkdfLabel for %s", (label, length) => {
    expect(toHex(hkdfLabel(label, new Uint8Array(0), length))).toBe(A1.labels[label]);
  });

  it("builds the labels RFC 8448 prints, context included", () => {
    expect(toHex(hkdfLabel("c hs traffic", fromHex(rfc8448.helloHash), 32))).toBe(
      toHex(fromHex(rfc8448.clientHandshakeTrafficInfo)),
    );
    expect(toHex(hkdfLabel("finished", new Uint8Array(0), 32))).toBe(toHex(fromHex(rfc8448.finishedInfo)));
  });

  it("derives the RFC 9001 A.1 client secret from the initial secret", () => {
    expect(
      toHex(hkdfExpandLabel("sha256", fromHex(A1.initialSecret), "client in", new Uint8Array(0), 32)),
    ).toBe(toHex(fromHex(A1.client.secret)));
  });

  it("rejects labels and contexts longer than their one-byte length prefix", () => {
    expect(() => hkdfLabel("x".repeat(250), new Uint8Array(0), 32)).toThrow(RangeError);
    expect(() => hkdfLabel("x", new Uint8Array(256), 32)).toThrow(RangeError);
  });
});
