import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { startCaddyH3 } from "./caddy-h3.js";
import { assertGtlsclientInstalled, selfCheckWithGtlsclient } from "./gtlsclient.js";
import { assertGtlsserverInstalled, type GtlsFlavour, startGtlsServer } from "./gtlsserver.js";
import type { PkiFiles } from "./pki.js";
import type { RunningServer } from "./process.js";
import { type TestFile, writeTestFiles } from "./test-files.js";

/** One HTTP/3 server as the QUIC tests see it: where it listens and where it logs. */
export interface QuicServerInfo {
  /** What the tests call it: `caddy`, `gtlsserver`, `gtlsserver -V`, `gtlsserver -t/-r`. */
  readonly name: string;
  /** Its UDP port on 127.0.0.1. */
  readonly port: number;
  /** Its own log: caddy's JSON log, or gtlsserver's stdout and stderr. */
  readonly log: string;
  /** Caddy's JSON access log (one line per request, with `proto`); caddy only. */
  readonly accessLog?: string;
  /** gtlsserver's `--qlog-dir`: one qlog per connection. */
  readonly qlogDir?: string;
}

/** The four HTTP/3 servers of a run. */
export interface QuicServers {
  /** Caddy 2.6 (quic-go 0.29) as a file server. */
  readonly caddy: QuicServerInfo;
  /** gtlsserver (ngtcp2 0.12, nghttp3 0.8, GnuTLS) with its defaults. */
  readonly gtls: QuicServerInfo;
  /** gtlsserver `-V`: every handshake goes through a Retry. */
  readonly gtlsRetry: QuicServerInfo;
  /** gtlsserver `-t 0.05 -r 0.05`: 5% loss in each direction, drawn by the server. */
  readonly gtlsLossy: QuicServerInfo;
}

/** What {@link startQuicServers} started, and how to stop it. */
export interface RunningQuicServers {
  readonly servers: QuicServers;
  /** The files under the shared document root. */
  readonly files: readonly TestFile[];
  stop(): Promise<void>;
}

/** Throws, saying what to install, when gtlsserver or gtlsclient is missing (caddy is checked on its own). */
export function assertQuicServersInstalled(): void {
  const missing = [assertGtlsserverInstalled, assertGtlsclientInstalled].flatMap((check) => {
    try {
      check();
      return [];
    } catch (error) {
      return [(error as Error).message];
    }
  });
  if (missing.length > 0) throw new Error(missing.join("\n"));
}

const GTLS_NAMES: Record<GtlsFlavour, string> = {
  plain: "gtlsserver",
  retry: "gtlsserver -V",
  lossy: "gtlsserver -t/-r",
};

/**
 * Writes the test files to `<dir>/www` and starts, all at once, caddy and the three gtlsserver
 * flavours on that document root with the run's certificate. Each counts as started only once
 * gtlsclient fetched `small.txt` from it byte for byte, so a broken harness fails here, with
 * the server's log, and never as a bug of nq's client. If any fails, the others are stopped.
 */
export async function startQuicServers(options: { pki: PkiFiles; dir: string }): Promise<RunningQuicServers> {
  assertQuicServersInstalled();
  const { pki, dir } = options;
  const htdocs = join(dir, "www");
  const files = writeTestFiles(htdocs);
  const small = files.find((f) => f.name === "small.txt")!;
  const selfCheckDir = join(dir, "self-check");
  mkdirSync(selfCheckDir, { recursive: true });
  const ready = (port: number): Promise<void> =>
    selfCheckWithGtlsclient({ port, file: small, dir: selfCheckDir });
  const caddyDir = join(dir, "caddy-h3");
  mkdirSync(caddyDir, { recursive: true });

  const flavours: GtlsFlavour[] = ["plain", "retry", "lossy"];
  const [caddy, ...gtls] = await Promise.allSettled([
    startCaddyH3({ pki, htdocs, dir: caddyDir, ready }).then((running) => ({
      running: running as RunningServer,
      info: {
        name: "caddy",
        port: Number(new URL(running.url).port),
        log: join(caddyDir, "caddy.log"),
        accessLog: running.accessLog,
      } satisfies QuicServerInfo,
    })),
    ...flavours.map((flavour) =>
      startGtlsServer({ flavour, pki, htdocs, dir, ready }).then((running) => ({
        running: running as RunningServer,
        info: {
          name: GTLS_NAMES[flavour],
          port: running.port,
          log: running.logFile,
          qlogDir: running.qlogDir,
        } satisfies QuicServerInfo,
      })),
    ),
  ]);
  const results = [caddy!, ...gtls];
  const started = results.flatMap((r) => (r.status === "fulfilled" ? [r.value.running] : []));
  const stop = async (): Promise<void> => {
    await Promise.allSettled(started.map((server) => server.stop()));
  };
  const failed = results.flatMap((r) => (r.status === "rejected" ? [(r.reason as Error).message] : []));
  if (failed.length > 0) {
    await stop();
    throw new Error(`QUIC servers did not start:\n${failed.join("\n\n")}`);
  }
  const info = results.map((r) => (r as PromiseFulfilledResult<{ info: QuicServerInfo }>).value.info);
  return {
    servers: { caddy: info[0]!, gtls: info[1]!, gtlsRetry: info[2]!, gtlsLossy: info[3]! },
    files,
    stop,
  };
}
