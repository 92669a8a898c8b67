import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { PkiFiles } from "./pki.js";
import {
  freeTcpAndUdpPort,
  INSTALL_HINT,
  type RunningServer,
  type ServerProcess,
  spawnServer,
  waitUntilAnswering,
} from "./process.js";

/** Debian's caddy (Go net/http for h1 and h2, quic-go for h3). */
export const CADDY = "/usr/bin/caddy";

/** A running caddy: its HTTPS base URL and its JSON access log (one line per request). */
export interface RunningCaddy extends RunningServer {
  readonly accessLog: string;
}

/** Options of {@link startCaddy}. */
export interface CaddyOptions {
  /** The HTTP/1.1 server caddy proxies to, e.g. `http://127.0.0.1:34849` (gunicorn's httpbin). */
  readonly upstream: string;
  readonly pki: PkiFiles;
  /** A scratch folder of this run: the Caddyfile, caddy's storage and HOME, its logs. */
  readonly dir: string;
  readonly startTimeout?: number;
}

/**
 * The Caddyfile of every caddy here: HTTPS only on one loopback port (TCP for h1/h2, UDP for h3),
 * the certificate made for this run, the site's own `directives`, and the two logs
 * {@link runCaddy} reads when caddy fails: `<dir>/caddy.log` and the JSON `<dir>/access.log`.
 */
function caddyfile(port: number, dir: string, pki: PkiFiles, directives: readonly string[]): string {
  return `{
	admin off
	auto_https disable_redirects
	skip_install_trust
	storage file_system ${join(dir, "data")}
	https_port ${port}
	servers {
		protocols h1 h2 h3
	}
	log {
		output file ${join(dir, "caddy.log")}
		level INFO
	}
}

https://127.0.0.1:${port}, https://localhost:${port} {
	bind 127.0.0.1
	tls ${pki.chain} ${pki.key}
${directives.map((line) => `\t${line}\n`).join("")}	log {
		output file ${join(dir, "access.log")}
		format json
	}
}
`;
}

/** Throws, saying what to install, when caddy is missing. */
export function assertCaddyInstalled(): void {
  if (!existsSync(CADDY)) throw new Error(`The interop suite needs caddy at ${CADDY}: ${INSTALL_HINT}`);
}

/**
 * Starts caddy as an HTTPS reverse proxy in front of `upstream` and resolves once it answers
 * `/get` over TLS with the run's CA. The port is picked free for TCP and UDP just before the
 * start; when another process takes it first, caddy fails to bind and a new port is tried.
 */
export async function startCaddy(options: CaddyOptions): Promise<RunningCaddy> {
  const ca = readFileSync(options.pki.ca, "utf8");
  return runCaddy({
    dir: options.dir,
    pki: options.pki,
    // Caddy's defaults keep the client's Host header upstream, so httpbin's echo names the host
    // and port the client asked for, and add X-Forwarded-For/-Proto/-Host; gunicorn trusts
    // X-Forwarded-Proto from 127.0.0.1 (forwarded_allow_ips), so httpbin builds `https://` URLs.
    directives: [`reverse_proxy ${new URL(options.upstream).host}`],
    ready: (url, server) => waitUntilAnswering(`${url}/get`, options.startTimeout ?? 15_000, { ca, server }),
  });
}

/** How {@link runCaddy} configures one caddy and knows it is ready. */
export interface CaddyRun {
  /** A scratch folder of this run: the Caddyfile, caddy's storage and HOME, its logs. */
  readonly dir: string;
  /** The certificate (and CA) made for this run. */
  readonly pki: PkiFiles;
  /** What the site does, one Caddyfile directive a line (`file_server`, `reverse_proxy …`). */
  readonly directives: readonly string[];
  /** Resolves once the caddy at `url` (`https://127.0.0.1:<port>`) serves what its tests need. */
  readonly ready: (url: string, server: ServerProcess, port: number) => Promise<void>;
}

/**
 * Runs one caddy serving `run.directives` on a port free for TCP and UDP, and
 * resolves once `run.ready` does. When another process takes the port first, caddy fails to
 * bind and a new port is tried; any other failure throws with caddy's log.
 */
export async function runCaddy(run: CaddyRun): Promise<RunningCaddy> {
  assertCaddyInstalled();
  const { dir } = run;
  const home = join(dir, "home");
  mkdirSync(home, { recursive: true });
  // Caddy must not touch the real HOME or the system trust store (skip_install_trust above).
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    XDG_DATA_HOME: join(home, "data"),
    XDG_CONFIG_HOME: join(home, "config"),
  };
  const failures: string[] = [];
  for (let attempt = 1; attempt <= 5; attempt++) {
    const port = await freeTcpAndUdpPort();
    const config = join(dir, "Caddyfile");
    writeFileSync(config, caddyfile(port, dir, run.pki, run.directives));
    const server = spawnServer(CADDY, ["run", "--config", config, "--adapter", "caddyfile"], {
      env,
      cwd: dir,
    });
    const url = `https://127.0.0.1:${port}`;
    try {
      await run.ready(url, server, port);
      return { url, accessLog: join(dir, "access.log"), stop: () => server.stop() };
    } catch (error) {
      await server.stop();
      const log = readLog(join(dir, "caddy.log")) + server.log();
      failures.push(`attempt ${attempt} on port ${port}: ${(error as Error).message}\n${log}`);
      if (!/address already in use/.test(log)) break;
    }
  }
  throw new Error(`caddy did not start:\n${failures.join("\n")}`);
}

/** A log file's text, or nothing when it was never written. */
function readLog(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}
