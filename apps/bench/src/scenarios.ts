/** What the bench measures: the scenarios of issue 6, and the files h2o serves for them. */

export type Protocol = "h1" | "h2";

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

export type Scenario = ThroughputScenario | StreamScenario;

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
