import type { CpuShares, DownloadSample, HandshakeSample, StreamSample, ThroughputSample } from "./job.js";
import type {
  DownloadResult,
  HandshakeResult,
  RowResult,
  RunResults,
  StreamResult,
  ThroughputResult,
} from "./results.js";
import { GiB, MiB } from "./scenarios.js";

/** The markdown the bench prints: one table per scenario, then targets, cold import, bundle size. */

/** A server above this share of its one thread is the bottleneck, and the row says so. */
const SATURATED = 0.9;
/** Other tenants above this share of a core during a row make its figures unreliable. */
const CONTENDED = 0.25;

export interface ThroughputFigures {
  readonly requestsPerSecond: number;
  readonly megabytesPerSecond: number;
  /** Client CPU seconds per 10 000 requests. */
  readonly cpuPer10k: number;
  readonly peakRssMiB: number;
}

export function throughputFigures(sample: ThroughputSample): ThroughputFigures {
  return {
    requestsPerSecond: sample.requests / sample.seconds,
    megabytesPerSecond: sample.bytes / sample.seconds / 1e6,
    cpuPer10k: sample.requests > 0 ? (sample.cpuMicros / 1e6 / sample.requests) * 10_000 : Number.NaN,
    peakRssMiB: sample.peakRssBytes / MiB,
  };
}

export interface StreamFigures {
  readonly megabytesPerSecond: number;
  /** Client CPU seconds per GiB downloaded. */
  readonly cpuPerGiB: number;
  readonly rssGrowthMiB: number;
}

export function streamFigures(sample: StreamSample): StreamFigures {
  return {
    megabytesPerSecond: sample.bytes / sample.seconds / 1e6,
    cpuPerGiB: sample.cpuMicros / 1e6 / (sample.bytes / GiB),
    rssGrowthMiB: Math.max(0, sample.peakRssBytes - sample.baselineRssBytes) / MiB,
  };
}

const grouped = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "—";
}

function ratio(value: number, reference: number | undefined): string {
  if (reference === undefined || !Number.isFinite(value) || !Number.isFinite(reference) || reference === 0) {
    return "—";
  }
  return `${(value / reference).toFixed(2)}×`;
}

function percent(share: number): string {
  return `${Math.round(share * 100)}%`;
}

function firstLine(text: string): string {
  return (text.split("\n").find((line) => line.trim() !== "") ?? text).trim().slice(0, 160);
}

function cpuNotes(cpu: CpuShares, server: "h2o" | "caddy" = "h2o"): string[] {
  const notes: string[] = [];
  // h2o runs one thread, so a core is its ceiling; caddy may use both cores, so near one core it
  // is only busy, which on two cores leaves the client little room.
  if (cpu.server >= SATURATED)
    notes.push(
      server === "h2o"
        ? "server saturated: this row measures h2o, not the client"
        : `caddy busy (${percent(cpu.server)} of a core)`,
    );
  if (cpu.other >= CONTENDED) notes.push(`contended: other processes took ${percent(cpu.other)} of a core`);
  return notes;
}

function errorNote<T>(row: RowResult<T>): string {
  const message = row.error === null ? "" : firstLine(row.error);
  return row.mayFail === null ? `**ERROR**: ${message}` : `not measured (${row.mayFail}): ${message}`;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell) => cell.replaceAll("|", "\\|")).join(" | ")} |`;
  const align = header.map((_, index) => (index === 0 || index === header.length - 1 ? "---" : "---:"));
  return [line(header), `|${align.join("|")}|`, ...rows.map(line)].join("\n");
}

/** The reference row (undici, or gtlsclient) and the fastest row of a scenario, which the ratios are taken against. */
function references<T extends ThroughputSample | StreamSample | DownloadSample>(
  rows: readonly RowResult<T>[],
): { undici: RowResult<T> | undefined; fastest: RowResult<T> | undefined } {
  const measured = rows.filter((row) => row.best !== null);
  const rate = (row: RowResult<T>) => (row.best ? row.best.bytes / row.best.seconds : 0);
  return {
    undici: measured.find((row) => row.isReference),
    fastest: measured.reduce<RowResult<T> | undefined>(
      (best, row) => (best === undefined || rate(row) > rate(best) ? row : best),
      undefined,
    ),
  };
}

export function throughputTable(result: ThroughputResult): string {
  const { undici, fastest } = references(result.rows);
  const figuresOf = (row: RowResult<ThroughputSample> | undefined) =>
    row?.best ? throughputFigures(row.best) : undefined;
  const u = figuresOf(undici);
  const f = figuresOf(fastest);
  const rows = result.rows.map((row) => {
    if (row.best === null) return [row.label, ...Array<string>(14).fill(""), errorNote(row)];
    const x = throughputFigures(row.best);
    const notes = cpuNotes(row.best.cpu);
    if (
      result.scenario.protocol === "h2" &&
      row.best.httpVersions.length > 0 &&
      !row.best.httpVersions.includes("2")
    ) {
      notes.push(`spoke HTTP/${row.best.httpVersions.join(", ")}, not HTTP/2`);
    }
    if (row.error !== null) notes.push(`a round failed: ${firstLine(row.error)}`);
    return [
      row.label,
      row.best.httpVersions.join(", ") || "?",
      grouped.format(x.requestsPerSecond),
      fixed(x.megabytesPerSecond, x.megabytesPerSecond < 10 ? 2 : 0),
      ratio(x.requestsPerSecond, u?.requestsPerSecond),
      ratio(x.requestsPerSecond, f?.requestsPerSecond),
      fixed(x.cpuPer10k, 2),
      ratio(x.cpuPer10k, u?.cpuPer10k),
      ratio(x.cpuPer10k, f?.cpuPer10k),
      fixed(x.peakRssMiB, 0),
      ratio(x.peakRssMiB, u?.peakRssMiB),
      ratio(x.peakRssMiB, f?.peakRssMiB),
      String(row.best.connections),
      percent(row.best.cpu.server),
      percent(row.best.cpu.other),
      notes.join("; "),
    ];
  });
  const s = result.scenario;
  const heading = `### ${s.title} — HTTP/${s.protocol === "h2" ? "2" : "1.1"}, \`${s.method} ${s.path}\``;
  const caption =
    `Ratios against **${undici?.label ?? "undici (not measured)"}** (“vs undici”) and the fastest row, ` +
    `**${fastest?.label ?? "—"}** (“vs fastest”). For req/s, above 1× is faster; for CPU and RSS, above 1× costs more.`;
  return [
    heading,
    "",
    caption,
    "",
    table(
      [
        "client",
        "HTTP",
        "req/s",
        "MB/s",
        "req/s vs undici",
        "req/s vs fastest",
        "CPU s/10k req",
        "CPU vs undici",
        "CPU vs fastest",
        "peak RSS MiB",
        "RSS vs undici",
        "RSS vs fastest",
        "conns",
        "server CPU",
        "others' CPU",
        "notes",
      ],
      rows,
    ),
  ].join("\n");
}

export function streamTable(result: StreamResult): string {
  const { undici, fastest } = references(result.rows);
  const figuresOf = (row: RowResult<StreamSample> | undefined) =>
    row?.best ? streamFigures(row.best) : undefined;
  const u = figuresOf(undici);
  const f = figuresOf(fastest);
  const rows = result.rows.map((row) => {
    if (row.best === null) return [row.label, ...Array<string>(11).fill(""), errorNote(row)];
    const x = streamFigures(row.best);
    return [
      row.label,
      fixed(x.megabytesPerSecond, 0),
      ratio(x.megabytesPerSecond, u?.megabytesPerSecond),
      ratio(x.megabytesPerSecond, f?.megabytesPerSecond),
      fixed(x.cpuPerGiB, 2),
      ratio(x.cpuPerGiB, u?.cpuPerGiB),
      ratio(x.cpuPerGiB, f?.cpuPerGiB),
      fixed(x.rssGrowthMiB, 1),
      ratio(x.rssGrowthMiB, u?.rssGrowthMiB),
      ratio(x.rssGrowthMiB, f?.rssGrowthMiB),
      percent(row.best.cpu.server),
      percent(row.best.cpu.other),
      cpuNotes(row.best.cpu).join("; "),
    ];
  });
  return [
    `### ${result.scenario.title} — HTTP/1.1, \`GET ${result.scenario.path}\`, read in chunks`,
    "",
    `Each client in a fresh process; RSS growth is the peak during the download over the RSS just before it ` +
      `(after a warm-up download and a full GC). Ratios against **${undici?.label ?? "—"}** and the fastest row, ` +
      `**${fastest?.label ?? "—"}**.`,
    "",
    table(
      [
        "client",
        "MB/s",
        "MB/s vs undici",
        "MB/s vs fastest",
        "CPU s/GiB",
        "CPU vs undici",
        "CPU vs fastest",
        "RSS growth MiB",
        "growth vs undici",
        "growth vs fastest",
        "server CPU",
        "others' CPU",
        "notes",
      ],
      rows,
    ),
  ].join("\n");
}

export interface DownloadFigures {
  readonly megabytesPerSecond: number;
  /** Client CPU seconds per GiB downloaded; NaN when the client's CPU could not be read. */
  readonly cpuPerGiB: number;
  /** NaN for a client in a child process. */
  readonly peakRssMiB: number;
}

export function downloadFigures(sample: DownloadSample): DownloadFigures {
  return {
    megabytesPerSecond: sample.bytes / sample.seconds / 1e6,
    cpuPerGiB: sample.cpuMicros === null ? Number.NaN : sample.cpuMicros / 1e6 / (sample.bytes / GiB),
    peakRssMiB: sample.peakRssBytes === null ? Number.NaN : sample.peakRssBytes / MiB,
  };
}

export function downloadTable(result: DownloadResult): string {
  const { undici: reference, fastest } = references(result.rows);
  const figuresOf = (row: RowResult<DownloadSample> | undefined) =>
    row?.best ? downloadFigures(row.best) : undefined;
  const r = figuresOf(reference);
  const f = figuresOf(fastest);
  const rows = result.rows.map((row) => {
    if (row.best === null) return [row.label, ...Array<string>(11).fill(""), errorNote(row)];
    const x = downloadFigures(row.best);
    const rowNotes = [...cpuNotes(row.best.cpu, "caddy")];
    if (row.note !== null) rowNotes.push(row.note);
    if (row.best.cpuMicros === null) rowNotes.push("its CPU could not be read");
    if (row.error !== null) rowNotes.push(`a round failed: ${firstLine(row.error)}`);
    return [
      row.label,
      row.best.httpVersions.join(", ") || "?",
      fixed(x.megabytesPerSecond, x.megabytesPerSecond < 10 ? 1 : 0),
      ratio(x.megabytesPerSecond, r?.megabytesPerSecond),
      ratio(x.megabytesPerSecond, f?.megabytesPerSecond),
      fixed(x.cpuPerGiB, 1),
      ratio(x.cpuPerGiB, r?.cpuPerGiB),
      ratio(x.cpuPerGiB, f?.cpuPerGiB),
      fixed(x.peakRssMiB, 0),
      String(row.best.downloads),
      percent(row.best.cpu.server),
      percent(row.best.cpu.other),
      rowNotes.join("; "),
    ];
  });
  const s = result.scenario;
  const measured =
    s.measureMs > 0
      ? `the file is downloaded again and again, one download after another, for at least ${(s.measureMs / 1000).toFixed(1)} s, each checked by length`
      : "the file is downloaded once more, checked by length";
  return [
    `### ${s.title} — HTTP/3 over QUIC, and HTTP/2 and HTTP/1.1 over TLS, \`GET /${s.fileName}\``,
    "",
    `One connection per client (gtlsclient: a process and a connection per download). After one warm-up ` +
      `download checked by length and SHA-256, ${measured}. CPU is the client's: its row process's \`process.cpuUsage()\`, and gtlsclient's own ` +
      `from bash's \`times\`. Ratios against **${reference?.label ?? "gtlsclient (not measured)"}** (“vs ref”) and ` +
      `the fastest row, **${fastest?.label ?? "—"}**. No target: issue 5 asks for these figures, not a bound.`,
    "",
    table(
      [
        "client",
        "HTTP",
        "MB/s",
        "MB/s vs ref",
        "MB/s vs fastest",
        "CPU s/GiB",
        "CPU vs ref",
        "CPU vs fastest",
        "peak RSS MiB",
        "downloads",
        "server CPU",
        "others' CPU",
        "notes",
      ],
      rows,
    ),
  ].join("\n");
}

export interface HandshakeFigures {
  readonly handshakesPerSecond: number;
  readonly medianMs: number;
  readonly p90Ms: number;
  /** Client CPU milliseconds per handshake, close included. */
  readonly cpuMsPerHandshake: number;
}

/** The value below which `share` of the sorted values fall (nearest rank). */
function percentile(sorted: readonly number[], share: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(share * sorted.length) - 1))]!;
}

export function handshakeFigures(sample: HandshakeSample): HandshakeFigures {
  const sorted = [...sample.handshakeMs].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  const median =
    sorted.length === 0
      ? Number.NaN
      : sorted.length % 2 === 1
        ? sorted[middle]!
        : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return {
    handshakesPerSecond: sample.handshakes / sample.seconds,
    medianMs: median,
    p90Ms: percentile(sorted, 0.9),
    cpuMsPerHandshake: sample.handshakes > 0 ? sample.cpuMicros / 1000 / sample.handshakes : Number.NaN,
  };
}

export function handshakeTable(result: HandshakeResult): string {
  const measured = result.rows.filter((row) => row.best !== null);
  const median = (row: RowResult<HandshakeSample>) =>
    row.best ? handshakeFigures(row.best).medianMs : Number.NaN;
  const reference = measured.find((row) => row.isReference);
  const fastest = measured.reduce<RowResult<HandshakeSample> | undefined>(
    (best, row) => (best === undefined || median(row) < median(best) ? row : best),
    undefined,
  );
  const r = reference?.best ? handshakeFigures(reference.best) : undefined;
  const f = fastest?.best ? handshakeFigures(fastest.best) : undefined;
  const rows = result.rows.map((row) => {
    if (row.best === null) return [row.label, ...Array<string>(9).fill(""), errorNote(row)];
    const x = handshakeFigures(row.best);
    const rowNotes = [...cpuNotes(row.best.cpu, "caddy")];
    if (row.note !== null) rowNotes.push(row.note);
    if (row.error !== null) rowNotes.push(`a round failed: ${firstLine(row.error)}`);
    return [
      row.label,
      grouped.format(x.handshakesPerSecond),
      fixed(x.medianMs, 2),
      fixed(x.p90Ms, 2),
      ratio(x.medianMs, r?.medianMs),
      ratio(x.medianMs, f?.medianMs),
      fixed(x.cpuMsPerHandshake, 2),
      String(row.best.handshakes),
      percent(row.best.cpu.server),
      percent(row.best.cpu.other),
      rowNotes.join("; "),
    ];
  });
  const s = result.scenario;
  return [
    `### ${s.title}`,
    "",
    `Each handshake: a new socket, the handshake with the certificate checked against the run's CA, then a close ` +
      `before the next; ms from the call to the completed handshake. ${(s.warmupMs / 1000).toFixed(1)} s warm-up, ` +
      `then ${(s.measureMs / 1000).toFixed(1)} s measured; handshakes/s counts the whole loop, closes included. ` +
      `Ratios of the median against **${reference?.label ?? "—"}** (“vs ref”) and the fastest row, ` +
      `**${fastest?.label ?? "—"}**; above 1× is slower. No target: reported only.`,
    "",
    table(
      [
        "client",
        "handshakes/s",
        "median ms",
        "p90 ms",
        "median vs ref",
        "median vs fastest",
        "CPU ms/handshake",
        "handshakes",
        "server CPU",
        "others' CPU",
        "notes",
      ],
      rows,
    ),
  ].join("\n");
}

interface Target {
  readonly what: string;
  readonly measured: string;
  readonly goal: string;
  readonly met: boolean | null;
}

/** Issue 6's targets, for the nq rows, from the same numbers as the tables. */
export function targets(results: RunResults): Target[] {
  const out: Target[] = [];
  const rateTarget = (scenarioId: string, goal: number, unit: "req/s" | "MB/s") => {
    const result = results.throughput.find((candidate) => candidate.scenario.id === scenarioId);
    if (!result) return;
    const reference = result.rows.find((row) => row.isReference);
    // Without the undici row (filtered out by --only) there is nothing to hold nq against.
    if (!reference) return;
    const undici = reference.best;
    for (const clientId of ["nq", "nq-hooks-cookies"]) {
      const row = result.rows.find((candidate) => candidate.clientId === clientId);
      if (!row) continue;
      const value =
        row.best && undici ? row.best.bytes / row.best.seconds / (undici.bytes / undici.seconds) : null;
      out.push({
        what: `${result.scenario.title}: ${row.label} ${unit} vs ${reference.label}`,
        measured: value === null ? "not measured" : `${value.toFixed(2)}×`,
        goal: `≥ ${goal.toFixed(2)}×`,
        met: value === null ? null : value >= goal,
      });
    }
  };
  rateTarget("small-c64", 1, "req/s");
  rateTarget("small-c1", 1, "req/s");
  rateTarget("large-c8", 0.95, "MB/s");
  rateTarget("echo-c16", 1, "req/s");
  for (const row of results.stream?.rows ?? []) {
    if (row.clientId !== "nq" && row.clientId !== "nq-hooks-cookies") continue;
    const growth = row.best ? streamFigures(row.best).rssGrowthMiB : null;
    out.push({
      what: `${results.stream?.scenario.title}: ${row.label} peak RSS growth`,
      measured: growth === null ? "not measured" : `${growth.toFixed(1)} MiB`,
      goal: "< 64 MiB",
      met: growth === null ? null : growth < 64,
    });
  }
  return out;
}

function targetsTable(results: RunResults): string {
  if (targets(results).length === 0) return "";
  const rows = targets(results).map((target) => [
    target.what,
    target.measured,
    target.goal,
    target.met === null ? "—" : target.met ? "met" : "**missed**",
  ]);
  return ["### Targets of issue 6", "", table(["target", "measured", "goal", ""], rows)].join("\n");
}

function coldImportTable(results: RunResults): string {
  const rows = results.coldImports.map((entry) => [
    `\`import("${entry.module}")\``,
    fixed(entry.medianMs, 1),
    entry.runsMs.map((ms) => ms.toFixed(0)).join(", "),
  ]);
  return [
    "### Cold import",
    "",
    "Each in a fresh `node` process; the median of the runs, interleaved across modules.",
    "",
    table(["module", "median ms", "runs (ms)"], rows),
  ].join("\n");
}

function bundleTable(results: RunResults): string {
  const bundle = results.bundle;
  if (!bundle) return "";
  const kib = (bytes: number) => (bytes / 1024).toFixed(1);
  const rows = bundle.byPackage.map((entry) => [entry.name, kib(entry.bytes)]);
  return [
    "### Bundle size: models + session + transport-h1",
    "",
    `esbuild, \`platform: "node"\`, minified, tree-shaken, Node builtins external, of an entry exporting ` +
      `\`Session\` and \`HTTP1Transport\`: **${kib(bundle.bytes)} KiB** (${kib(bundle.gzipBytes)} KiB gzipped).`,
    "",
    table(["package", "minified KiB in the bundle"], rows),
  ].join("\n");
}

export function renderReport(results: RunResults): string {
  const { machine, settings, server } = results;
  const header = [
    `## nq bench — ${results.startedAt}${settings.quick ? " (--quick)" : ""}`,
    "",
    `Node ${machine.node} on ${machine.cpus} × ${machine.cpuModel}, load average ${machine.loadAverage
      .map((value) => value.toFixed(2))
      .join(
        " ",
      )} at start. Server: ${server.name} ${server.version}, ${server.threads} worker thread, loopback. ` +
      `Each row: a fresh Node process, ${settings.warmupMs} ms warm-up, then ${settings.measureMs} ms measured; ` +
      `best of ${settings.rounds} round(s). Run took ${results.durationSeconds.toFixed(0)} s.`,
    "",
    "req/s and MB/s move together within a scenario (each response has the same size), so their " +
      "ratios are the same. CPU is the client's `process.cpuUsage()`; server CPU and others' CPU are " +
      "in cores (100% = one core busy) over the same window, from /proc.",
  ].join("\n");
  const sections = [
    header,
    ...results.throughput.map(throughputTable),
    results.stream ? streamTable(results.stream) : "",
    quicSection(results),
    targetsTable(results),
    results.coldImports.length > 0 ? coldImportTable(results) : "",
    bundleTable(results),
  ];
  return `${sections.filter((section) => section !== "").join("\n\n")}\n`;
}

function quicSection(results: RunResults): string {
  const quic = results.quic;
  if (quic === null) return "";
  const intro = [
    "### QUIC and HTTP/3 (issue 5)",
    "",
    `Server: ${quic.server.name} ${quic.server.version} (quic-go for HTTP/3, Go's net/http for HTTP/2 and ` +
      "HTTP/1.1) as a file server on one loopback port, TCP and UDP, with this run's certificate. Each row a " +
      "fresh Node process, as above.",
  ].join("\n");
  return [intro, ...quic.downloads.map(downloadTable), quic.handshake ? handshakeTable(quic.handshake) : ""]
    .filter((section) => section !== "")
    .join("\n\n");
}

/** Rows whose error fails the run: every failed row except those marked `mayFail`. */
export function failures(results: RunResults): string[] {
  const out: string[] = [];
  const check = <T>(title: string, rows: readonly RowResult<T>[]) => {
    for (const row of rows) {
      if (row.error !== null && row.mayFail === null)
        out.push(`${title} · ${row.label}: ${firstLine(row.error)}`);
    }
  };
  for (const result of results.throughput) check(result.scenario.title, result.rows);
  if (results.stream) check(results.stream.scenario.title, results.stream.rows);
  for (const result of results.quic?.downloads ?? []) check(result.scenario.title, result.rows);
  if (results.quic?.handshake) check(results.quic.handshake.scenario.title, results.quic.handshake.rows);
  return out;
}
