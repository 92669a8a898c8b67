import { describe, expect, it } from "vitest";
import * as entry from "./index.js";

describe("@nq/transport-h3-quic entry point", () => {
  it("exports the QUIC namespace and the mapping of its failures, nothing else yet", () => {
    expect(Object.keys(entry)).toEqual(["quic", "transportErrorFromQuic"]);
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
});
