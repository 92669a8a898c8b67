import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = dirname(fileURLToPath(import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "test-support" ? [] : sources(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") ? [path] : [];
  });
}

// HTTP/3 sits on the QUIC module's public entry point and nothing else: not its internals (so
// src/quic can become a package of its own), and no Node module (the I/O is the session's).
// The other direction, src/quic never importing src/h3, is src/quic/module-boundary.test.ts.
describe("src/h3 imports only itself and the QUIC module's entry point", () => {
  it("has no other import", () => {
    const offenders: string[] = [];
    let checked = 0;
    for (const file of sources(root)) {
      const text = readFileSync(file, "utf8");
      for (const [, specifier] of text.matchAll(/^(?:import|export)[^"']*from\s+["']([^"']+)["']/gm)) {
        if (specifier === undefined) continue;
        checked++;
        const allowed = specifier === "../quic/index.js" || /^\.\/[\w-]+\.js$/.test(specifier);
        if (!allowed) offenders.push(`${relative(root, file)} → ${specifier}`);
      }
    }
    expect(offenders).toEqual([]);
    expect(checked).toBeGreaterThan(10);
  });
});
