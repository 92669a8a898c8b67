import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { PACKAGE_ROOT } from "./package-root.js";

/**
 * What a bundler ships for an HTTP/1.1-only nq: an entry that uses `Session` and
 * `HTTP1Transport`, tree-shaken and minified by esbuild for Node, builtins left out. The
 * breakdown shows how much of it is nq and how much its dependencies (undici, tough-cookie).
 */

export interface BundleSize {
  readonly entry: string;
  readonly bytes: number;
  readonly gzipBytes: number;
  /** Minified bytes in the output per source package, largest first. */
  readonly byPackage: readonly { readonly name: string; readonly bytes: number }[];
}

export const BUNDLE_ENTRY = `export { Session } from "@nq/session";
export { HTTP1Transport } from "@nq/transport-h1";
`;

function packageOf(path: string): string {
  const marker = "node_modules/";
  const at = path.lastIndexOf(marker);
  if (at >= 0) {
    const [scope = "", name = ""] = path.slice(at + marker.length).split("/");
    return scope.startsWith("@") ? `${scope}/${name}` : scope;
  }
  // Workspace packages resolve through their symlinks to packages/<dir>/dist.
  const workspace = /(?:^|\/)packages\/([^/]+)\//.exec(path);
  return workspace?.[1] ? `@nq/${workspace[1]}` : path;
}

export async function measureBundleSize(): Promise<BundleSize> {
  const result = await build({
    stdin: { contents: BUNDLE_ENTRY, resolveDir: PACKAGE_ROOT, sourcefile: "entry.js", loader: "js" },
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    minify: true,
    write: false,
    metafile: true,
    logLevel: "silent",
    absWorkingDir: PACKAGE_ROOT,
  });
  const output = result.outputFiles[0];
  if (!output) throw new Error("esbuild produced no output");
  const byPackage = new Map<string, number>();
  for (const meta of Object.values(result.metafile.outputs)) {
    for (const [path, input] of Object.entries(meta.inputs)) {
      const name = packageOf(path);
      byPackage.set(name, (byPackage.get(name) ?? 0) + input.bytesInOutput);
    }
  }
  return {
    entry: BUNDLE_ENTRY,
    bytes: output.contents.byteLength,
    gzipBytes: gzipSync(output.contents).byteLength,
    byPackage: [...byPackage]
      .map(([name, bytes]) => ({ name, bytes }))
      .filter((entry) => entry.bytes > 0)
      .sort((a, b) => b.bytes - a.bytes),
  };
}
