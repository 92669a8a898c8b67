import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { assertCaddyInstalled, type RunningCaddy, startCaddy } from "./servers/caddy.js";
import { assertHttpbinInstalled, startHttpbin } from "./servers/httpbin.js";
import { assertHypercornInstalled, type RunningHypercorn, startHypercorn } from "./servers/hypercorn.js";
import { writeTestPki } from "./servers/pki.js";
import type { RunningServer } from "./servers/process.js";
import {
  assertQuicServersInstalled,
  type QuicServers,
  type RunningQuicServers,
  startQuicServers,
} from "./servers/quic-servers.js";
import type { TestFile } from "./servers/test-files.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** Base URL of the httpbin that the global setup started (gunicorn, HTTP/1.1), without a trailing slash. */
    httpbinUrl: string;
    /** Base URL of caddy (HTTPS; h1, h2, h3) reverse-proxying to that httpbin. */
    caddyUrl: string;
    /** Caddy's JSON access log: one line per request, with the client's port. */
    caddyAccessLog: string;
    /** Base URL of httpbin under hypercorn (HTTPS; h2 and http/1.1), the second HTTP/2 stack. */
    hypercornUrl: string;
    /** Hypercorn's access log: `ip:port METHOD path?query version status` per request. */
    hypercornAccessLog: string;
    /** The PEM file of the CA that signed both TLS servers' certificate: the only one to trust. */
    caFile: string;
    /** The PEM file of the one leaf every TLS server presents (for `localhost`, `127.0.0.1`, `::1`). */
    leafFile: string;
    /** The HTTP/3 servers on 127.0.0.1 for the QUIC tests: caddy and three gtlsserver flavours. */
    quicServers: QuicServers;
    /** The files each HTTP/3 server serves at `/<name>`, with their sizes and SHA-256. */
    quicFiles: TestFile[];
  }
}

/**
 * Starts the servers once for the whole interop run and hands their URLs to the tests:
 * httpbin under gunicorn, caddy in front of it over HTTPS, httpbin under hypercorn over
 * HTTPS, and the HTTP/3 file servers (a second caddy and three gtlsservers), all on loopback
 * ports chosen at run time, with a PKI made for this run. `NQ_INTEROP_KEEP=1` keeps the run's
 * folder (certificates, logs, gtlsserver qlogs) after the run and prints where it is.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Every missing server at once, before anything starts: the messages name install-servers.sh.
  const missing = [
    assertHttpbinInstalled,
    assertCaddyInstalled,
    assertHypercornInstalled,
    assertQuicServersInstalled,
  ].flatMap((check) => {
    try {
      check();
      return [];
    } catch (error) {
      return [(error as Error).message];
    }
  });
  if (missing.length > 0) throw new Error(missing.join("\n"));
  const dir = mkdtempSync(join(tmpdir(), "nq-interop-"));
  const started: Pick<RunningServer, "stop">[] = [];
  const teardown = async (): Promise<void> => {
    await Promise.allSettled(started.map((server) => server.stop()));
    if (process.env.NQ_INTEROP_KEEP) console.log(`interop: kept the run's folder ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  };
  try {
    const pki = writeTestPki(dir);
    const httpbin = await startHttpbin({ workers: 12 });
    started.push(httpbin);
    mkdirSync(join(dir, "caddy"));
    // All at once; wait for all, so that a failure of one never leaves the others running.
    const [caddyStart, hypercornStart, quicStart] = await Promise.allSettled([
      startCaddy({ upstream: httpbin.url, pki, dir: join(dir, "caddy") }),
      startHypercorn({ pki, dir }),
      startQuicServers({ pki, dir: join(dir, "quic") }),
    ]);
    const starts = [caddyStart, hypercornStart, quicStart];
    for (const result of starts) if (result.status === "fulfilled") started.push(result.value);
    for (const result of starts) if (result.status === "rejected") throw result.reason;
    const caddy = (caddyStart as PromiseFulfilledResult<RunningCaddy>).value;
    const hypercorn = (hypercornStart as PromiseFulfilledResult<RunningHypercorn>).value;
    const quic = (quicStart as PromiseFulfilledResult<RunningQuicServers>).value;
    project.provide("httpbinUrl", httpbin.url);
    project.provide("caddyUrl", caddy.url);
    project.provide("caddyAccessLog", caddy.accessLog);
    project.provide("hypercornUrl", hypercorn.url);
    project.provide("hypercornAccessLog", hypercorn.accessLog);
    project.provide("caFile", pki.ca);
    project.provide("leafFile", pki.leaf);
    project.provide("quicServers", quic.servers);
    project.provide("quicFiles", [...quic.files]);
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}
