import { describe, expect, it } from "vitest";
import { fromHex, toHex } from "../test-support/hex.js";
import { A4, DCID } from "../test-support/rfc9001-vectors.js";
import { parsePacket } from "./header.js";
import { buildRetryPacket, retryIntegrityTag, verifyRetryIntegrity } from "./retry.js";

describe("Retry integrity tag (RFC 9001 §5.8, Appendix A.4)", () => {
  const packet = fromHex(A4.packet);

  it("builds the published Retry packet from its fields and the original DCID", () => {
    const built = buildRetryPacket(
      {
        dcid: new Uint8Array(0),
        scid: fromHex("f067a5502a4262b5"),
        token: new TextEncoder().encode("token"),
        unusedBits: 0x0f,
      },
      fromHex(DCID),
    );
    expect(toHex(built)).toBe(toHex(packet));
  });

  it("computes the published tag over the packet without it", () => {
    expect(toHex(retryIntegrityTag(fromHex(DCID), packet.subarray(0, packet.length - 16)))).toBe(
      "04a265ba2eff4d829058fb3f0f2496ba",
    );
  });

  it("accepts the published Retry for the right original DCID only", () => {
    expect(verifyRetryIntegrity(fromHex(DCID), packet)).toBe(true);
    expect(verifyRetryIntegrity(fromHex("8394c8f03e515709"), packet)).toBe(false);
    expect(verifyRetryIntegrity(new Uint8Array(0), packet)).toBe(false);
  });

  it("rejects a Retry with any byte changed, or too short for a tag", () => {
    for (let i = 0; i < packet.length; i++) {
      const changed = new Uint8Array(packet);
      changed[i]! ^= 0x01;
      expect(verifyRetryIntegrity(fromHex(DCID), changed)).toBe(false);
    }
    expect(verifyRetryIntegrity(fromHex(DCID), packet.subarray(0, 15))).toBe(false);
  });

  it("parses into token and tag", () => {
    const parsed = parsePacket(packet, 0, 0);
    expect(parsed.kind).toBe("retry");
    if (parsed.kind !== "retry") return;
    expect(new TextDecoder().decode(parsed.token)).toBe("token");
    expect(toHex(parsed.scid)).toBe("f067a5502a4262b5");
    expect(parsed.dcid).toHaveLength(0);
    expect(toHex(parsed.integrityTag)).toBe("04a265ba2eff4d829058fb3f0f2496ba");
  });
});
