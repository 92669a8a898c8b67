/**
 * Text encodings of response bodies (niquests §1.23): the declared charset, a small guess when
 * none is declared, and decoding with `TextDecoder` plus the UTF-32 the Encoding Standard lacks.
 *
 * Labels are the WHATWG ones plus Python's spellings of the UTF family (`utf_8`, `utf-16-le`,
 * `utf-8-sig`, `utf-32`), since Requests' helpers return those.
 *
 * @packageDocumentation
 */

/**
 * The charset a Content-Type names (quotes removed, lower-cased), or for JSON types
 * (`application/json`, `…+json`) UTF-8; `null` when it names none. There is no ISO-8859-1
 * default for `text/*`: niquests 3 removed it.
 */
export function encodingFromContentType(contentType: string | null): string | null {
  if (!contentType) return null;
  const [type = "", ...params] = contentType.split(";");
  let charset: string | null = null;
  for (const param of params) {
    const eq = param.indexOf("=");
    if (eq === -1) continue;
    // Requests strips quotes of either kind and spaces from names and values; the last one wins.
    const key = param.slice(0, eq).replace(/^["' ]+|["' ]+$/g, "");
    if (key.toLowerCase() === "charset") charset = param.slice(eq + 1).replace(/^["'\s]+|["'\s]+$/g, "");
  }
  if (charset) return charset.toLowerCase();
  const mime = type.trim().toLowerCase();
  if (mime === "application/json" || mime.endsWith("+json")) return "utf-8";
  return null;
}

type Bom = { readonly encoding: string; readonly length: number };

function bomOf(bytes: Uint8Array): Bom | null {
  const [a, b, c, d] = bytes;
  if (a === 0xef && b === 0xbb && c === 0xbf) return { encoding: "utf-8", length: 3 };
  // UTF-32LE's BOM starts with UTF-16LE's, so it is tested first.
  if (a === 0xff && b === 0xfe && c === 0 && d === 0) return { encoding: "utf-32le", length: 4 };
  if (a === 0 && b === 0 && c === 0xfe && d === 0xff) return { encoding: "utf-32be", length: 4 };
  if (a === 0xff && b === 0xfe) return { encoding: "utf-16le", length: 2 };
  if (a === 0xfe && b === 0xff) return { encoding: "utf-16be", length: 2 };
  return null;
}

// Enough text to judge, little enough to stay cheap on a large body.
const SNIFF_BYTES = 4096;

/**
 * UTF-16 or UTF-32 without a BOM, told by where the NUL bytes fall: text mostly in the ASCII
 * range has a NUL in the high byte of nearly every code unit, and almost none elsewhere.
 */
function sniffWideUnicode(bytes: Uint8Array): string | null {
  const sample = bytes.subarray(0, SNIFF_BYTES);
  const zeros = [0, 0, 0, 0];
  for (let i = 0; i < sample.length; i++) if (sample[i] === 0) zeros[i % 4]!++;
  const [z0, z1, z2, z3] = zeros as [number, number, number, number];
  const quads = Math.floor(sample.length / 4);
  if (quads > 0) {
    if (z2 >= quads && z3 >= quads && z0 < quads) return "utf-32le";
    if (z0 >= quads && z1 >= quads && z3 < quads) return "utf-32be";
  }
  const pairs = Math.floor(sample.length / 2);
  const even = z0 + z2;
  const odd = z1 + z3;
  if (pairs > 0 && odd * 4 > pairs && even * 16 <= odd) return "utf-16le";
  if (pairs > 0 && even * 4 > pairs && odd * 16 <= even) return "utf-16be";
  return null;
}

/**
 * A best guess at the encoding of bytes with no declared charset: a BOM first; then UTF-16 or
 * UTF-32 from their NUL pattern; then UTF-8 when the bytes are valid UTF-8 (pure ASCII included);
 * else `windows-1252`, the single-byte encoding browsers assume. Small on purpose: it is no
 * charset detector, and declares no confidence.
 */
export function detectEncoding(bytes: Uint8Array): string {
  const bom = bomOf(bytes);
  if (bom) return bom.encoding;
  const wide = sniffWideUnicode(bytes);
  if (wide) return wide;
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return "utf-8";
  } catch {
    return "windows-1252";
  }
}

// Python spellings that WHATWG labels lack.
const ALIASES: Readonly<Record<string, string>> = {
  "latin-1": "latin1",
  latin: "latin1",
  u8: "utf-8",
  utf: "utf-8",
};

/** A label as `TextDecoder` or the UTF-32 decoder below takes it, from WHATWG or Python spelling. */
function normalizeLabel(encoding: string): string {
  const label = encoding.trim().toLowerCase().replace(/[_\s]/g, "-");
  const utf = /^utf-?(8|16|32)(?:-?(le|be))?(-?sig)?$/.exec(label);
  if (utf) return `utf-${utf[1]}${utf[2] ?? ""}`;
  return ALIASES[label] ?? label;
}

function decodeUtf32(bytes: Uint8Array, order: "le" | "be" | null): string {
  let offset = 0;
  let littleEndian = order !== "be";
  const bom = bomOf(bytes);
  if (bom?.encoding === "utf-32le" && order !== "be") offset = 4;
  else if (bom?.encoding === "utf-32be" && order !== "le") {
    offset = 4;
    littleEndian = false;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chars: string[] = [];
  for (; offset + 4 <= bytes.length; offset += 4) {
    const code = view.getUint32(offset, littleEndian);
    const valid = code <= 0x10ffff && (code < 0xd800 || code > 0xdfff);
    chars.push(valid ? String.fromCodePoint(code) : "\ufffd");
  }
  if (offset < bytes.length) chars.push("\ufffd");
  return chars.join("");
}

/**
 * Decodes bytes with an encoding label, replacing invalid sequences with U+FFFD and dropping a
 * BOM that matches the encoding; `null` when the label is unknown. `utf-16` and `utf-32`
 * without an order follow the BOM, else little-endian, as Python does.
 */
export function decodeText(bytes: Uint8Array, encoding: string): string | null {
  const label = normalizeLabel(encoding);
  if (label === "utf-32" || label === "utf-32le" || label === "utf-32be") {
    return decodeUtf32(bytes, label === "utf-32" ? null : label === "utf-32le" ? "le" : "be");
  }
  let whatwg = label;
  if (label === "utf-16") whatwg = bomOf(bytes)?.encoding === "utf-16be" ? "utf-16be" : "utf-16le";
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(whatwg);
  } catch {
    return null;
  }
  return decoder.encoding === "windows-1252" ? decodeWindows1252(bytes) : decoder.decode(bytes);
}

// windows-1252 differs from ISO-8859-1 only in 0x80–0x9F. Its five unassigned bytes map to the
// C1 controls, as in the WHATWG index (Python's cp1252 would refuse them).
const CP1252_HIGH =
  "\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f" +
  "\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178";

/**
 * windows-1252 by table. Node since 20.18.3 and 22.13 (nodejs/node#56542, #60888) and workerd
 * decode this label as ISO-8859-1, turning `€` and curly quotes into C1 controls. Every label
 * WHATWG maps here (`latin1`, `ascii`, `iso-8859-1`…) takes this path.
 */
function decodeWindows1252(bytes: Uint8Array): string {
  const chars: string[] = [];
  for (const byte of bytes) {
    chars.push(byte >= 0x80 && byte < 0xa0 ? CP1252_HIGH[byte - 0x80]! : String.fromCharCode(byte));
  }
  return chars.join("");
}

/**
 * The UTF flavour of a JSON document, as Requests' `guess_json_utf`: from a BOM (`utf-32`,
 * `utf-8-sig`, `utf-16`, the BOM then read by the decoder) or from the NULs among the first four
 * bytes, since JSON starts with two ASCII characters (`utf-16-be`, `utf-32-le`…); `utf-8` when
 * there are none; `null` when the pattern fits no UTF.
 */
export function guessJsonUtf(bytes: Uint8Array): string | null {
  const sample = bytes.subarray(0, 4);
  const at = (i: number) => sample[i];
  const is = (...expected: number[]) =>
    sample.length >= expected.length && expected.every((byte, i) => sample[i] === byte);
  if (sample.length === 4 && (is(0xff, 0xfe, 0, 0) || is(0, 0, 0xfe, 0xff))) return "utf-32";
  if (is(0xef, 0xbb, 0xbf)) return "utf-8-sig";
  if (is(0xff, 0xfe) || is(0xfe, 0xff)) return "utf-16";
  let nulls = 0;
  for (const byte of sample) if (byte === 0) nulls++;
  if (nulls === 0) return "utf-8";
  if (nulls === 2) {
    // Python compares slices, so a short sample never matches the two-NUL patterns.
    if (sample.length >= 3 && at(0) === 0 && at(2) === 0) return "utf-16-be";
    if (sample.length >= 4 && at(1) === 0 && at(3) === 0) return "utf-16-le";
  }
  if (nulls === 3) {
    if (at(0) === 0 && at(1) === 0 && at(2) === 0) return "utf-32-be";
    if (sample.length === 4 && at(1) === 0 && at(2) === 0 && at(3) === 0) return "utf-32-le";
  }
  return null;
}
