import { describe, expect, it } from "vitest";
import type { DownloadSample, HandshakeSample } from "./job.js";
import { parseChildTimes } from "./quic-clients.js";
import { downloadFigures, failures, handshakeFigures, renderReport } from "./report.js";
import { pickBest, type Round, type RowResult, type RunResults } from "./results.js";
import { downloadScenarios, handshakeScenario, MiB } from "./scenarios.js";

// The QUIC tables and their figures: pure functions of the samples, no caddy and no sockets.

const quiet = { waitedMs: 0, busyCores: 0 };
const cpu = { client: 1, server: 0.5, other: 0 };

function download(
  megabytesPerSecond: number,
  overrides: Partial<DownloadSample> = {},
): Round<DownloadSample> {
  const bytes = 10 * MiB;
  return {
    downloads: 1,
    bytes,
    seconds: bytes / 1e6 / megabytesPerSecond,
    cpuMicros: 100_000,
    peakRssBytes: 80 * MiB,
    cpu,
    httpVersions: ["3"],
    quietWait: quiet,
    ...overrides,
  };
}

function handshakes(ms: number[]): Round<HandshakeSample> {
  return {
    handshakes: ms.length,
    seconds: 1,
    handshakeMs: ms,
    cpuMicros: ms.length * 2_000,
    cpu,
    quietWait: quiet,
  };
}

function row<T extends DownloadSample | HandshakeSample>(
  clientId: string,
  rounds: Round<T>[],
  extra: Partial<RowResult<T>> = {},
): RowResult<T> {
  return {
    clientId,
    label: clientId,
    protocol: "h3",
    isReference: clientId === "gtlsclient" || clientId === "node-tls",
    mayFail: null,
    note: null,
    rounds,
    best: pickBest(rounds),
    error: null,
    ...extra,
  };
}

function run(
  downloadRows: RowResult<DownloadSample>[],
  handshakeRows: RowResult<HandshakeSample>[],
): RunResults {
  const [scenario] = downloadScenarios(true, 1000);
  if (!scenario) throw new Error("no download scenario");
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
      quicDownloadMs: 1000,
      quicHandshakeWarmupMs: 300,
      quicHandshakeMs: 1500,
      quietWaitMs: 0,
      quietBudgetMs: 0,
    },
    machine: { node: "20", cpuModel: "test", cpus: 2, loadAverage: [0, 0, 0], memoryBytes: 1 },
    server: { name: "h2o", version: "2.2.5", threads: 1 },
    throughput: [],
    stream: null,
    quic: {
      server: { name: "caddy", version: "2.6.2" },
      downloads: [{ scenario, rows: downloadRows }],
      handshake: { scenario: handshakeScenario(300, 1500), rows: handshakeRows },
    },
    coldImports: [],
    bundle: null,
  };
}

describe("parseChildTimes", () => {
  it("reads the children's line of bash's times, user plus system", () => {
    expect(parseChildTimes("0m0.001s 0m0.000s\n0m0.038s 0m0.046s\n")).toBe(84_000);
    expect(parseChildTimes("noise from the client\n0m0.000s 0m0.000s\n1m2.500s 0m0.250s\n")).toBe(62_750_000);
  });

  it("gives null when times did not run", () => {
    expect(parseChildTimes("")).toBeNull();
    expect(parseChildTimes("0m0.001s 0m0.000s\n")).toBeNull();
  });
});

describe("downloadFigures and handshakeFigures", () => {
  it("turns a window into MB/s and CPU seconds per GiB, with unknown CPU and RSS as NaN", () => {
    const figures = downloadFigures(download(20, { cpuMicros: 1_000_000 }));
    expect(figures.megabytesPerSecond).toBeCloseTo(20);
    expect(figures.cpuPerGiB).toBeCloseTo(102.4);
    const external = downloadFigures(download(50, { cpuMicros: null, peakRssBytes: null }));
    expect(external.cpuPerGiB).toBeNaN();
    expect(external.peakRssMiB).toBeNaN();
  });

  it("takes the median and the nearest-rank p90 of the handshake times", () => {
    const figures = handshakeFigures(handshakes([5, 1, 2, 3, 4, 6, 7, 8, 9, 10]));
    expect(figures.medianMs).toBe(5.5);
    expect(figures.p90Ms).toBe(9);
    expect(figures.handshakesPerSecond).toBe(10);
    expect(figures.cpuMsPerHandshake).toBe(2);
  });
});

describe("the QUIC tables", () => {
  it("prints ratios against gtlsclient and node:tls, the notes, and no target", () => {
    const text = renderReport(
      run(
        [
          row("nq-h3", [download(10), download(20)]),
          row("gtlsclient", [download(50, { cpuMicros: null, peakRssBytes: null })], {
            note: "verifies no certificate",
          }),
        ],
        [row("nq-h3", [handshakes([2, 3, 4])]), row("node-tls", [handshakes([1, 1, 1])])],
      ),
    );
    expect(text).toContain("### QUIC and HTTP/3 (issue 5)");
    expect(text).toMatch(/\| nq-h3 \| 3 \| 20 \| 0\.40× \| 0\.40× \|/);
    expect(text).toContain("verifies no certificate; its CPU could not be read");
    expect(text).toMatch(/\| nq-h3 \| 3 \| 3\.00 \| 4\.00 \| 3\.00× \| 3\.00× \|/);
    expect(text).not.toContain("Targets");
  });

  it("fails the run for a failed QUIC row", () => {
    const results = run([row("gtlsclient", [], { error: "gtlsclient downloaded nothing\nmore" })], []);
    expect(failures(results)).toEqual([
      "10 MiB download from caddy · gtlsclient: gtlsclient downloaded nothing",
    ]);
    expect(renderReport(results)).toContain("**ERROR**: gtlsclient downloaded nothing");
  });
});
