import { describe, expect, it } from "vitest";
import type { ThroughputSample } from "./job.js";
import { failures, renderReport, targets, throughputFigures } from "./report.js";
import { pickBest, type Round, type RowResult, type RunResults } from "./results.js";
import { throughputScenarios } from "./scenarios.js";

// Figures only, no sockets and no clocks: the tables and the exit code are pure functions of them.

function sample(requests: number, overrides: Partial<ThroughputSample> = {}): Round<ThroughputSample> {
  return {
    requests,
    bytes: requests * 100,
    seconds: 1,
    cpuMicros: requests * 50,
    peakRssBytes: 100 * 1024 * 1024,
    connections: 1,
    cpu: { client: 1, server: 0.2, other: 0 },
    httpVersions: ["1.1"],
    quietWait: { waitedMs: 300, busyCores: 0 },
    ...overrides,
  };
}

function row(
  clientId: string,
  rounds: Round<ThroughputSample>[],
  extra: Partial<RowResult<ThroughputSample>> = {},
): RowResult<ThroughputSample> {
  return {
    clientId,
    label: clientId,
    protocol: "h1",
    isReference: clientId === "undici-request",
    mayFail: null,
    note: null,
    rounds,
    best: pickBest(rounds),
    error: null,
    ...extra,
  };
}

function results(rows: RowResult<ThroughputSample>[]): RunResults {
  const scenario = throughputScenarios().find((candidate) => candidate.id === "small-c64");
  if (!scenario) throw new Error("no small-c64 scenario");
  return {
    startedAt: "2026-01-01T00:00:00.000Z",
    durationSeconds: 1,
    settings: {
      quick: true,
      warmupMs: 1,
      measureMs: 1,
      rounds: 1,
      streamBytes: 1,
      importRuns: 1,
      quicDownloadMs: 1,
      quicHandshakeWarmupMs: 1,
      quicHandshakeMs: 1,
      quietWaitMs: 0,
      quietBudgetMs: 0,
    },
    machine: { node: "20", cpuModel: "test", cpus: 2, loadAverage: [0, 0, 0], memoryBytes: 1 },
    server: { name: "h2o", version: "2.2.5", threads: 1 },
    throughput: [{ scenario, rows }],
    stream: null,
    quic: null,
    coldImports: [],
    bundle: null,
  };
}

describe("pickBest", () => {
  it("shows the fastest round, since noise only slows a round down", () => {
    expect(pickBest([sample(10), sample(30), sample(20)])?.requests).toBe(30);
    expect(pickBest([])).toBeNull();
  });
});

describe("throughputFigures", () => {
  it("turns a window into rates and CPU seconds per 10k requests", () => {
    const figures = throughputFigures(sample(20_000, { seconds: 2, cpuMicros: 3_000_000 }));
    expect(figures.requestsPerSecond).toBe(10_000);
    expect(figures.cpuPer10k).toBeCloseTo(1.5);
  });
});

describe("failures", () => {
  it("fails the run for an errored row", () => {
    const run = results([row("undici-request", [sample(10)]), row("got", [], { error: "boom\nstack" })]);
    expect(failures(run)).toEqual(["small GET (100 B), 64 in flight · got: boom"]);
  });

  it("lets a row marked mayFail error without failing the run", () => {
    const run = results([row("nq", [], { error: "no h2", mayFail: "in progress" })]);
    expect(failures(run)).toEqual([]);
    expect(renderReport(run)).toContain("not measured (in progress): no h2");
  });
});

describe("targets", () => {
  it("holds nq against the undici.request row", () => {
    const run = results([row("undici-request", [sample(100)]), row("nq", [sample(150)])]);
    expect(targets(run)).toEqual([
      expect.objectContaining({ measured: "1.50×", goal: "≥ 1.00×", met: true }),
    ]);
  });

  it("has nothing to say without the undici row", () => {
    expect(targets(results([row("nq", [sample(150)])]))).toEqual([]);
  });
});

describe("renderReport", () => {
  it("marks a saturated server and a contended machine on the row", () => {
    const busy = sample(10, { cpu: { client: 1, server: 0.95, other: 0.6 } });
    const text = renderReport(results([row("undici-request", [busy])]));
    expect(text).toContain("server saturated");
    expect(text).toContain("contended: other processes took 60% of a core");
  });
});
