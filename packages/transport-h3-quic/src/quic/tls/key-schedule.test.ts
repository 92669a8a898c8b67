import { createHash, createPrivateKey, createPublicKey, diffieHellman } from "node:crypto";
import { describe, expect, it } from "vitest";
import { hkdfExpandLabel } from "../crypto/hkdf.js";
import { fromHex, toHex } from "../test-support/hex.js";
import { keys, messages, secrets, sha384 } from "../test-support/rfc8448-vectors.js";
import { A5 } from "../test-support/rfc9001-vectors.js";
import {
  computeEarlySecret,
  computeHandshakeSecret,
  computeMasterSecret,
  deriveSecret,
  emptyHash,
  finishedKey,
  finishedVerifyData,
  KeySchedule,
  nextTrafficSecret,
  TranscriptHash,
} from "./key-schedule.js";

const h = (text: string): string => toHex(fromHex(text));
const msg = (name: keyof typeof messages): Uint8Array => fromHex(messages[name].hex);

/** X25519 from raw 32-byte keys, through the DER prefixes node:crypto takes (RFC 8410). */
function x25519(privateKey: string, peerPublicKey: string): Uint8Array {
  const privateDer = Buffer.concat([
    Buffer.from("302e020100300506032b656e04220420", "hex"),
    Buffer.from(privateKey, "hex"),
  ]);
  const publicDer = Buffer.concat([
    Buffer.from("302a300506032b656e032100", "hex"),
    Buffer.from(peerPublicKey, "hex"),
  ]);
  return new Uint8Array(
    diffieHellman({
      privateKey: createPrivateKey({ key: privateDer, format: "der", type: "pkcs8" }),
      publicKey: createPublicKey({ key: publicDer, format: "der", type: "spki" }),
    }),
  );
}

describe("RFC 8448 §3 Simple 1-RTT Handshake (SHA-256)", () => {
  it("has the message lengths the trace states", () => {
    for (const [name, { length }] of Object.entries(messages)) {
      expect([name, msg(name as keyof typeof messages).length]).toEqual([name, length]);
    }
  });

  it("gets the (EC)DHE input from the trace's x25519 keys, both ways", () => {
    expect(toHex(x25519(keys.serverPrivate, keys.clientPublic))).toBe(h(secrets.sharedSecret));
    expect(toHex(x25519(keys.clientPrivate, keys.serverPublic))).toBe(h(secrets.sharedSecret));
  });

  it("derives each secret of the schedule exactly", () => {
    const early = computeEarlySecret("sha256");
    expect(toHex(early)).toBe(h(secrets.early));
    expect(toHex(deriveSecret("sha256", early, "derived", emptyHash("sha256")))).toBe(
      h(secrets.derivedForHandshake),
    );
    const handshake = computeHandshakeSecret("sha256", early, fromHex(secrets.sharedSecret));
    expect(toHex(handshake)).toBe(h(secrets.handshake));
    const helloHash = fromHex(secrets.helloHash);
    expect(toHex(deriveSecret("sha256", handshake, "c hs traffic", helloHash))).toBe(
      h(secrets.clientHandshakeTraffic),
    );
    expect(toHex(deriveSecret("sha256", handshake, "s hs traffic", helloHash))).toBe(
      h(secrets.serverHandshakeTraffic),
    );
    expect(toHex(deriveSecret("sha256", handshake, "derived", emptyHash("sha256")))).toBe(
      h(secrets.derivedForMaster),
    );
    const master = computeMasterSecret("sha256", handshake);
    expect(toHex(master)).toBe(h(secrets.master));
    const finishedHash = fromHex(secrets.serverFinishedHash);
    expect(toHex(deriveSecret("sha256", master, "c ap traffic", finishedHash))).toBe(
      h(secrets.clientApplicationTraffic),
    );
    expect(toHex(deriveSecret("sha256", master, "s ap traffic", finishedHash))).toBe(
      h(secrets.serverApplicationTraffic),
    );
    expect(toHex(deriveSecret("sha256", master, "exp master", finishedHash))).toBe(h(secrets.exporterMaster));
    expect(toHex(deriveSecret("sha256", master, "res master", fromHex(secrets.clientFinishedHash)))).toBe(
      h(secrets.resumptionMaster),
    );
  });

  it("derives both finished keys", () => {
    expect(toHex(finishedKey("sha256", fromHex(secrets.clientHandshakeTraffic)))).toBe(
      h(secrets.clientFinishedKey),
    );
    expect(toHex(finishedKey("sha256", fromHex(secrets.serverHandshakeTraffic)))).toBe(
      h(secrets.serverFinishedKey),
    );
  });

  it("rebuilds every transcript hash from the messages and both Finished messages from the keys", () => {
    const transcript = new TranscriptHash("sha256");
    transcript.update(msg("clientHello")).update(msg("serverHello"));
    expect(toHex(transcript.digest())).toBe(h(secrets.helloHash));
    transcript.update(msg("encryptedExtensions")).update(msg("certificate")).update(msg("certificateVerify"));
    // The server's verify_data covers everything before its Finished, not the Finished itself.
    const serverVerify = finishedVerifyData(
      "sha256",
      fromHex(secrets.serverHandshakeTraffic),
      transcript.digest(),
    );
    expect(toHex(serverVerify)).toBe(toHex(msg("serverFinished").subarray(4)));
    transcript.update(msg("serverFinished"));
    expect(toHex(transcript.digest())).toBe(h(secrets.serverFinishedHash));
    const clientVerify = finishedVerifyData(
      "sha256",
      fromHex(secrets.clientHandshakeTraffic),
      transcript.digest(),
    );
    expect(toHex(clientVerify)).toBe(toHex(msg("clientFinished").subarray(4)));
    transcript.update(msg("clientFinished"));
    expect(toHex(transcript.digest())).toBe(h(secrets.clientFinishedHash));
  });

  it("runs the whole chain through KeySchedule, stage by stage", () => {
    const schedule = new KeySchedule("sha256");
    expect(schedule.handshakeSecret).toBeUndefined();
    expect(() => schedule.applicationTrafficSecrets(new Uint8Array(32))).toThrow();
    const hs = schedule.handshakeTrafficSecrets(fromHex(secrets.sharedSecret), fromHex(secrets.helloHash));
    expect([toHex(hs.client), toHex(hs.server)]).toEqual([
      h(secrets.clientHandshakeTraffic),
      h(secrets.serverHandshakeTraffic),
    ]);
    expect(() => schedule.exporterMasterSecret(new Uint8Array(32))).toThrow();
    const ap = schedule.applicationTrafficSecrets(fromHex(secrets.serverFinishedHash));
    expect([toHex(ap.client), toHex(ap.server)]).toEqual([
      h(secrets.clientApplicationTraffic),
      h(secrets.serverApplicationTraffic),
    ]);
    expect(toHex(schedule.masterSecret!)).toBe(h(secrets.master));
    expect(toHex(schedule.exporterMasterSecret(fromHex(secrets.serverFinishedHash)))).toBe(
      h(secrets.exporterMaster),
    );
    expect(toHex(schedule.resumptionMasterSecret(fromHex(secrets.clientFinishedHash)))).toBe(
      h(secrets.resumptionMaster),
    );
  });
});

describe("TLS_AES_256_GCM_SHA384 key schedule (The Illustrated TLS 1.3 Connection)", () => {
  it("gets the x25519 shared secret from the published keys", () => {
    expect(toHex(x25519(sha384.clientPrivate, sha384.serverPublic))).toBe(sha384.sharedSecret);
  });

  it("derives early, handshake and handshake traffic secrets with SHA-384", () => {
    const early = computeEarlySecret("sha384");
    expect(toHex(early)).toBe(sha384.early);
    expect(toHex(emptyHash("sha384"))).toBe(sha384.emptyHash);
    expect(toHex(deriveSecret("sha384", early, "derived", emptyHash("sha384")))).toBe(sha384.derived);
    const schedule = new KeySchedule("sha384");
    const hs = schedule.handshakeTrafficSecrets(fromHex(sha384.sharedSecret), fromHex(sha384.helloHash));
    expect(toHex(schedule.handshakeSecret!)).toBe(sha384.handshake);
    expect(toHex(hs.client)).toBe(sha384.clientHandshakeTraffic);
    expect(toHex(hs.server)).toBe(sha384.serverHandshakeTraffic);
    // TLS record keys ("key", "iv"): not what QUIC uses, but they pin HKDF-Expand-Label for SHA-384.
    const empty = new Uint8Array(0);
    expect(toHex(hkdfExpandLabel("sha384", hs.server, "key", empty, 32))).toBe(sha384.serverHandshakeKey);
    expect(toHex(hkdfExpandLabel("sha384", hs.server, "iv", empty, 12))).toBe(sha384.serverHandshakeIv);
    expect(toHex(hkdfExpandLabel("sha384", hs.client, "key", empty, 32))).toBe(sha384.clientHandshakeKey);
    expect(toHex(hkdfExpandLabel("sha384", hs.client, "iv", empty, 12))).toBe(sha384.clientHandshakeIv);
    expect(finishedKey("sha384", hs.client)).toHaveLength(48);
  });
});

describe("QUIC key update (RFC 9001 §6.1)", () => {
  it("derives the next secret with 'quic ku' (Appendix A.5)", () => {
    expect(toHex(nextTrafficSecret("sha256", fromHex(A5.secret)))).toBe(h(A5.ku));
  });
});

describe("TranscriptHash", () => {
  it("keeps running after each digest", () => {
    const transcript = new TranscriptHash("sha384");
    transcript.update(Uint8Array.of(1));
    const first = transcript.digest();
    transcript.update(Uint8Array.of(2));
    expect(toHex(first)).toBe(createHash("sha384").update(Uint8Array.of(1)).digest("hex"));
    expect(toHex(transcript.digest())).toBe(createHash("sha384").update(Uint8Array.of(1, 2)).digest("hex"));
  });

  it("replaces ClientHello1 with message_hash after a HelloRetryRequest (RFC 8446 §4.4.1)", () => {
    const clientHello1 = msg("clientHello");
    const retryRequest = fromHex("02000004 01020304");
    const transcript = new TranscriptHash("sha256")
      .update(clientHello1)
      .replaceWithMessageHash()
      .update(retryRequest);
    const inner = createHash("sha256").update(clientHello1).digest();
    const expected = createHash("sha256")
      .update(Uint8Array.of(254, 0, 0, 32))
      .update(inner)
      .update(retryRequest)
      .digest("hex");
    expect(toHex(transcript.digest())).toBe(expected);
  });
});
