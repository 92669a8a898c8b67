import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { tail } from "./gtlsclient.js";
import type { PkiFiles } from "./pki.js";
import {
  freeTcpAndUdpPort,
  INSTALL_HINT,
  type RunningServer,
  type ServerProcess,
  spawnServer,
  waitForUdpPort,
} from "./process.js";

/** ngtcp2's reference server (ngtcp2-server): ngtcp2 0.12, nghttp3 0.8 and GnuTLS. */
export const GTLSSERVER = "/usr/sbin/gtlsserver";

/**
 * The gtlsserver set-ups the QUIC tests need, each its own process and port:
 * - `plain`: the defaults;
 * - `retry`: `-V`, a Retry before every handshake (address validation). Not `-q`: the debug log's
 *   `Sending Retry packet` and `Verifying Retry token` lines are what the test checks;
 * - `lossy`: `-t 0.05 -r 0.05`, 5% of the datagrams it sends and of those it receives dropped.
 */
export type GtlsFlavour = "plain" | "retry" | "lossy";

const FLAVOUR_ARGS: Record<GtlsFlavour, readonly string[]> = {
  plain: ["-q"],
  retry: ["-V", "--no-quic-dump", "--no-http-dump"],
  lossy: ["-q", "-t", "0.05", "-r", "0.05"],
};

/** A running gtlsserver: its base URL, port and where its output and qlogs go. */
export interface RunningGtlsServer extends RunningServer {
  readonly flavour: GtlsFlavour;
  readonly port: number;
  /** Its stdout and stderr (all but empty with `-q`). */
  readonly logFile: string;
  /** One qlog per connection, named after the server's Source Connection ID. */
  readonly qlogDir: string;
  /** Its output so far, for failure messages in this process. */
  log(): string;
}

/** Options of {@link startGtlsServer}. */
export interface GtlsServerOptions {
  readonly flavour: GtlsFlavour;
  readonly pki: PkiFiles;
  /** The document root it serves (`-d`). */
  readonly htdocs: string;
  /** A scratch folder of this run; the server's log and qlogs go to `<dir>/gtlsserver-<flavour>`. */
  readonly dir: string;
  /**
   * Resolves once the server answers on `port`, e.g. a gtlsclient GET; it is given the UDP
   * port. Called after the UDP socket is bound.
   */
  readonly ready: (port: number, server: ServerProcess) => Promise<void>;
  readonly startTimeout?: number;
}

/** Throws, saying what to install, when gtlsserver is missing. */
export function assertGtlsserverInstalled(): void {
  if (!existsSync(GTLSSERVER))
    throw new Error(`The interop suite needs gtlsserver (ngtcp2-server) at ${GTLSSERVER}: ${INSTALL_HINT}`);
}

/**
 * Starts `gtlsserver [flavour options] -d htdocs --qlog-dir … 127.0.0.1 <port> key chain` on a
 * port free for TCP and UDP, waits for its UDP socket in /proc/net/udp and then for
 * `options.ready`. gtlsserver says `Could not bind` and exits when the port was taken in the
 * meantime; another port is tried then.
 */
export async function startGtlsServer(options: GtlsServerOptions): Promise<RunningGtlsServer> {
  assertGtlsserverInstalled();
  const { flavour, pki } = options;
  const dir = join(options.dir, `gtlsserver-${flavour}`);
  const qlogDir = join(dir, "qlog");
  mkdirSync(qlogDir, { recursive: true });
  const logFile = join(dir, "gtlsserver.log");
  const timeout = options.startTimeout ?? 15_000;
  const failures: string[] = [];
  for (let attempt = 1; attempt <= 5; attempt++) {
    const port = await freeTcpAndUdpPort();
    const args = [
      ...FLAVOUR_ARGS[flavour],
      "-d",
      options.htdocs,
      `--qlog-dir=${qlogDir}`,
      "127.0.0.1",
      String(port),
      pki.key,
      pki.chain,
    ];
    const server = spawnServer(GTLSSERVER, args, { cwd: dir, logFile });
    try {
      await waitForUdpPort(server, port, timeout);
      await options.ready(port, server);
      return {
        url: `https://127.0.0.1:${port}`,
        flavour,
        port,
        logFile,
        qlogDir,
        log: () => server.log(),
        stop: () => server.stop(),
      };
    } catch (error) {
      await server.stop();
      failures.push(
        `attempt ${attempt} on port ${port}: ${(error as Error).message}\n` +
          `$ ${GTLSSERVER} ${args.join(" ")}\n${tail(server.log())}`,
      );
      if (!/Could not bind/.test(server.log())) break;
    }
  }
  throw new Error(`gtlsserver (${flavour}) did not start:\n${failures.join("\n")}`);
}

/** The Retry lines gtlsserver `-V` has logged so far: one `Sending Retry packet to [addr]:port` each. */
export function retriesSent(logFile: string): string[] {
  try {
    return readFileSync(logFile, "utf8").match(/^Sending Retry packet to .*$/gm) ?? [];
  } catch {
    return [];
  }
}
