import { describe, expect, it } from "vitest";
import { TLS_CHACHA20_POLY1305_SHA256 } from "../crypto/cipher-suite.js";
import { derivePacketProtectionKeys } from "../crypto/packet-keys.js";
import { serializeShortHeader } from "../packet/header.js";
import { protectPacket, removeHeaderProtection } from "../packet/packet-protection.js";
import { OneRttKeys } from "./one-rtt-keys.js";

const suite = TLS_CHACHA20_POLY1305_SHA256;
const clientSecret = new Uint8Array(32).fill(1);
const serverSecret = new Uint8Array(32).fill(2);
const dcid = new Uint8Array(8).fill(3);

// Two ends with mirrored keys: what one sends, the other opens.
function ends(): { client: OneRttKeys; server: OneRttKeys } {
  const c = derivePacketProtectionKeys(suite, clientSecret);
  const s = derivePacketProtectionKeys(suite, serverSecret);
  return { client: new OneRttKeys(c, s), server: new OneRttKeys(s, c) };
}

function packet(from: OneRttKeys, packetNumber: number, byte: number): Uint8Array {
  const header = serializeShortHeader({
    dcid,
    packetNumber,
    packetNumberLength: 2,
    keyPhase: from.sendPhase,
  });
  from.onPacketSent(packetNumber);
  return protectPacket(from.send, header, packetNumber, new Uint8Array(32).fill(byte));
}

function open(to: OneRttKeys, bytes: Uint8Array, largest: number | undefined, now = 0) {
  const header = removeHeaderProtection(to.receiveHeaderProtection, bytes, 1 + dcid.length, largest)!;
  return to.open(header, bytes, now, 100);
}

describe("OneRttKeys", () => {
  it("follows the peer's key update and answers in the new phase", () => {
    const { client, server } = ends();
    expect(open(client, packet(server, 0, 1), undefined)?.keyUpdated).toBe(false);
    server.onAckReceived(0);
    server.update();
    const updated = open(client, packet(server, 1, 2), 0);
    expect(updated).toEqual({ payload: new Uint8Array(32).fill(2), keyUpdated: true });
    expect(client.sendPhase).toBe(true);
    expect(client.updates).toBe(1);
    // The server opens the client's answer in its new phase, and the update is complete.
    expect(open(server, packet(client, 0, 3), undefined)?.keyUpdated).toBe(true);
    expect(server.updates).toBe(1);
  });

  it("opens a reordered packet of the previous phase for a while, then not", () => {
    const { client, server } = ends();
    open(client, packet(server, 0, 1), undefined);
    server.onAckReceived(0);
    const late = packet(server, 1, 9);
    server.update();
    open(client, packet(server, 2, 2), 0, 10);
    expect(open(client, late, 2, 50)?.payload).toEqual(new Uint8Array(32).fill(9));
    // 100 ms after the update the old keys are gone.
    expect(open(client, late, 2, 111)).toBeUndefined();
  });

  it("refuses to start an update before the current phase was acknowledged", () => {
    const { client } = ends();
    expect(client.canUpdate).toBe(false);
    packet(client, 0, 1);
    client.onAckReceived(0);
    expect(client.canUpdate).toBe(true);
    client.update();
    expect(client.canUpdate).toBe(false);
    expect(() => client.update()).toThrow();
  });

  it("rejects a packet no phase's keys open", () => {
    const { client, server } = ends();
    const bytes = packet(server, 0, 1);
    bytes[bytes.length - 1]! ^= 1;
    expect(open(client, bytes, undefined)).toBeUndefined();
    expect(client.updates).toBe(0);
  });
});
