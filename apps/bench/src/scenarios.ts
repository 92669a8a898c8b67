/** What the bench measures: the scenarios of issue 6 and issue 5, and the files the servers serve for them. */

export type Protocol = "h1" | "h2" | "h3";

/** A fixed-time load: `inFlight` requests always outstanding, each answered in full. */
export interface ThroughputScenario {
  readonly kind: "throughput";
  readonly id: string;
  readonly title: string;
  readonly protocol: Protocol;
  readonly method: "GET" | "POST";
  /** Path on the server, e.g. `/small.bin` or `/echo`. */
  readonly path: string;
  readonly requestBytes: number;
  readonly responseBytes: number;
  readonly inFlight: number;
}

/** One large download read in chunks, in a fresh process per client so its RSS growth is its own. */
export interface StreamScenario {
  readonly kind: "stream";
  readonly id: string;
  readonly title: string;
  readonly path: string;
  readonly responseBytes: number;
}

/**
 * Downloads of one large file from caddy, one after another over one connection (a new one per
 * download for gtlsclient, a process of its own), each read in full as it arrives.
 */
export interface DownloadScenario {
  readonly kind: "download";
  readonly id: string;
  readonly title: string;
  /** The file under caddy's document root. */
  readonly fileName: string;
  readonly bytes: number;
  /** Measure for at least this long, and at least one download. */
  readonly measureMs: number;
}

/** QUIC handshakes to caddy, one at a time for a fixed time: connect, complete the handshake, close. */
export interface HandshakeScenario {
  readonly kind: "handshake";
  readonly id: string;
  readonly title: string;
  readonly warmupMs: number;
  readonly measureMs: number;
}

export type Scenario = ThroughputScenario | StreamScenario | DownloadScenario | HandshakeScenario;

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;

/** The static files the server holds; the stream file is sparse, so it costs no disk. */
export const SMALL_BODY_BYTES = 100;
export const LARGE_BODY_BYTES = MiB;
export const ECHO_BODY_BYTES = KiB;

export function throughputScenarios(): readonly ThroughputScenario[] {
  const small = {
    method: "GET",
    path: "/small.bin",
    requestBytes: 0,
    responseBytes: SMALL_BODY_BYTES,
  } as const;
  return [
    {
      kind: "throughput",
      id: "small-c1",
      title: "small GET (100 B), 1 in flight",
      protocol: "h1",
      ...small,
      inFlight: 1,
    },
    {
      kind: "throughput",
      id: "small-c64",
      title: "small GET (100 B), 64 in flight",
      protocol: "h1",
      ...small,
      inFlight: 64,
    },
    {
      kind: "throughput",
      id: "large-c8",
      title: "1 MiB GET, 8 in flight",
      protocol: "h1",
      method: "GET",
      path: "/large.bin",
      requestBytes: 0,
      responseBytes: LARGE_BODY_BYTES,
      inFlight: 8,
    },
    {
      kind: "throughput",
      id: "echo-c16",
      title: "1 KiB POST echo, 16 in flight",
      protocol: "h1",
      method: "POST",
      path: "/echo",
      requestBytes: ECHO_BODY_BYTES,
      responseBytes: ECHO_BODY_BYTES,
      inFlight: 16,
    },
    {
      kind: "throughput",
      id: "h2-small-c64",
      title: "small GET (100 B) over HTTP/2 + TLS, 64 in flight",
      protocol: "h2",
      ...small,
      inFlight: 64,
    },
  ];
}

/** The streamed download; `--quick` shrinks it so eight fresh processes fit the two-minute budget. */
export function streamScenario(bytes: number): StreamScenario {
  const size = bytes >= GiB ? `${bytes / GiB} GiB` : `${bytes / MiB} MiB`;
  return {
    kind: "stream",
    id: "stream",
    title: `streamed ${size} download`,
    path: "/stream.bin",
    responseBytes: bytes,
  };
}

/** The size of the file every QUIC run downloads; the full run adds {@link H3_FULL_RUN_BYTES}. */
export const H3_DOWNLOAD_BYTES = 10 * MiB;
/** The full run's larger download: long enough that connection start-up and ramp-up fade out. */
export const H3_FULL_RUN_BYTES = 100 * MiB;

/** The downloads from caddy: 10 MiB, and in the full run 100 MiB as well (one measured download). */
export function downloadScenarios(quick: boolean, measureMs: number): readonly DownloadScenario[] {
  const ten: DownloadScenario = {
    kind: "download",
    id: "h3-download",
    title: "10 MiB download from caddy",
    fileName: "10m.bin",
    bytes: H3_DOWNLOAD_BYTES,
    measureMs,
  };
  if (quick) return [ten];
  return [
    ten,
    {
      kind: "download",
      id: "h3-download-100m",
      title: "100 MiB download from caddy",
      fileName: "100m.bin",
      bytes: H3_FULL_RUN_BYTES,
      measureMs: 0,
    },
  ];
}

/** Connect, handshake, close, again and again for `measureMs` after `warmupMs`. */
export function handshakeScenario(warmupMs: number, measureMs: number): HandshakeScenario {
  return {
    kind: "handshake",
    id: "h3-handshake",
    title: "QUIC handshakes to caddy, one at a time",
    warmupMs,
    measureMs,
  };
}
