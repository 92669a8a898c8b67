import { describe, expect, it } from "vitest";
import { TLS_CHACHA20_POLY1305_SHA256 } from "../crypto/cipher-suite.js";
import { deriveInitialKeys } from "../crypto/initial-secrets.js";
import { derivePacketProtectionKeys, updatePacketProtectionKeys } from "../crypto/packet-keys.js";
import { QuicError, TransportErrorCode } from "../errors.js";
import { fromHex, toHex } from "../test-support/hex.js";
import { A2, A3, A5, DCID } from "../test-support/rfc9001-vectors.js";
import { serializeLongHeader, serializeShortHeader } from "./header.js";
import {
  decryptPayload,
  protectPacket,
  removeHeaderProtection,
  unprotectPacket,
} from "./packet-protection.js";

const keys = deriveInitialKeys(fromHex(DCID));

function a2Payload(): Uint8Array {
  const payload = new Uint8Array(A2.payloadLength);
  payload.set(fromHex(A2.cryptoFrame));
  return payload;
}

describe("client Initial (RFC 9001 Appendix A.2)", () => {
  it("serialises the unprotected header exactly", () => {
    const header = serializeLongHeader({
      type: "initial",
      dcid: fromHex(DCID),
      scid: new Uint8Array(0),
      packetNumber: A2.packetNumber,
      packetNumberLength: 4,
      payloadLength: A2.payloadLength + 16,
    });
    expect(toHex(header)).toBe(A2.unprotectedHeader);
  });

  it("protects to the published 1200-byte packet, byte for byte", () => {
    const packet = protectPacket(keys.client, fromHex(A2.unprotectedHeader), A2.packetNumber, a2Payload());
    expect(packet.length).toBe(1200);
    expect(toHex(packet.subarray(0, 22))).toBe(A2.protectedHeader);
    expect(toHex(packet)).toBe(toHex(fromHex(A2.packet)));
  });

  it("unprotects the published packet back to header, packet number and payload", () => {
    const packet = fromHex(A2.packet);
    const result = unprotectPacket(keys.client, packet, 18, undefined);
    expect(result).toBeDefined();
    expect(result!.packetNumber).toBe(2);
    expect(result!.packetNumberLength).toBe(4);
    expect(toHex(result!.header)).toBe(A2.unprotectedHeader);
    expect(toHex(result!.payload)).toBe(toHex(a2Payload()));
    // Unprotecting works on a copy: the received bytes are left as they came.
    expect(toHex(packet)).toBe(toHex(fromHex(A2.packet)));
  });

  it("does not open with the server's keys", () => {
    expect(unprotectPacket(keys.server, fromHex(A2.packet), 18, undefined)).toBeUndefined();
  });

  it("discards a packet with any byte of its ciphertext changed", () => {
    for (const index of [22, 600, 1199]) {
      const packet = fromHex(A2.packet);
      packet[index]! ^= 0x40;
      expect(unprotectPacket(keys.client, packet, 18, undefined)).toBeUndefined();
    }
  });
});

describe("server Initial (RFC 9001 Appendix A.3)", () => {
  it("serialises the header with its two-byte Length and packet number", () => {
    const header = serializeLongHeader({
      type: "initial",
      dcid: new Uint8Array(0),
      scid: fromHex(A3.scid),
      packetNumber: A3.packetNumber,
      packetNumberLength: 2,
      payloadLength: fromHex(A3.payload).length + 16,
    });
    expect(toHex(header)).toBe(A3.unprotectedHeader);
  });

  it("protects to the published packet and back", () => {
    const payload = fromHex(A3.payload);
    const packet = protectPacket(keys.server, fromHex(A3.unprotectedHeader), A3.packetNumber, payload);
    expect(toHex(packet)).toBe(toHex(fromHex(A3.packet)));
    const result = unprotectPacket(keys.server, packet, 18, undefined);
    expect(result?.packetNumber).toBe(1);
    expect(toHex(result!.payload)).toBe(toHex(payload));
  });
});

describe("ChaCha20-Poly1305 short header (RFC 9001 Appendix A.5)", () => {
  const chacha = derivePacketProtectionKeys(TLS_CHACHA20_POLY1305_SHA256, fromHex(A5.secret));

  it("derives key, iv and hp from the secret", () => {
    expect([toHex(chacha.key), toHex(chacha.iv), toHex(chacha.hp)]).toEqual(
      [A5.key, A5.iv, A5.hp].map((v) => toHex(fromHex(v))),
    );
  });

  it("serialises the unprotected header", () => {
    const header = serializeShortHeader({
      dcid: new Uint8Array(0),
      packetNumber: A5.packetNumber,
      packetNumberLength: 3,
    });
    expect(toHex(header)).toBe(A5.unprotectedHeader);
  });

  it("protects a PING to the published 21-byte packet", () => {
    const packet = protectPacket(chacha, fromHex(A5.unprotectedHeader), A5.packetNumber, fromHex(A5.payload));
    expect(toHex(packet)).toBe(A5.packet);
  });

  it("unprotects it, given the packet before it", () => {
    const result = unprotectPacket(chacha, fromHex(A5.packet), 1, A5.packetNumber - 1);
    expect(result?.packetNumber).toBe(A5.packetNumber);
    expect(result?.keyPhase).toBe(false);
    expect(toHex(result!.payload)).toBe("01");
  });

  it("removes header protection first, then decrypts with the key of the phase it read", () => {
    const next = updatePacketProtectionKeys(chacha);
    expect(toHex(next.secret)).toBe(toHex(fromHex(A5.ku)));
    expect(next.hp).toBe(chacha.hp);
    const header = serializeShortHeader({
      dcid: new Uint8Array(0),
      packetNumber: A5.packetNumber + 1,
      packetNumberLength: 3,
      keyPhase: true,
    });
    const packet = protectPacket(next, header, A5.packetNumber + 1, fromHex("01"));
    const unprotected = removeHeaderProtection(chacha.headerProtection, packet, 1, A5.packetNumber);
    expect(unprotected?.keyPhase).toBe(true);
    expect(decryptPayload(chacha, unprotected!, packet)).toBeUndefined();
    expect(toHex(decryptPayload(next, unprotected!, packet)!)).toBe("01");
  });
});

describe("packet protection edge cases", () => {
  it("drops a packet too short to hold a header protection sample (RFC 9001 §5.4.2)", () => {
    expect(unprotectPacket(keys.client, fromHex(A5.packet).subarray(0, 20), 1, undefined)).toBeUndefined();
    expect(unprotectPacket(keys.client, new Uint8Array(0), 0, undefined)).toBeUndefined();
  });

  it("refuses to protect a payload too short to sample", () => {
    const header = serializeShortHeader({ dcid: new Uint8Array(0), packetNumber: 0, packetNumberLength: 1 });
    expect(() => protectPacket(keys.client, header, 0, fromHex("0100"))).toThrow(RangeError);
    expect(protectPacket(keys.client, header, 0, fromHex("010000")).length).toBe(2 + 3 + 16);
  });

  it("closes with PROTOCOL_VIOLATION when an authenticated packet has reserved bits set", () => {
    for (const header of [
      serializeShortHeader({ dcid: fromHex("0102"), packetNumber: 7, packetNumberLength: 2 }),
      serializeLongHeader({
        type: "handshake",
        dcid: fromHex("0102"),
        scid: new Uint8Array(0),
        packetNumber: 7,
        packetNumberLength: 2,
        payloadLength: 4 + 16,
      }),
    ]) {
      const long = (header[0]! & 0x80) !== 0;
      header[0]! |= long ? 0x04 : 0x08;
      const packet = protectPacket(keys.client, header, 7, fromHex("01000000"));
      const pnOffset = header.length - 2;
      try {
        unprotectPacket(keys.client, packet, pnOffset, 6);
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(QuicError);
        expect((error as QuicError).code).toBe(TransportErrorCode.PROTOCOL_VIOLATION);
      }
    }
  });
});
