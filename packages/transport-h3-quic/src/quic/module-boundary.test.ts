import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = dirname(fileURLToPath(import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") ? [path] : [];
  });
}

// The QUIC layer is meant to become its own package: it may import itself, node:crypto and
// node:buffer, and nothing else — not the HTTP/3 code beside it, not @nq/models.
describe("src/quic stays a self-contained module", () => {
  it("imports only its own files, node:crypto and node:buffer", () => {
    const offenders: string[] = [];
    let checked = 0;
    for (const file of sources(root)) {
      const text = readFileSync(file, "utf8");
      for (const [, specifier] of text.matchAll(/^(?:import|export)[^"']*from\s+["']([^"']+)["']/gm)) {
        if (specifier === undefined) continue;
        checked++;
        if (specifier === "node:crypto" || specifier === "node:buffer") continue;
        if (file.includes(`${join("quic", "test-support")}`) && specifier === "fast-check") continue;
        const target = specifier.startsWith(".") ? resolve(dirname(file), specifier) : undefined;
        if (target !== undefined && !relative(root, target).startsWith("..")) continue;
        offenders.push(`${relative(root, file)} → ${specifier}`);
      }
    }
    expect(offenders).toEqual([]);
    // Guards the regex itself: a pattern that matched nothing would pass vacuously.
    expect(checked).toBeGreaterThan(30);
  });
});
