import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * Maps every workspace package name to its `src/index.ts`, so tests run against
 * sources and need no build (the tRPC layout).
 */
export function workspaceAliases(): Record<string, string> {
  const aliases: Record<string, string> = {};
  const dir = join(root, "packages");
  for (const entry of readdirSync(dir)) {
    const manifest = join(dir, entry, "package.json");
    const source = join(dir, entry, "src", "index.ts");
    if (!existsSync(manifest) || !existsSync(source)) continue;
    const { name } = JSON.parse(readFileSync(manifest, "utf8")) as { name: string };
    aliases[name] = source;
  }
  return aliases;
}
