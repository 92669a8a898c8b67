import { describe, expect, it } from "vitest";
import { H3ErrorCode } from "./errors.js";
import {
  decodeFieldSection,
  decodePrefixedInteger,
  encodeFieldSection,
  encodePrefixedInteger,
} from "./field-section.js";

const hex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ""), "hex"));
const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
const ascii = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, "latin1"));
const decompressionFailed = expect.objectContaining({
  name: "H3Error",
  code: H3ErrorCode.QPACK_DECOMPRESSION_FAILED,
});

describe("prefixed integers (RFC 7541 §5.1, C.1)", () => {
  it.each([
    [10, 5, [0x0a]],
    [1337, 5, [0x1f, 0x9a, 0x0a]],
    [42, 8, [0x2a]],
    [80, 4, [0x0f, 0x41]],
    [2 ** 40, 6, [0x3f, 0xc1, 0xff, 0xff, 0xff, 0xff, 0x1f]],
  ])("%d with a %d-bit prefix", (value, prefix, bytes) => {
    expect(encodePrefixedInteger(value, prefix)).toEqual(bytes);
    expect(decodePrefixedInteger(Uint8Array.from(bytes), 0, prefix)).toEqual({ value, next: bytes.length });
  });

  it("keeps the flag bits above the prefix out of the value", () => {
    expect(decodePrefixedInteger(Uint8Array.of(0xd1), 0, 6)).toEqual({ value: 17, next: 1 });
    expect(encodePrefixedInteger(17, 6, 0xc0)).toEqual([0xd1]);
  });

  it("rejects a truncated integer, a missing one, and one longer than any field section needs", () => {
    expect(() => decodePrefixedInteger(Uint8Array.of(0x1f, 0x9a), 0, 5)).toThrow(decompressionFailed);
    expect(() => decodePrefixedInteger(new Uint8Array(0), 0, 5)).toThrow(decompressionFailed);
    expect(() => decodePrefixedInteger(Uint8Array.of(0x1f, ...Array(9).fill(0xff), 0x01), 0, 5)).toThrow(
      /integer too large/,
    );
  });

  it("refuses to encode a negative or fractional value", () => {
    expect(() => encodePrefixedInteger(-1, 5)).toThrow(RangeError);
    expect(() => encodePrefixedInteger(1.5, 5)).toThrow(RangeError);
  });
});

describe("QPACK field sections with the static table only", () => {
  it("decodes RFC 9204 B.1 (literal with a static name reference)", () => {
    expect(decodeFieldSection(hex("0000 510b 2f69 6e64 6578 2e68 746d 6c"))).toEqual([
      [":path", "/index.html"],
    ]);
  });

  it("encodes a GET with static references and literals, Required Insert Count 0 and Base 0", () => {
    const fields = [
      [":method", "GET"],
      [":scheme", "https"],
      [":authority", "localhost:4433"],
      [":path", "/small.txt"],
      ["user-agent", "nq"],
      ["x-test", "1"],
    ] as const;
    const section = encodeFieldSection(fields);
    expect(toHex(section)).toBe(
      [
        "0000", // Required Insert Count 0, Base 0
        "d1", // indexed, static 17 (:method GET)
        "d7", // indexed, static 23 (:scheme https)
        `500e${toHex(ascii("localhost:4433"))}`, // name ref static 0 (:authority), literal value
        `510a${toHex(ascii("/small.txt"))}`, // name ref static 1 (:path)
        "5f50026e71", // name ref static 95 (user-agent) in 4+ bits: 15 + 80
        `26${toHex(ascii("x-test"))}0131`, // literal name, literal value
      ].join(""),
    );
    expect(decodeFieldSection(section)).toEqual(fields);
  });

  it("encodes :path / and HEAD as static entries", () => {
    expect(toHex(encodeFieldSection([[":path", "/"]]))).toBe("0000c1");
    expect(toHex(encodeFieldSection([[":method", "HEAD"]]))).toBe("0000d2");
  });

  it("keeps every octet of a value, both ways, and refuses characters that are not octets", () => {
    const value = "caf\u00e9 \u00ff";
    expect(decodeFieldSection(encodeFieldSection([["x-latin1", value]]))).toEqual([["x-latin1", value]]);
    expect(() => encodeFieldSection([["x-emoji", "\u{1f600}"]])).toThrow(RangeError);
  });

  it("decodes a response with Huffman-coded names and values and multi-byte indices", () => {
    const section = hex(
      [
        "0000",
        "d9", // :status 200 (static 25)
        "ff08", // :status 500 (static 71 = 63 + 8): a 6-bit prefix overflowing
        "5c91 9d29 ad17 1863 c78f 0b97 c8e9 ae82 ae43 d3", // location: Huffman "https://www.example.com"
        "2f01 25a8 49e9 5ba9 7d7f 89 25a8 49e9 5bb8 e8b4 bf", // Huffman "custom-key": Huffman "custom-value"
        "5f1d 0a74 6578 742f 706c 6169 6e", // content-type (static 44 = 15 + 29), literal "text/plain"
      ].join(""),
    );
    expect(decodeFieldSection(section)).toEqual([
      [":status", "200"],
      [":status", "500"],
      ["location", "https://www.example.com"],
      ["custom-key", "custom-value"],
      ["content-type", "text/plain"],
    ]);
  });

  it.each([
    ["an empty section", ""],
    ["a missing Base", "00"],
    ["a Required Insert Count above 0", "0200 d9"],
    ["a dynamic indexed field line", "0000 80"],
    ["a dynamic name reference", "0000 4003 616263"],
    ["a post-base index", "0000 10"],
    ["a post-base name reference", "0000 0003 616263"],
    ["a static index beyond the table", "0000 ff40"],
    ["a truncated string", "0000 5105 2f61"],
    ["a name without its value", "0000 2361 6263"],
    ["bad Huffman padding", "0000 5181 00"],
  ])("rejects %s with QPACK_DECOMPRESSION_FAILED", (_, bytes) => {
    expect(() => decodeFieldSection(hex(bytes))).toThrow(decompressionFailed);
  });
});
