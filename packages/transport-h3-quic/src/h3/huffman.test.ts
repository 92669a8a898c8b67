import { describe, expect, it } from "vitest";
import { H3Error, H3ErrorCode } from "./errors.js";
import { HUFFMAN_CODES, huffmanDecode } from "./huffman.js";

const hex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ""), "hex"));
const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString("latin1");

const decompressionFailed = (pattern: RegExp) =>
  expect.objectContaining({
    code: H3ErrorCode.QPACK_DECOMPRESSION_FAILED,
    message: expect.stringMatching(pattern),
  });

describe("HPACK Huffman decoder", () => {
  it("has the 257 codes of RFC 7541 Appendix B, a complete prefix code", () => {
    expect(HUFFMAN_CODES).toHaveLength(257);
    // Kraft's equality: a complete prefix code has sum(2^-len) = 1 exactly.
    const kraft = HUFFMAN_CODES.reduce((sum, [, bits]) => sum + 2 ** (30 - bits), 0);
    expect(kraft).toBe(2 ** 30);
    expect(HUFFMAN_CODES[48]).toEqual([0x0, 5]); // '0'
    expect(HUFFMAN_CODES[256]).toEqual([0x3fffffff, 30]); // EOS
  });

  // RFC 7541 Appendix C.4: requests with Huffman coding.
  it.each([
    ["C.4.1 :authority", "f1e3 c2e5 f23a 6ba0 ab90 f4ff", "www.example.com"],
    ["C.4.2 cache-control", "a8eb 1064 9cbf", "no-cache"],
    ["C.4.3 name", "25a8 49e9 5ba9 7d7f", "custom-key"],
    ["C.4.3 value", "25a8 49e9 5bb8 e8b4 bf", "custom-value"],
  ])("decodes RFC 7541 %s", (_, coded, plain) => {
    expect(text(huffmanDecode(hex(coded)))).toBe(plain);
  });

  // RFC 7541 Appendix C.6: responses with Huffman coding.
  it.each([
    ["C.6.1 :status", "6402", "302"],
    ["C.6.1 cache-control", "aec3 771a 4b", "private"],
    ["C.6.1 date", "d07a be94 1054 d444 a820 0595 040b 8166 e082 a62d 1bff", "Mon, 21 Oct 2013 20:13:21 GMT"],
    ["C.6.1 location", "9d29 ad17 1863 c78f 0b97 c8e9 ae82 ae43 d3", "https://www.example.com"],
    ["C.6.2 :status", "640e ff", "307"],
    ["C.6.3 content-encoding", "9bd9 ab", "gzip"],
    [
      "C.6.3 set-cookie",
      "94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07",
      "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1",
    ],
  ])("decodes RFC 7541 %s", (_, coded, plain) => {
    expect(text(huffmanDecode(hex(coded)))).toBe(plain);
  });

  it("decodes the empty string", () => {
    expect(huffmanDecode(new Uint8Array(0))).toEqual(new Uint8Array(0));
  });

  it("decodes every byte value, codes up to 30 bits long", () => {
    // Encode 0..255 by the table, pad with ones, and decode back.
    let bits = "";
    for (let symbol = 0; symbol < 256; symbol++) {
      const [code, length] = HUFFMAN_CODES[symbol]!;
      bits += code.toString(2).padStart(length, "0");
    }
    bits += "1".repeat((8 - (bits.length % 8)) % 8);
    const bytes = Uint8Array.from(bits.match(/.{8}/g)!, (b) => Number.parseInt(b, 2));
    expect(Array.from(huffmanDecode(bytes))).toEqual(Array.from({ length: 256 }, (_, i) => i));
  });

  it("rejects padding longer than 7 bits (RFC 7541 §5.2)", () => {
    expect(() => huffmanDecode(hex("a8eb 1064 9cbf ff"))).toThrow(H3Error);
    expect(() => huffmanDecode(hex("a8eb 1064 9cbf ff"))).toThrow(decompressionFailed(/padding of \d+ bits/));
  });

  it("rejects padding that is not the most significant bits of EOS", () => {
    // '0' is 00000 (5 bits): 0x00 is '0' followed by three zero bits of padding.
    expect(() => huffmanDecode(hex("00"))).toThrow(decompressionFailed(/padding is not a prefix of EOS/));
  });

  it("rejects EOS inside the string", () => {
    expect(() => huffmanDecode(hex("ffff ffff"))).toThrow(decompressionFailed(/EOS inside the string/));
  });
});
