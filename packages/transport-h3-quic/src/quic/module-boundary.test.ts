import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
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

// Test helpers may also use fast-check and @nq/testkit (the PKI and the UDP impairment shim);
// they are excluded from the build, so they never reach the module's importers.
const TEST_SUPPORT_EXTRAS = new Set(["fast-check", "@nq/testkit"]);
// The UDP edge is the one place that does I/O: sockets, name resolution and timers. Everything
// below it stays free of them, so the connection can be driven by a test clock.
const UDP_EXTRAS = new Set(["node:dgram", "node:dns", "node:timers"]);

function isAllowed(file: string, specifier: string): boolean {
  if (specifier === "node:crypto" || specifier === "node:buffer") return true;
  const folder = relative(root, file).split(sep)[0];
  if (folder === "test-support" && TEST_SUPPORT_EXTRAS.has(specifier)) return true;
  if (folder === "udp" && UDP_EXTRAS.has(specifier)) return true;
  const target = specifier.startsWith(".") ? resolve(dirname(file), specifier) : undefined;
  return target !== undefined && !relative(root, target).startsWith("..");
}

// The QUIC layer is meant to become its own package: it may import itself, node:crypto and
// node:buffer, and nothing else — not the HTTP/3 code beside it, not @nq/models.
describe("src/quic stays a self-contained module", () => {
  it("imports only its own files, node:crypto and node:buffer (and I/O modules in udp)", () => {
    const offenders: string[] = [];
    let checked = 0;
    for (const file of sources(root)) {
      const text = readFileSync(file, "utf8");
      for (const [, specifier] of text.matchAll(/^(?:import|export)[^"']*from\s+["']([^"']+)["']/gm)) {
        if (specifier === undefined) continue;
        checked++;
        if (!isAllowed(file, specifier)) offenders.push(`${relative(root, file)} → ${specifier}`);
      }
    }
    expect(offenders).toEqual([]);
    // Guards the regex itself: a pattern that matched nothing would pass vacuously.
    expect(checked).toBeGreaterThan(30);
  });

  it("allows @nq/testkit and fast-check in test-support only", () => {
    const at = (path: string) => join(root, ...path.split("/"));
    expect(isAllowed(at("test-support/quic-network.ts"), "@nq/testkit")).toBe(true);
    expect(isAllowed(at("test-support/arbitraries.ts"), "fast-check")).toBe(true);
    expect(isAllowed(at("test-support/quic-network.ts"), "node:dgram")).toBe(false);
    expect(isAllowed(at("streams/send-buffer.ts"), "@nq/testkit")).toBe(false);
    expect(isAllowed(at("test-support-like/shim.ts"), "@nq/testkit")).toBe(false);
    expect(isAllowed(at("packet/header.ts"), "fast-check")).toBe(false);
    expect(isAllowed(at("test-support/hex.ts"), "node:net")).toBe(false);
    expect(isAllowed(at("test-support/hex.ts"), "../../h3/frame.js")).toBe(false);
    expect(isAllowed(at("streams/send-buffer.ts"), "./range-set.js")).toBe(true);
  });

  it("allows node:dgram, node:dns and node:timers in udp only", () => {
    const at = (path: string) => join(root, ...path.split("/"));
    for (const specifier of ["node:dgram", "node:dns", "node:timers"]) {
      expect(isAllowed(at("udp/quic-session.ts"), specifier)).toBe(true);
      expect(isAllowed(at("connection/connection-core.ts"), specifier)).toBe(false);
      expect(isAllowed(at("udp-like/session.ts"), specifier)).toBe(false);
    }
    expect(isAllowed(at("udp/quic-session.ts"), "node:net")).toBe(false);
    expect(isAllowed(at("udp/quic-session.ts"), "fast-check")).toBe(false);
    expect(isAllowed(at("udp/quic-session.ts"), "../connection/client-connection.js")).toBe(true);
  });
});
