import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** A file the QUIC servers serve, with what a client must receive for it. */
export interface TestFile {
  /** Its name under the document root, and so its URL path without the leading `/`. */
  readonly name: string;
  readonly size: number;
  /** SHA-256 of its bytes, lower-case hex. */
  readonly sha256: string;
}

/** What `small.txt` holds: short enough for one STREAM frame, and readable in a failure message. */
export const SMALL_TEXT = "hello from the nq QUIC interop suite\n";

const MIB = 1024 * 1024;

/**
 * `size` bytes from mulberry32 seeded with `seed`: the same bytes on every run and machine, so a
 * hash mismatch always means the transfer, never the file. Random-looking rather than repeated,
 * so a client that delivers a chunk twice or at the wrong offset cannot match by luck.
 */
export function seededBytes(seed: number, size: number): Buffer {
  const out = Buffer.alloc(size);
  let state = seed >>> 0;
  for (let offset = 0; offset < size; offset += 4) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const word = (t ^ (t >>> 14)) >>> 0;
    if (offset + 4 <= size) out.writeUInt32LE(word, offset);
    else for (let i = 0; offset + i < size; i++) out[offset + i] = (word >>> (8 * i)) & 0xff;
  }
  return out;
}

/**
 * Writes the document root the QUIC servers share: `small.txt`, `1m.bin` (1 MiB) and `10m.bin`
 * (10 MiB) from fixed seeds, and `SHA256SUMS` in `sha256sum -c` format.
 */
export function writeTestFiles(root: string): TestFile[] {
  mkdirSync(root, { recursive: true });
  const contents: [string, Buffer][] = [
    ["small.txt", Buffer.from(SMALL_TEXT, "utf8")],
    ["1m.bin", seededBytes(1, MIB)],
    ["10m.bin", seededBytes(10, 10 * MIB)],
  ];
  const files = contents.map(([name, bytes]): TestFile => {
    writeFileSync(join(root, name), bytes);
    return { name, size: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") };
  });
  writeFileSync(join(root, "SHA256SUMS"), files.map((f) => `${f.sha256}  ${f.name}\n`).join(""));
  return files;
}
