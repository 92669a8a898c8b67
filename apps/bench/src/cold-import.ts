import { execFileSync } from "node:child_process";
import { PACKAGE_ROOT } from "./package-root.js";

/**
 * `import()` time of a package in a fresh Node process: what a CLI or a serverless cold start
 * pays before its first request. The file cache is warm after the first run; the median of
 * several runs drops that first one's disk reads.
 */

export interface ColdImport {
  readonly module: string;
  readonly medianMs: number;
  readonly runsMs: readonly number[];
}

const SCRIPT = `
const started = performance.now();
await import(process.argv[1]);
process.stdout.write(String(performance.now() - started));
`;

function importOnce(module: string): number {
  const output = execFileSync(process.execPath, ["--input-type=module", "-e", SCRIPT, module], {
    cwd: PACKAGE_ROOT,
    encoding: "utf8",
    timeout: 30_000,
  });
  return Number(output);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/** Interleaves the modules run by run, so a burst of load on the machine hits all of them alike. */
export function measureColdImports(modules: readonly string[], runs: number): ColdImport[] {
  const samples = new Map<string, number[]>(modules.map((module) => [module, []]));
  for (let run = 0; run < runs; run += 1) {
    for (const module of modules) samples.get(module)?.push(importOnce(module));
  }
  return modules.map((module) => {
    const runsMs = samples.get(module) ?? [];
    return { module, medianMs: median(runsMs), runsMs };
  });
}
