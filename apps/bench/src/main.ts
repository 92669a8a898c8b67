import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { createTestPki, type TestPki } from "@nq/testkit";
import { measureBundleSize } from "./bundle-size.js";
import { type CaddyServer, findCaddy, startCaddy } from "./caddy-server.js";
import { type ClientDefinition, clientsFor } from "./clients.js";
import { measureColdImports } from "./cold-import.js";
import { clockTicks, findH2o, type H2oServer, startH2o } from "./h2o-server.js";
import type { DownloadSample, HandshakeSample, Job, Sample, StreamSample, ThroughputSample } from "./job.js";
import { PACKAGE_ROOT } from "./package-root.js";
import { machineBusyTicks } from "./proc-stat.js";
import { DOWNLOAD_CLIENTS, HANDSHAKE_CLIENTS } from "./quic-clients.js";
import {
  downloadFigures,
  failures,
  handshakeFigures,
  renderReport,
  streamFigures,
  throughputFigures,
} from "./report.js";
import {
  type DownloadResult,
  type HandshakeResult,
  pickBest,
  type QuicResults,
  type Round,
  type RowResult,
  type RunResults,
  type RunSettings,
  type StreamResult,
  type ThroughputResult,
} from "./results.js";
import { runWorker } from "./run-worker.js";
import {
  type DownloadScenario,
  downloadScenarios,
  GiB,
  H3_DOWNLOAD_BYTES,
  H3_FULL_RUN_BYTES,
  handshakeScenario,
  MiB,
  streamScenario,
  throughputScenarios,
} from "./scenarios.js";

const USAGE = `pnpm bench [--quick] [--only <scenario[:client]>,…] [--rounds N] [--warmup-ms N] [--measure-ms N]
            [--cpu-prof] [--inject-failure <client>]

  --quick            shorter rows, one round, a 256 MiB stream: under two minutes (the CI smoke check)
  --only             run only these rows, e.g. small-c64:nq or stream or h3-download:nq-h3; also
                     cold-import and bundle. Scenarios: small-c1 small-c64 large-c8 echo-c16
                     h2-small-c64 stream h3-download h3-download-100m (full run only) h3-handshake
  --cpu-prof         write a V8 CPU profile of every row to results/profiles (node --cpu-prof)
  --inject-failure   make every row of that client fail, to check that the run exits non-zero
`;

// A leading "--" (from `pnpm bench -- --quick`) would otherwise turn every option into a positional.
const argv = process.argv.slice(2).filter((arg, index) => !(index === 0 && arg === "--"));
function parseFlags() {
  try {
    return parseArgs({
      args: argv,
      options: {
        quick: { type: "boolean", default: false },
        only: { type: "string" },
        rounds: { type: "string" },
        "warmup-ms": { type: "string" },
        "measure-ms": { type: "string" },
        "cpu-prof": { type: "boolean", default: false },
        "inject-failure": { type: "string" },
        help: { type: "boolean", default: false },
      },
    }).values;
  } catch (error) {
    process.stderr.write(`nq bench: ${(error as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
}
const flags = parseFlags();
if (flags.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

function integerFlag(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0)
    throw new Error(`--${name} wants a positive integer, not ${value}`);
  return parsed;
}

// The budgets: the full run under ten minutes, --quick under two, on a two-core machine.
const settings: RunSettings = flags.quick
  ? {
      quick: true,
      warmupMs: integerFlag("warmup-ms", flags["warmup-ms"], 300),
      measureMs: integerFlag("measure-ms", flags["measure-ms"], 700),
      rounds: integerFlag("rounds", flags.rounds, 1),
      streamBytes: 256 * MiB,
      importRuns: 3,
      quicDownloadMs: 1_000,
      quicHandshakeWarmupMs: 300,
      quicHandshakeMs: 1_500,
      quietWaitMs: 2_000,
      quietBudgetMs: 10_000,
    }
  : {
      quick: false,
      warmupMs: integerFlag("warmup-ms", flags["warmup-ms"], 1_500),
      measureMs: integerFlag("measure-ms", flags["measure-ms"], 3_000),
      rounds: integerFlag("rounds", flags.rounds, 2),
      streamBytes: GiB,
      importRuns: 5,
      quicDownloadMs: 2_500,
      quicHandshakeWarmupMs: 1_000,
      quicHandshakeMs: 3_000,
      quietWaitMs: 15_000,
      quietBudgetMs: 60_000,
    };

const only =
  flags.only
    ?.split(",")
    .map((pattern) => pattern.trim())
    .filter((pattern) => pattern !== "") ?? null;

/** Whether `--only` keeps this row (or, without a client, this whole section). */
function selected(section: string, client?: { readonly id: string }): boolean {
  if (only === null) return true;
  return only.some((pattern) => {
    const [scenario, clientId] = pattern.split(":");
    if (scenario !== section && scenario !== "*") return false;
    return clientId === undefined || client === undefined || clientId === client.id;
  });
}

/** Below this many cores busy (bench idle between rows), the machine counts as quiet. */
const QUIET_CORES = 0.3;
let quietBudgetLeftMs = settings.quietBudgetMs;

/**
 * Waits, within the per-row and whole-run budgets, until other tenants of the machine leave it
 * quiet: on two shared cores, a neighbour's test run halves a row's figures. What was waited and
 * how busy the machine still was go into the JSON, and a row that ran contended says so.
 */
async function waitForQuiet(ticksPerSecond: number): Promise<{ waitedMs: number; busyCores: number }> {
  const started = performance.now();
  for (;;) {
    const before = machineBusyTicks();
    await sleep(300);
    const busyCores = (machineBusyTicks() - before) / ticksPerSecond / 0.3;
    const waitedMs = performance.now() - started;
    if (busyCores < QUIET_CORES || waitedMs >= Math.min(settings.quietWaitMs, quietBudgetLeftMs)) {
      quietBudgetLeftMs = Math.max(0, quietBudgetLeftMs - waitedMs);
      return { waitedMs, busyCores };
    }
  }
}

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** What a row says about its client, from either kind of client definition. */
interface RowClient {
  readonly id: string;
  readonly label: string;
  readonly protocol: ClientDefinition["protocol"];
  readonly isUndiciReference?: boolean;
  readonly isReference?: boolean;
  readonly mayFail?: string;
  readonly note?: string;
}

function rowResult<T extends Sample>(
  client: RowClient,
  rounds: Round<T>[],
  error: string | null,
): RowResult<T> {
  return {
    clientId: client.id,
    label: client.label,
    protocol: client.protocol,
    isReference: client.isUndiciReference === true || client.isReference === true,
    mayFail: client.mayFail ?? null,
    note: client.note ?? null,
    rounds,
    best: pickBest(rounds),
    error,
  };
}

function describeSample(sample: Sample): string {
  const server = `server ${Math.round(sample.cpu.server * 100)}%, others ${Math.round(sample.cpu.other * 100)}%`;
  if ("handshakes" in sample) {
    const x = handshakeFigures(sample);
    return `${Math.round(x.handshakesPerSecond)} handshakes/s, median ${x.medianMs.toFixed(2)} ms, p90 ${x.p90Ms.toFixed(2)} ms (${server})`;
  }
  if ("downloads" in sample) {
    const x = downloadFigures(sample);
    return `${Math.round(x.megabytesPerSecond)} MB/s, ${x.cpuPerGiB.toFixed(1)} CPU s/GiB, ${sample.downloads} downloads (${server})`;
  }
  if ("requests" in sample) {
    const x = throughputFigures(sample);
    return `${Math.round(x.requestsPerSecond)} req/s, ${x.cpuPer10k.toFixed(2)} CPU s/10k (${server})`;
  }
  const x = streamFigures(sample);
  return `${Math.round(x.megabytesPerSecond)} MB/s, RSS +${x.rssGrowthMiB.toFixed(1)} MiB (${server})`;
}

/** The QUIC scenarios and clients `--only` keeps. */
function selectedQuicScenarios() {
  const downloads = downloadScenarios(settings.quick, settings.quicDownloadMs)
    .map((scenario) => ({
      scenario,
      clients: DOWNLOAD_CLIENTS.filter((client) => selected(scenario.id, client)),
      // The 100 MiB download is measured once per client: its rows take seconds each.
      rounds: scenario.bytes > H3_DOWNLOAD_BYTES ? 1 : settings.rounds,
    }))
    .filter((entry) => entry.clients.length > 0);
  const handshake = handshakeScenario(settings.quicHandshakeWarmupMs, settings.quicHandshakeMs);
  const handshakeClients = HANDSHAKE_CLIENTS.filter((client) => selected(handshake.id, client));
  return { downloads, handshake, handshakeClients };
}

/**
 * The QUIC rows (issue 5): caddy is started for them alone, after h2o has stopped, and stopped at
 * the end; every row runs in a fresh process like the others, rounds interleaved across clients.
 */
async function runQuic(
  pki: TestPki,
  ticks: number,
  nodeFlags: readonly string[],
  selection: ReturnType<typeof selectedQuicScenarios>,
): Promise<QuicResults | null> {
  if (selection.downloads.length === 0 && selection.handshakeClients.length === 0) return null;
  const fileSizes = selection.downloads.some((entry) => entry.scenario.bytes === H3_FULL_RUN_BYTES)
    ? [H3_DOWNLOAD_BYTES, H3_FULL_RUN_BYTES]
    : [H3_DOWNLOAD_BYTES];
  const caddy: CaddyServer = await startCaddy({ certificate: pki.issue(), caPem: pki.ca.cert, fileSizes });
  const stopServer = () => {
    void caddy.stop().finally(() => process.exit(130));
  };
  process.once("SIGINT", stopServer);
  process.once("SIGTERM", stopServer);
  log(`caddy ${caddy.version} (pid ${caddy.pid}) on ${caddy.origin}, TCP and UDP`);
  const jobBase = (clientId: string) => ({
    clientId,
    caddy: { origin: caddy.origin, port: caddy.port, serverName: "localhost", caPem: pki.ca.cert },
    serverPid: caddy.pid,
    clockTicks: ticks,
    injectFailure: flags["inject-failure"] === clientId,
  });

  /** Runs `rounds` rounds of a scenario over its clients, interleaved, and collects the rows. */
  async function rows<T extends DownloadSample | HandshakeSample>(
    scenarioId: string,
    clients: readonly RowClient[],
    rounds: number,
    job: (clientId: string) => Job,
    timeoutMs: number,
  ): Promise<RowResult<T>[]> {
    const samples = new Map<string, Round<T>[]>(clients.map((client) => [client.id, []]));
    const errors = new Map<string, string>();
    for (let round = 1; round <= rounds; round += 1) {
      for (const client of clients) {
        const quietWait = await waitForQuiet(ticks);
        const reply = await runWorker<T>(job(client.id), { timeoutMs, nodeFlags });
        const where = `${scenarioId} · ${client.label} · round ${round}/${rounds}`;
        if (reply.ok) {
          samples.get(client.id)?.push({ ...reply.sample, quietWait });
          log(`${where}: ${describeSample(reply.sample)}`);
        } else {
          if (!errors.has(client.id)) errors.set(client.id, reply.error);
          log(`${where}: FAILED\n${reply.error}`);
        }
      }
    }
    return clients.map((client) =>
      rowResult(client, samples.get(client.id) ?? [], errors.get(client.id) ?? null),
    );
  }

  try {
    const downloads: DownloadResult[] = [];
    for (const { scenario, clients, rounds } of selection.downloads) {
      const file = caddy.files.find((candidate) => candidate.name === scenario.fileName);
      if (!file) throw new Error(`caddy serves no ${scenario.fileName}`);
      const job = (clientId: string): Job => ({
        ...jobBase(clientId),
        kind: "download",
        scenario: scenario satisfies DownloadScenario,
        sha256: file.sha256,
      });
      downloads.push({
        scenario,
        rows: await rows<DownloadSample>(scenario.id, clients, rounds, job, scenario.measureMs + 180_000),
      });
    }
    const { handshake: scenario, handshakeClients } = selection;
    let handshake: HandshakeResult | null = null;
    if (handshakeClients.length > 0) {
      const job = (clientId: string): Job => ({ ...jobBase(clientId), kind: "handshake", scenario });
      const timeoutMs = scenario.warmupMs + scenario.measureMs + 60_000;
      handshake = {
        scenario,
        rows: await rows<HandshakeSample>(scenario.id, handshakeClients, settings.rounds, job, timeoutMs),
      };
    }
    return { server: { name: "caddy", version: caddy.version }, downloads, handshake };
  } finally {
    process.off("SIGINT", stopServer);
    process.off("SIGTERM", stopServer);
    await caddy.stop();
  }
}

async function main(): Promise<number> {
  const startedAt = new Date();
  const started = performance.now();
  const quicScenarios = selectedQuicScenarios();
  try {
    findH2o();
    if (quicScenarios.downloads.length > 0 || quicScenarios.handshakeClients.length > 0) findCaddy();
  } catch (error) {
    log(`nq bench: ${(error as Error).message}`);
    return 2;
  }

  const pki = createTestPki();
  const server: H2oServer = await startH2o({ streamBytes: settings.streamBytes, certificate: pki.issue() });
  const stopServer = () => {
    void server.stop().finally(() => process.exit(130));
  };
  process.once("SIGINT", stopServer);
  process.once("SIGTERM", stopServer);
  log(`h2o ${server.version} (pid ${server.pid}) on ${server.httpOrigin} and ${server.httpsOrigin}`);

  const ticks = clockTicks();
  const nodeFlags = flags["cpu-prof"]
    ? ["--cpu-prof", `--cpu-prof-dir=${join(PACKAGE_ROOT, "results", "profiles")}`]
    : [];
  const jobBase = (client: ClientDefinition) => ({
    clientId: client.id,
    protocol: client.protocol,
    origin: client.protocol === "h2" ? server.httpsOrigin : server.httpOrigin,
    caPem: pki.ca.cert,
    serverPid: server.pid,
    clockTicks: ticks,
    injectFailure: flags["inject-failure"] === client.id,
  });

  const throughput: ThroughputResult[] = [];
  let stream: StreamResult | null = null;
  try {
    for (const scenario of throughputScenarios()) {
      const clients = clientsFor(scenario.protocol).filter((client) => selected(scenario.id, client));
      if (clients.length === 0) continue;
      const rounds = new Map<string, Round<ThroughputSample>[]>(clients.map((client) => [client.id, []]));
      const errors = new Map<string, string>();
      // Rounds go over every client before repeating, so a burst of load from another tenant
      // lands on one round of several clients, not on every round of one.
      for (let round = 1; round <= settings.rounds; round += 1) {
        for (const client of clients) {
          const job: Job = {
            ...jobBase(client),
            kind: "throughput",
            scenario,
            warmupMs: settings.warmupMs,
            measureMs: settings.measureMs,
          };
          const quietWait = await waitForQuiet(ticks);
          const reply = await runWorker<ThroughputSample>(job, {
            timeoutMs: settings.warmupMs + settings.measureMs + 60_000,
            nodeFlags,
          });
          const where = `${scenario.id} · ${client.label} · round ${round}/${settings.rounds}`;
          if (reply.ok) {
            rounds.get(client.id)?.push({ ...reply.sample, quietWait });
            log(`${where}: ${describeSample(reply.sample)}`);
          } else {
            if (!errors.has(client.id)) errors.set(client.id, reply.error);
            log(`${where}: FAILED${client.mayFail ? ` (allowed: ${client.mayFail})` : ""}\n${reply.error}`);
          }
        }
      }
      throughput.push({
        scenario,
        rows: clients.map((client) =>
          rowResult(client, rounds.get(client.id) ?? [], errors.get(client.id) ?? null),
        ),
      });
    }

    const scenario = streamScenario(settings.streamBytes);
    const streamClients = clientsFor("h1").filter((client) => selected(scenario.id, client));
    if (streamClients.length > 0) {
      const rows: RowResult<StreamSample>[] = [];
      for (const client of streamClients) {
        const job: Job = { ...jobBase(client), kind: "stream", scenario, warmupPath: "/large.bin" };
        const quietWait = await waitForQuiet(ticks);
        const reply = await runWorker<StreamSample>(job, { timeoutMs: 180_000, nodeFlags });
        if (reply.ok) log(`${scenario.id} · ${client.label}: ${describeSample(reply.sample)}`);
        else log(`${scenario.id} · ${client.label}: FAILED\n${reply.error}`);
        rows.push(
          rowResult(client, reply.ok ? [{ ...reply.sample, quietWait }] : [], reply.ok ? null : reply.error),
        );
      }
      stream = { scenario, rows };
    }
  } finally {
    process.off("SIGINT", stopServer);
    process.off("SIGTERM", stopServer);
    await server.stop();
  }

  const quic = await runQuic(pki, ticks, nodeFlags, quicScenarios);

  const coldImports = selected("cold-import")
    ? measureColdImports(["niquests", "undici", "got", "axios"], settings.importRuns)
    : [];
  const bundle = selected("bundle") ? await measureBundleSize() : null;

  const cpu = cpus();
  const results: RunResults = {
    startedAt: startedAt.toISOString(),
    durationSeconds: (performance.now() - started) / 1000,
    settings,
    machine: {
      node: process.versions.node,
      cpuModel: cpu[0]?.model.trim() ?? "unknown CPU",
      cpus: cpu.length,
      loadAverage: loadavg(),
      memoryBytes: totalmem(),
    },
    server: { name: "h2o", version: server.version, threads: 1 },
    throughput,
    stream,
    quic,
    coldImports,
    bundle,
  };

  process.stdout.write(renderReport(results));
  const resultsDir = join(PACKAGE_ROOT, "results");
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, "latest.json"), `${JSON.stringify(results, null, 2)}\n`);
  log(`raw numbers: ${join(resultsDir, "latest.json")}`);

  const failed = failures(results);
  if (failed.length > 0) {
    log(`\nnq bench: ${failed.length} row(s) failed:\n${failed.map((line) => `  - ${line}`).join("\n")}`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(`nq bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
