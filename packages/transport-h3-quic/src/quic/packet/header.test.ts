import { describe, expect, it } from "vitest";
import { deriveInitialKeys } from "../crypto/initial-secrets.js";
import { QuicError, TransportErrorCode } from "../errors.js";
import { fromHex, toHex } from "../test-support/hex.js";
import { A2, A3, A5, DCID } from "../test-support/rfc9001-vectors.js";
import { thrownQuicError } from "../test-support/thrown.js";
import {
  parseDatagram,
  parsePacket,
  serializeLongHeader,
  serializeShortHeader,
  serializeVersionNegotiation,
} from "./header.js";
import { protectPacket, unprotectPacket } from "./packet-protection.js";

describe("long headers (RFC 9000 §17.2)", () => {
  it("parses the protected A.2 client Initial", () => {
    const packet = fromHex(A2.packet);
    const parsed = parsePacket(packet, 0, 8);
    expect(parsed.kind).toBe("initial");
    if (parsed.kind !== "initial") return;
    expect(parsed.version).toBe(1);
    expect(toHex(parsed.dcid)).toBe(DCID);
    expect(parsed.scid).toHaveLength(0);
    expect(parsed.token).toHaveLength(0);
    expect(parsed.pnOffset).toBe(18);
    expect(parsed.packet.length).toBe(1200);
  });

  it("parses the protected A.3 server Initial", () => {
    const parsed = parsePacket(fromHex(A3.packet), 0, 0);
    expect(parsed.kind).toBe("initial");
    if (parsed.kind !== "initial") return;
    expect(toHex(parsed.scid)).toBe(A3.scid);
    expect(parsed.pnOffset).toBe(18);
  });

  it("round-trips an Initial with a token, a 0-RTT and a Handshake header", () => {
    const token = fromHex("aabbccddeeff00112233");
    for (const type of ["initial", "0rtt", "handshake"] as const) {
      const header = serializeLongHeader({
        type,
        dcid: fromHex("0102030405060708"),
        scid: fromHex("0a0b0c0d"),
        ...(type === "initial" ? { token } : {}),
        packetNumber: 0x1234,
        packetNumberLength: 2,
        payloadLength: 20,
      });
      const datagram = new Uint8Array(header.length + 20);
      datagram.set(header);
      const parsed = parsePacket(datagram, 0, 8);
      expect(parsed.kind).toBe(type);
      if (parsed.kind !== type) return;
      expect(toHex(parsed.dcid)).toBe("0102030405060708");
      expect(toHex(parsed.scid)).toBe("0a0b0c0d");
      expect(toHex(parsed.token)).toBe(type === "initial" ? toHex(token) : "");
      expect(parsed.pnOffset).toBe(header.length - 2);
      expect(parsed.packet.length).toBe(datagram.length);
      expect(parsed.firstByte & 0x03).toBe(1);
    }
  });

  it("refuses a token on anything but an Initial", () => {
    expect(() =>
      serializeLongHeader({
        type: "handshake",
        dcid: new Uint8Array(0),
        scid: new Uint8Array(0),
        token: fromHex("01"),
        packetNumber: 0,
        packetNumberLength: 1,
        payloadLength: 20,
      }),
    ).toThrow(RangeError);
  });

  it("drops version 1 packets with the fixed bit clear or a connection ID over 20 bytes", () => {
    const packet = fromHex(A2.packet);
    packet[0]! &= ~0x40;
    expect(thrownQuicError(() => parsePacket(packet, 0, 8)).code).toBe(TransportErrorCode.PROTOCOL_VIOLATION);
    const long = fromHex(`c000000001 15 ${"11".repeat(21)} 00 00 01 00`);
    expect(thrownQuicError(() => parsePacket(long, 0, 8)).message).toMatch(/exceeds 20/);
  });

  it("drops a packet whose Length runs past the datagram", () => {
    const truncated = fromHex(A2.packet).subarray(0, 1199);
    expect(thrownQuicError(() => parsePacket(truncated, 0, 8)).message).toMatch(/runs past/);
  });

  it("keeps only the invariant fields of an unknown version (RFC 8999 §5.1)", () => {
    const parsed = parsePacket(fromHex(`c0 ff00001d 15 ${"11".repeat(21)} 02 aabb 99999999`), 0, 8);
    expect(parsed.kind).toBe("unsupportedVersion");
    if (parsed.kind !== "unsupportedVersion") return;
    expect(parsed.version).toBe(0xff00001d);
    expect(parsed.dcid).toHaveLength(21);
    expect(toHex(parsed.scid)).toBe("aabb");
  });
});

describe("short headers (RFC 9000 §17.3)", () => {
  it("parses the A.5 packet and the spin and key phase bits on serialisation", () => {
    const parsed = parsePacket(fromHex(A5.packet), 0, 0);
    expect(parsed.kind).toBe("1rtt");
    if (parsed.kind !== "1rtt") return;
    expect(parsed.pnOffset).toBe(1);
    expect(parsed.packet.length).toBe(21);
    const header = serializeShortHeader({
      dcid: fromHex("abcd"),
      packetNumber: 0x0102030405,
      packetNumberLength: 4,
      keyPhase: true,
      spinBit: true,
    });
    expect(toHex(header)).toBe("67abcd02030405");
  });

  it("drops a short header with the fixed bit clear or no room for a packet number", () => {
    expect(thrownQuicError(() => parsePacket(fromHex("00 0102"), 0, 2)).code).toBe(
      TransportErrorCode.PROTOCOL_VIOLATION,
    );
    expect(thrownQuicError(() => parsePacket(fromHex("40 0102"), 0, 2)).message).toMatch(/packet number/);
    expect(thrownQuicError(() => parsePacket(fromHex("40 01"), 0, 2)).message).toMatch(/truncated/);
  });
});

describe("Version Negotiation (RFC 9000 §17.2.1)", () => {
  it("round-trips, with the unused bits left as sent", () => {
    const bytes = serializeVersionNegotiation({
      dcid: fromHex("0102"),
      scid: fromHex("030405"),
      supportedVersions: [1, 0x6b3343cf, 0x1a2a3a4a],
      unusedBits: 0x15,
    });
    expect(toHex(bytes)).toBe("95000000000201020303040500000001" + "6b3343cf1a2a3a4a");
    const parsed = parsePacket(bytes, 0, 0);
    expect(parsed.kind).toBe("versionNegotiation");
    if (parsed.kind !== "versionNegotiation") return;
    expect(parsed.supportedVersions).toEqual([1, 0x6b3343cf, 0x1a2a3a4a]);
    expect(toHex(parsed.dcid)).toBe("0102");
    expect(toHex(parsed.scid)).toBe("030405");
  });

  it("drops a version list that is empty or not whole versions", () => {
    expect(thrownQuicError(() => parsePacket(fromHex("80 00000000 00 00"), 0, 0)).message).toMatch(
      /version list/,
    );
    expect(thrownQuicError(() => parsePacket(fromHex("80 00000000 00 00 000001"), 0, 0)).message).toMatch(
      /version list/,
    );
  });
});

describe("coalesced packets (RFC 9000 §12.2)", () => {
  const keys = deriveInitialKeys(fromHex(DCID));

  function handshakePacket(dcid: Uint8Array, pn: number): Uint8Array {
    const payload = fromHex("01000000");
    const header = serializeLongHeader({
      type: "handshake",
      dcid,
      scid: fromHex(A3.scid),
      packetNumber: pn,
      packetNumberLength: 1,
      payloadLength: payload.length + 16,
    });
    return protectPacket(keys.server, header, pn, payload);
  }

  function concat(...parts: Uint8Array[]): Uint8Array {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }

  it("splits an Initial, a Handshake and a 1-RTT packet sharing a datagram", () => {
    const initial = fromHex(A3.packet);
    const handshake = handshakePacket(new Uint8Array(0), 0);
    const short = fromHex(A5.packet);
    const { packets, error } = parseDatagram(concat(initial, handshake, short), 0);
    expect(error).toBeUndefined();
    expect(packets.map((p) => p.kind)).toEqual(["initial", "handshake", "1rtt"]);
    expect(packets.map((p) => p.packet.length)).toEqual([initial.length, handshake.length, short.length]);
    const first = packets[0]!;
    if (first.kind !== "initial") return;
    expect(unprotectPacket(keys.server, first.packet, first.pnOffset, undefined)?.packetNumber).toBe(1);
    const second = packets[1]!;
    if (second.kind !== "handshake") return;
    expect(toHex(unprotectPacket(keys.server, second.packet, second.pnOffset, undefined)!.payload)).toBe(
      "01000000",
    );
  });

  it("skips a coalesced packet for another connection ID", () => {
    const initial = fromHex(A3.packet);
    const foreign = handshakePacket(fromHex("deadbeef"), 0);
    const own = handshakePacket(new Uint8Array(0), 1);
    const { packets } = parseDatagram(concat(initial, foreign, own), 0);
    expect(packets.map((p) => p.packet.length)).toEqual([initial.length, own.length]);
  });

  it("keeps the packets before a malformed one and reports why it stopped", () => {
    const initial = fromHex(A3.packet);
    const { packets, error } = parseDatagram(concat(initial, fromHex("c0000000010000")), 0);
    expect(packets).toHaveLength(1);
    expect(error).toBeInstanceOf(QuicError);
  });

  it("returns no packets for an empty datagram", () => {
    expect(parseDatagram(new Uint8Array(0), 0)).toEqual({ packets: [] });
  });
});
