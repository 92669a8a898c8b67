import { describe, expect, it } from "vitest";
import * as entry from "./index.js";

describe("@nq/transport-h3-quic entry point", () => {
  it("exports the QUIC and HTTP/3 namespaces and the mapping of QUIC failures, nothing else yet", () => {
    expect(Object.keys(entry).sort()).toEqual(["h3", "quic", "quicTrust", "transportErrorFromQuic"]);
    expect(typeof entry.quic.deriveInitialKeys).toBe("function");
    expect(typeof entry.quic.decodeFrames).toBe("function");
    expect(entry.quic.QUIC_VERSION_1).toBe(1);
  });

  it("exports the TLS client, recovery and streams, but no byte helpers or test support", () => {
    for (const name of ["TlsClientHandshake", "certificateVerifier", "LossDetection", "ReceiveBuffer"])
      expect(typeof (entry.quic as Record<string, unknown>)[name]).toBe("function");
    for (const name of ["equalBytes", "concatBytes", "TestTlsServer", "signWithScheme"])
      expect(name in entry.quic).toBe(false);
  });

  it("exports the minimal HTTP/3 client and its codecs, but no byte helpers", () => {
    for (const name of ["MinimalH3Client", "FrameReader", "H3Error", "decodeFieldSection", "huffmanDecode"])
      expect(typeof (entry.h3 as Record<string, unknown>)[name]).toBe("function");
    expect(entry.h3.H3ErrorCode.H3_NO_ERROR).toBe(0x100);
    expect(entry.h3.QPACK_STATIC_TABLE).toHaveLength(99);
    expect("concatBytes" in entry.h3).toBe(false);
  });
});
