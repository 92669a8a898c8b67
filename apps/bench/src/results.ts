import type { BundleSize } from "./bundle-size.js";
import type { ColdImport } from "./cold-import.js";
import type { DownloadSample, HandshakeSample, StreamSample, ThroughputSample } from "./job.js";
import type {
  DownloadScenario,
  HandshakeScenario,
  Protocol,
  StreamScenario,
  ThroughputScenario,
} from "./scenarios.js";

/** The raw numbers of one run, as written to results/latest.json. */

/** How long the bench waited for a quiet machine before a round, and how busy it still was. */
export interface QuietWait {
  readonly waitedMs: number;
  /** Cores busy (all processes) in the last 300 ms before the round started. */
  readonly busyCores: number;
}

export type Round<T> = T & { readonly quietWait: QuietWait };

export interface RowResult<T> {
  readonly clientId: string;
  readonly label: string;
  readonly protocol: Protocol;
  /** The row ratios are taken against: undici for HTTP/1.1 and HTTP/2, gtlsclient and node:tls for QUIC. */
  readonly isReference: boolean;
  readonly mayFail: string | null;
  /** A caveat the table prints with the row, e.g. that gtlsclient verifies no certificate. */
  readonly note: string | null;
  /** Every successful round, in run order. */
  readonly rounds: readonly Round<T>[];
  /** The round the tables show (see `pickBest`), or null when every round failed. */
  readonly best: Round<T> | null;
  /** The first error, when a round failed. */
  readonly error: string | null;
}

export interface ThroughputResult {
  readonly scenario: ThroughputScenario;
  readonly rows: readonly RowResult<ThroughputSample>[];
}

export interface StreamResult {
  readonly scenario: StreamScenario;
  readonly rows: readonly RowResult<StreamSample>[];
}

export interface DownloadResult {
  readonly scenario: DownloadScenario;
  readonly rows: readonly RowResult<DownloadSample>[];
}

export interface HandshakeResult {
  readonly scenario: HandshakeScenario;
  readonly rows: readonly RowResult<HandshakeSample>[];
}

/** The QUIC rows of issue 5, all against one caddy. */
export interface QuicResults {
  readonly server: { readonly name: string; readonly version: string };
  readonly downloads: readonly DownloadResult[];
  readonly handshake: HandshakeResult | null;
}

export interface RunSettings {
  readonly quick: boolean;
  readonly warmupMs: number;
  readonly measureMs: number;
  readonly rounds: number;
  readonly streamBytes: number;
  readonly importRuns: number;
  /** The measured window of each QUIC download row (10 MiB) and handshake row, after a warm-up. */
  readonly quicDownloadMs: number;
  readonly quicHandshakeWarmupMs: number;
  readonly quicHandshakeMs: number;
  /** Longest wait for a quiet machine before one round. */
  readonly quietWaitMs: number;
  /** Longest total of those waits over the run, so the run stays within its time budget. */
  readonly quietBudgetMs: number;
}

export interface Machine {
  readonly node: string;
  readonly cpuModel: string;
  readonly cpus: number;
  readonly loadAverage: readonly number[];
  readonly memoryBytes: number;
}

export interface RunResults {
  readonly startedAt: string;
  readonly durationSeconds: number;
  readonly settings: RunSettings;
  readonly machine: Machine;
  readonly server: { readonly name: string; readonly version: string; readonly threads: number };
  readonly throughput: readonly ThroughputResult[];
  readonly stream: StreamResult | null;
  /** Null when no QUIC row was selected. */
  readonly quic: QuicResults | null;
  readonly coldImports: readonly ColdImport[];
  readonly bundle: BundleSize | null;
}

/**
 * The round a row is shown by: the fastest. Noise on a shared machine (other tenants, CPU
 * frequency, a GC at a bad moment) only ever slows a round down, so the best round is the
 * closest to what the client itself costs; every round stays in the JSON.
 */
export function pickBest<T extends ThroughputSample | StreamSample | DownloadSample | HandshakeSample>(
  rounds: readonly T[],
): T | null {
  let best: T | null = null;
  for (const round of rounds) {
    if (best === null || rate(round) > rate(best)) best = round;
  }
  return best;
}

/** What "faster" means for a round: bytes per second, or handshakes per second. */
function rate(sample: ThroughputSample | StreamSample | DownloadSample | HandshakeSample): number {
  return ("handshakes" in sample ? sample.handshakes : sample.bytes) / sample.seconds;
}
