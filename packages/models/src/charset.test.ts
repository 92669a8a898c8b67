import { describe, expect, it } from "vitest";
import { decodeText, detectEncoding, encodingFromContentType, guessJsonUtf } from "./charset.js";

const encoder = new TextEncoder();

/** Text encoded in a UTF the Encoding Standard cannot encode, with an optional BOM. */
function utf(
  text: string,
  encoding: "utf-16le" | "utf-16be" | "utf-32le" | "utf-32be",
  bom = false,
): Uint8Array {
  const source = bom ? `\ufeff${text}` : text;
  const wide = encoding.startsWith("utf-32");
  const little = encoding.endsWith("le");
  // UTF-32 writes code points, UTF-16 the string's own code units (surrogates included).
  const units = wide
    ? [...source].map((c) => c.codePointAt(0)!)
    : Array.from({ length: source.length }, (_, i) => source.charCodeAt(i));
  const view = new DataView(new ArrayBuffer(units.length * (wide ? 4 : 2)));
  for (const [i, unit] of units.entries()) {
    if (wide) view.setUint32(i * 4, unit, little);
    else view.setUint16(i * 2, unit, little);
  }
  return new Uint8Array(view.buffer);
}

describe("encodingFromContentType", () => {
  it("reads the charset parameter, quoted or not, in any case", () => {
    expect(encodingFromContentType("text/html; charset=UTF-8")).toBe("utf-8");
    expect(encodingFromContentType('text/plain; CHARSET="ISO-8859-1"')).toBe("iso-8859-1");
    expect(encodingFromContentType("text/plain;charset='Shift_JIS'")).toBe("shift_jis");
    expect(encodingFromContentType("application/json; charset=utf-16")).toBe("utf-16");
  });

  it("gives UTF-8 for JSON types without a charset", () => {
    expect(encodingFromContentType("application/json")).toBe("utf-8");
    expect(encodingFromContentType("Application/JSON; v=1")).toBe("utf-8");
    expect(encodingFromContentType("application/problem+json")).toBe("utf-8");
    expect(encodingFromContentType("application/vnd.api+json")).toBe("utf-8");
  });

  it("has no ISO-8859-1 default for text (niquests 3)", () => {
    expect(encodingFromContentType("text/html")).toBeNull();
    expect(encodingFromContentType("text/plain; charset=")).toBeNull();
    expect(encodingFromContentType("application/octet-stream")).toBeNull();
    expect(encodingFromContentType(null)).toBeNull();
    expect(encodingFromContentType("")).toBeNull();
  });
});

describe("detectEncoding", () => {
  it("trusts a BOM first", () => {
    expect(detectEncoding(new Uint8Array([0xef, 0xbb, 0xbf, 0x61]))).toBe("utf-8");
    expect(detectEncoding(utf("hi", "utf-16le", true))).toBe("utf-16le");
    expect(detectEncoding(utf("hi", "utf-16be", true))).toBe("utf-16be");
    expect(detectEncoding(utf("hi", "utf-32le", true))).toBe("utf-32le");
    expect(detectEncoding(utf("hi", "utf-32be", true))).toBe("utf-32be");
  });

  it("recognises UTF-16 and UTF-32 without a BOM from their NULs", () => {
    expect(detectEncoding(utf('{"hello": "wörld"}', "utf-16le"))).toBe("utf-16le");
    expect(detectEncoding(utf('{"hello": "wörld"}', "utf-16be"))).toBe("utf-16be");
    expect(detectEncoding(utf("plain text", "utf-32le"))).toBe("utf-32le");
    expect(detectEncoding(utf("plain text", "utf-32be"))).toBe("utf-32be");
  });

  it("says UTF-8 for ASCII and valid UTF-8, windows-1252 otherwise", () => {
    expect(detectEncoding(encoder.encode("plain ascii"))).toBe("utf-8");
    expect(detectEncoding(encoder.encode("naïve café ✓"))).toBe("utf-8");
    expect(detectEncoding(new Uint8Array([0x63, 0x61, 0x66, 0xe9]))).toBe("windows-1252");
    expect(detectEncoding(new Uint8Array())).toBe("utf-8");
  });
});

describe("decodeText", () => {
  it("decodes with replacement and strips a matching BOM", () => {
    expect(decodeText(new Uint8Array([0xef, 0xbb, 0xbf, 0x61, 0xff]), "utf-8")).toBe("a\ufffd");
    expect(decodeText(new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x80]), "windows-1252")).toBe("café€");
  });

  it("decodes windows-1252 by the WHATWG table, whatever the runtime does", () => {
    const high = Uint8Array.from({ length: 32 }, (_, i) => 0x80 + i);
    expect(decodeText(high, "iso-8859-1")).toBe("€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ");
    expect(decodeText(new Uint8Array([0x93, 0x61, 0x94]), "us-ascii")).toBe("“a”");
  });

  it("knows Python's spellings of the UTF family", () => {
    expect(decodeText(encoder.encode("x"), "UTF_8")).toBe("x");
    expect(decodeText(new Uint8Array([0xef, 0xbb, 0xbf, 0x78]), "utf-8-sig")).toBe("x");
    expect(decodeText(utf("hé", "utf-16be"), "utf-16-be")).toBe("hé");
    expect(decodeText(new Uint8Array([0xe9]), "latin-1")).toBe("é");
  });

  it("follows the BOM for utf-16 and utf-32 without an order", () => {
    expect(decodeText(utf("hé", "utf-16be", true), "utf-16")).toBe("hé");
    expect(decodeText(utf("hé", "utf-16le", true), "utf-16")).toBe("hé");
    expect(decodeText(utf("hé", "utf-16le"), "utf-16")).toBe("hé");
    expect(decodeText(utf("h😀", "utf-32be", true), "utf-32")).toBe("h😀");
    expect(decodeText(utf("h😀", "utf-32le", true), "utf-32")).toBe("h😀");
    expect(decodeText(utf("h😀", "utf-32le"), "utf-32")).toBe("h😀");
    expect(decodeText(utf("h", "utf-32be", true), "utf-32-be")).toBe("h");
  });

  it("replaces invalid UTF-32 code units", () => {
    const bytes = new Uint8Array([0x00, 0xd8, 0x00, 0x00, 0x41, 0x00, 0x00, 0x00, 0x42]);
    expect(decodeText(bytes, "utf-32le")).toBe("\ufffdA\ufffd");
  });

  it("is null for an unknown label", () => {
    expect(decodeText(encoder.encode("x"), "no-such-charset")).toBeNull();
  });
});

describe("guessJsonUtf", () => {
  // The answers of requests' guess_json_utf for '{}' and '\ufeff{}' in each UTF.
  it.each([
    [utf("{}", "utf-16le"), "utf-16-le"],
    [utf("{}", "utf-16be"), "utf-16-be"],
    [utf("{}", "utf-32le"), "utf-32-le"],
    [utf("{}", "utf-32be"), "utf-32-be"],
    [utf("{}", "utf-16le", true), "utf-16"],
    [utf("{}", "utf-16be", true), "utf-16"],
    [utf("{}", "utf-32le", true), "utf-32"],
    [utf("{}", "utf-32be", true), "utf-32"],
    [new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d]), "utf-8-sig"],
    [encoder.encode("{}"), "utf-8"],
    [new Uint8Array(), "utf-8"],
    [new Uint8Array([0x7b, 0, 0, 0x7d]), null],
  ])("guesses %o as %s", (bytes, expected) => {
    expect(guessJsonUtf(bytes)).toBe(expected);
  });

  it("feeds decodeText", () => {
    for (const bytes of [utf('{"a": "é"}', "utf-16be"), utf('{"a": "é"}', "utf-32le", true)]) {
      expect(JSON.parse(decodeText(bytes, guessJsonUtf(bytes)!)!)).toEqual({ a: "é" });
    }
  });
});
