import { existsSync, readFileSync } from "node:fs";
import { SourceMap, type SourceMapPayload } from "node:module";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

/**
 * Reads a V8 `.cpuprofile` (from `pnpm bench --cpu-prof`) and prints where the time went: by
 * owner (nq packages, undici, Node internals, GC), then the top frames by self time, then nq's
 * frames by self and by inclusive time, mapped through the packages' source maps to src/*.ts.
 *
 *   node dist/profile-summary.js results/profiles/CPU.….cpuprofile [--top 25]
 */

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
  readonly columnNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const sourceMaps = new Map<string, SourceMap | null>();

function sourceMapFor(url: string): SourceMap | null {
  if (!url.startsWith("file://")) return null;
  if (!sourceMaps.has(url)) {
    const mapPath = `${fileURLToPath(url)}.map`;
    sourceMaps.set(
      url,
      existsSync(mapPath)
        ? new SourceMap(JSON.parse(readFileSync(mapPath, "utf8")) as SourceMapPayload)
        : null,
    );
  }
  return sourceMaps.get(url) ?? null;
}

/** Who owns a frame: an nq package, a dependency, Node itself, or V8's pseudo-frames. */
function ownerOf(frame: CallFrame): string {
  if (frame.url === "") {
    return frame.functionName.startsWith("(") ? frame.functionName : "(native)";
  }
  if (frame.url.startsWith("node:")) return "node internals";
  const marker = "node_modules/";
  const at = frame.url.lastIndexOf(marker);
  if (at >= 0) {
    const [scope = "", name = ""] = frame.url.slice(at + marker.length).split("/");
    return scope.startsWith("@") ? `${scope}/${name}` : scope;
  }
  const workspace = /\/(packages|apps)\/([^/]+)\//.exec(frame.url);
  if (workspace) return workspace[1] === "packages" ? `nq: ${workspace[2]}` : `bench harness`;
  return frame.url;
}

/** `src/file.ts:line` through the source map when there is one, else `file.js:line`. */
function locationOf(frame: CallFrame): string {
  const map = sourceMapFor(frame.url);
  if (map) {
    const entry: Partial<{ originalSource: string; originalLine: number }> = map.findEntry(
      frame.lineNumber,
      frame.columnNumber,
    );
    if (entry.originalSource && entry.originalLine !== undefined) {
      const source = entry.originalSource.replace(/^.*\/(packages\/[^/]+\/)/, "$1");
      return `${source}:${entry.originalLine + 1}`;
    }
  }
  const short = frame.url.replace(/^.*\/(packages\/|node_modules\/\.pnpm\/[^/]+\/node_modules\/)/, "");
  return frame.url === "" ? "" : `${short}:${frame.lineNumber + 1}`;
}

function frameKey(frame: CallFrame): string {
  return `${frame.functionName || "(anonymous)"} ${locationOf(frame)}`;
}

export interface ProfileSummary {
  readonly totalMs: number;
  readonly byOwner: readonly { readonly owner: string; readonly ms: number }[];
  readonly topSelf: readonly { readonly frame: string; readonly owner: string; readonly ms: number }[];
  readonly nqSelf: readonly { readonly frame: string; readonly owner: string; readonly ms: number }[];
  readonly nqInclusive: readonly { readonly frame: string; readonly owner: string; readonly ms: number }[];
}

export function summarize(profile: CpuProfile, top: number): ProfileSummary {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);

  const self = new Map<string, { owner: string; ms: number }>();
  const inclusive = new Map<string, { owner: string; ms: number }>();
  const byOwner = new Map<string, number>();
  let totalMs = 0;
  const add = (map: Map<string, { owner: string; ms: number }>, key: string, owner: string, ms: number) => {
    const entry = map.get(key) ?? { owner, ms: 0 };
    entry.ms += ms;
    map.set(key, entry);
  };

  profile.samples.forEach((id, index) => {
    const ms = (profile.timeDeltas[index] ?? 0) / 1000;
    const node = nodes.get(id);
    if (!node) return;
    totalMs += ms;
    const owner = ownerOf(node.callFrame);
    byOwner.set(owner, (byOwner.get(owner) ?? 0) + ms);
    add(self, frameKey(node.callFrame), owner, ms);
    // Inclusive time counts each frame once per sample, however deep its recursion.
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parents.get(at)) {
      const frame = nodes.get(at)?.callFrame;
      if (!frame) break;
      const frameOwner = ownerOf(frame);
      if (!frameOwner.startsWith("nq: ")) continue;
      const key = frameKey(frame);
      if (seen.has(key)) continue;
      seen.add(key);
      add(inclusive, key, frameOwner, ms);
    }
  });

  const sorted = (map: Map<string, { owner: string; ms: number }>) =>
    [...map].map(([frame, { owner, ms }]) => ({ frame, owner, ms })).sort((a, b) => b.ms - a.ms);
  return {
    totalMs,
    byOwner: [...byOwner].map(([owner, ms]) => ({ owner, ms })).sort((a, b) => b.ms - a.ms),
    topSelf: sorted(self).slice(0, top),
    nqSelf: sorted(self)
      .filter((entry) => entry.owner.startsWith("nq: "))
      .slice(0, top),
    nqInclusive: sorted(inclusive).slice(0, top),
  };
}

function render(summary: ProfileSummary): string {
  const pct = (ms: number) => `${((ms / summary.totalMs) * 100).toFixed(1)}%`;
  const rows = (entries: readonly { frame: string; owner: string; ms: number }[]) =>
    entries.map(
      (entry) => `| ${pct(entry.ms)} | ${entry.ms.toFixed(0)} | ${entry.owner} | \`${entry.frame}\` |`,
    );
  const head = ["| share | ms | owner | frame |", "|---:|---:|---|---|"];
  return [
    `Sampled ${summary.totalMs.toFixed(0)} ms.`,
    "",
    "#### Self time by owner",
    "",
    "| share | ms | owner |",
    "|---:|---:|---|",
    ...summary.byOwner.map((entry) => `| ${pct(entry.ms)} | ${entry.ms.toFixed(0)} | ${entry.owner} |`),
    "",
    "#### Top frames by self time (all code)",
    "",
    ...head,
    ...rows(summary.topSelf),
    "",
    "#### nq frames by self time",
    "",
    ...head,
    ...rows(summary.nqSelf),
    "",
    "#### nq frames by inclusive time (the frame and everything it called)",
    "",
    ...head,
    ...rows(summary.nqInclusive),
    "",
  ].join("\n");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({
    options: { top: { type: "string", default: "25" } },
    allowPositionals: true,
  });
  if (positionals.length !== 1 || positionals[0] === undefined) {
    process.stderr.write("usage: node dist/profile-summary.js <file.cpuprofile> [--top N]\n");
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(positionals[0], "utf8")) as CpuProfile;
  process.stdout.write(render(summarize(profile, Number(values.top))));
}
