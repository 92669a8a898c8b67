import { readFileSync } from "node:fs";
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
 * Starts caddy (quic-go for HTTP/3) as a file server over HTTPS on one loopback port, TCP and
 * UDP, and resolves once it serves `small.txt` over TLS with the run's CA, its UDP socket is
 * bound, and `options.ready` succeeded.
 */
export function startCaddyH3(options: CaddyH3Options): Promise<RunningCaddy> {
  const ca = readFileSync(options.pki.ca, "utf8");
  const timeout = options.startTimeout ?? 15_000;
  return runCaddy({
    dir: options.dir,
    pki: options.pki,
    // A caddy of its own rather than a site in the reverse proxy's, so the h2 suites and the QUIC
    // tests cannot disturb each other; the site of the reference notes (h3-interop/Caddyfile.ci).
    directives: ["header X-Served-By caddy", `root * ${options.htdocs}`, "file_server"],
    ready: async (url, server, port) => {
      await waitUntilAnswering(`${url}/small.txt`, timeout, { ca, server });
      await waitForUdpPort(server, port, timeout);
      await options.ready(port);
    },
  });
}
