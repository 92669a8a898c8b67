import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type RunningCaddy, runCaddy } from "./caddy.js";
import type { PkiFiles } from "./pki.js";
import { waitForUdpPort, waitUntilAnswering } from "./process.js";

/** Options of {@link startCaddyH3}. */
export interface CaddyH3Options {
  readonly pki: PkiFiles;
  /** The document root it serves. */
  readonly htdocs: string;
  /** A scratch folder of this run for this caddy alone: its Caddyfile, storage, HOME and logs. */
  readonly dir: string;
  /** Resolves once an HTTP/3 client got a file from `port` (UDP), e.g. the gtlsclient self-check. */
  readonly ready: (port: number) => Promise<void>;
  readonly startTimeout?: number;
}

/**
 * The Caddyfile of the HTTP/3 file server: the one in the reference notes
 * (h3-interop/Caddyfile.ci) with this run's port, certificate, document root and logs. It is a
 * caddy of its own rather than a site in the reverse proxy's Caddyfile, so the h2 suites and the
 * QUIC tests cannot disturb each other.
 */
function caddyfile(port: number, options: CaddyH3Options): string {
  const { dir, pki } = options;
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
	header X-Served-By caddy
	root * ${options.htdocs}
	file_server
	log {
		output file ${join(dir, "access.log")}
		format json
	}
}
`;
}

/**
 * Starts caddy (quic-go for HTTP/3) as a file server over HTTPS on one loopback port, TCP and
 * UDP, and resolves once it serves `small.txt` over TLS with the run's CA, its UDP socket is
 * bound, and `options.ready` succeeded.
 */
export function startCaddyH3(options: CaddyH3Options): Promise<RunningCaddy> {
  const ca = readFileSync(options.pki.ca, "utf8");
  const timeout = options.startTimeout ?? 15_000;
  return runCaddy({
    dir: options.dir,
    caddyfile: (port) => caddyfile(port, options),
    ready: async (url, server, port) => {
      await waitUntilAnswering(`${url}/small.txt`, timeout, { ca, server });
      await waitForUdpPort(server, port, timeout);
      await options.ready(port);
    },
  });
}
