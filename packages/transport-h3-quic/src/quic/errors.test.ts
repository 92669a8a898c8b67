import { describe, expect, it } from "vitest";
import { cryptoErrorCode, QuicError, TransportErrorCode, transportErrorName } from "./errors.js";

describe("QuicError", () => {
  it("names its code and keeps the frame type", () => {
    const error = new QuicError(TransportErrorCode.FRAME_ENCODING_ERROR, "bad ACK", { frameType: 0x02 });
    expect(error.code).toBe(0x07);
    expect(error.codeName).toBe("FRAME_ENCODING_ERROR");
    expect(error.frameType).toBe(0x02);
    expect(error.name).toBe("QuicError");
    expect(error.message).toBe("FRAME_ENCODING_ERROR: bad ACK");
    expect(error).toBeInstanceOf(Error);
  });

  it("recognises a copy from another install by its brand", () => {
    const foreign = new Error("x");
    Object.defineProperty(foreign, Symbol.for("nq.quic.QuicError"), { value: true });
    expect(foreign instanceof QuicError).toBe(true);
    expect(new Error("y") instanceof QuicError).toBe(false);
    expect((null as unknown) instanceof QuicError).toBe(false);
  });

  it("maps TLS alerts into the CRYPTO_ERROR range (RFC 9001 §4.8)", () => {
    expect(cryptoErrorCode(42)).toBe(0x12a);
    expect(transportErrorName(0x12a)).toBe("CRYPTO_ERROR(0x12a)");
    expect(transportErrorName(0x10)).toBe("NO_VIABLE_PATH");
    expect(transportErrorName(0x4242)).toBe("0x4242");
    expect(() => cryptoErrorCode(256)).toThrow(RangeError);
  });
});
