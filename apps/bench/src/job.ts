import type {
  DownloadScenario,
  HandshakeScenario,
  Protocol,
  StreamScenario,
  ThroughputScenario,
} from "./scenarios.js";

/** What the orchestrator sends a row worker (over IPC, as JSON), and what comes back. */

interface JobBase {
  readonly clientId: string;
  readonly protocol: Protocol;
  readonly origin: string;
  readonly caPem: string;
  /** h2o's pid, so the worker reads the server's CPU at the exact edges of its own window. */
  readonly serverPid: number;
  /** Kernel clock ticks per second (`getconf CLK_TCK`), the unit of /proc CPU counters. */
  readonly clockTicks: number;
  /** Makes the worker fail on purpose, to check that the run then exits non-zero. */
  readonly injectFailure: boolean;
}

export interface ThroughputJob extends JobBase {
  readonly kind: "throughput";
  readonly scenario: ThroughputScenario;
  readonly warmupMs: number;
  readonly measureMs: number;
}

export interface StreamJob extends JobBase {
  readonly kind: "stream";
  readonly scenario: StreamScenario;
  /** A small file streamed once first, so module loading and the first connection are not in the peak. */
  readonly warmupPath: string;
}

/** Where the QUIC rows find caddy, and what they must receive from it. */
export interface CaddyTarget {
  /** `https://127.0.0.1:<port>`: HTTP/1.1 and HTTP/2 over TCP, HTTP/3 over UDP, one port number. */
  readonly origin: string;
  readonly port: number;
  /** The name the certificate is for, sent as SNI and checked. */
  readonly serverName: string;
  readonly caPem: string;
}

interface QuicJobBase {
  readonly clientId: string;
  readonly caddy: CaddyTarget;
  /** caddy's pid, for its CPU at the edges of the window. */
  readonly serverPid: number;
  readonly clockTicks: number;
  readonly injectFailure: boolean;
}

export interface DownloadJob extends QuicJobBase {
  readonly kind: "download";
  readonly scenario: DownloadScenario;
  /** SHA-256 of the file, checked once, on the warm-up download. */
  readonly sha256: string;
}

export interface HandshakeJob extends QuicJobBase {
  readonly kind: "handshake";
  readonly scenario: HandshakeScenario;
}

export type Job = ThroughputJob | StreamJob | DownloadJob | HandshakeJob;

/** CPU shares over the measured window, in cores (1 = one core busy the whole time). */
export interface CpuShares {
  readonly client: number;
  readonly server: number;
  /** Busy CPU on the machine that was neither client nor server: other tenants of a shared box. */
  readonly other: number;
}

export interface ThroughputSample {
  readonly requests: number;
  readonly bytes: number;
  readonly seconds: number;
  /** `process.cpuUsage()` user + system over the window, microseconds. */
  readonly cpuMicros: number;
  /** Highest RSS during the window (VmHWM after a reset at its start), bytes. */
  readonly peakRssBytes: number;
  /** Sockets open at the end of the window beyond those open before the first request. */
  readonly connections: number;
  readonly cpu: CpuShares;
  /** Protocol versions the client reported; empty when it does not say. */
  readonly httpVersions: readonly string[];
}

export interface StreamSample {
  readonly bytes: number;
  readonly seconds: number;
  readonly cpuMicros: number;
  /** RSS after warm-up and a full GC, just before the download, bytes. */
  readonly baselineRssBytes: number;
  readonly peakRssBytes: number;
  readonly cpu: CpuShares;
}

export interface DownloadSample {
  readonly downloads: number;
  readonly bytes: number;
  readonly seconds: number;
  /**
   * The client's CPU over the window, microseconds: the row process's `process.cpuUsage()`, or for
   * a client in a child process the child's user + system time. Null when it could not be read.
   */
  readonly cpuMicros: number | null;
  /** Highest RSS of the row process during the window, bytes; null for a client in a child process. */
  readonly peakRssBytes: number | null;
  readonly cpu: CpuShares;
  readonly httpVersions: readonly string[];
}

export interface HandshakeSample {
  readonly handshakes: number;
  /** The measured window, closes included. */
  readonly seconds: number;
  /** Milliseconds from the call to the handshake's completion, sorted. */
  readonly handshakeMs: readonly number[];
  readonly cpuMicros: number;
  readonly cpu: CpuShares;
}

/** Whatever a row worker measures. */
export type Sample = ThroughputSample | StreamSample | DownloadSample | HandshakeSample;

export type WorkerReply<T> =
  | { readonly ok: true; readonly sample: T }
  | { readonly ok: false; readonly error: string };
