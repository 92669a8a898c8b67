import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { assertCaddyInstalled, type RunningCaddy, startCaddy } from "./servers/caddy.js";
import { assertHttpbinInstalled, startHttpbin } from "./servers/httpbin.js";
import { assertHypercornInstalled, type RunningHypercorn, startHypercorn } from "./servers/hypercorn.js";
import { writeTestPki } from "./servers/pki.js";
import type { RunningServer } from "./servers/process.js";

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
  }
}

/**
 * Starts the servers once for the whole interop run and hands their URLs to the tests:
 * httpbin under gunicorn, caddy in front of it over HTTPS, and httpbin under hypercorn over
 * HTTPS, all on loopback ports chosen at run time, with a PKI made for this run.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Every missing server at once, before anything starts: the messages name install-servers.sh.
  const missing = [assertHttpbinInstalled, assertCaddyInstalled, assertHypercornInstalled].flatMap(
    (check) => {
      try {
        check();
        return [];
      } catch (error) {
        return [(error as Error).message];
      }
    },
  );
  if (missing.length > 0) throw new Error(missing.join("\n"));
  const dir = mkdtempSync(join(tmpdir(), "nq-interop-"));
  const started: RunningServer[] = [];
  const teardown = async (): Promise<void> => {
    await Promise.allSettled(started.map((server) => server.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const pki = writeTestPki(dir);
    const httpbin = await startHttpbin({ workers: 12 });
    started.push(httpbin);
    mkdirSync(join(dir, "caddy"));
    // Both at once; wait for both, so that a failure of one never leaves the other running.
    const [caddyStart, hypercornStart] = await Promise.allSettled([
      startCaddy({ upstream: httpbin.url, pki, dir: join(dir, "caddy") }),
      startHypercorn({ pki, dir }),
    ]);
    for (const result of [caddyStart, hypercornStart])
      if (result.status === "fulfilled") started.push(result.value);
    for (const result of [caddyStart, hypercornStart]) if (result.status === "rejected") throw result.reason;
    const caddy = (caddyStart as PromiseFulfilledResult<RunningCaddy>).value;
    const hypercorn = (hypercornStart as PromiseFulfilledResult<RunningHypercorn>).value;
    project.provide("httpbinUrl", httpbin.url);
    project.provide("caddyUrl", caddy.url);
    project.provide("caddyAccessLog", caddy.accessLog);
    project.provide("hypercornUrl", hypercorn.url);
    project.provide("hypercornAccessLog", hypercorn.accessLog);
    project.provide("caFile", pki.ca);
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}
