import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { assertPythonModules, SYSTEM_PYTHON } from "./httpbin.js";
import type { PkiFiles } from "./pki.js";
import { type RunningServer, spawnServer, waitForLog, waitUntilAnswering } from "./process.js";

const LAUNCHER = fileURLToPath(new URL("../../servers/hypercorn_httpbin.py", import.meta.url));

/** A running hypercorn: its HTTPS base URL and its access log (`ip:port METHOD path?query version status`). */
export interface RunningHypercorn extends RunningServer {
  readonly accessLog: string;
}

/** Options of {@link startHypercorn}. */
export interface HypercornOptions {
  readonly pki: PkiFiles;
  /** A scratch folder of this run, for the access log. */
  readonly dir: string;
  readonly startTimeout?: number;
}

/** Throws, saying what to install, when hypercorn (or httpbin) is missing for the system Python. */
export function assertHypercornInstalled(): void {
  assertPythonModules(["hypercorn", "h2", "httpbin"], "python3-hypercorn and python3-httpbin");
}

/**
 * Starts httpbin under hypercorn (python-h2) over TLS on a port the kernel picks, and resolves
 * once it answers `/get` with the run's CA.
 */
export async function startHypercorn(options: HypercornOptions): Promise<RunningHypercorn> {
  assertHypercornInstalled();
  const timeout = options.startTimeout ?? 15_000;
  const accessLog = join(options.dir, "hypercorn-access.log");
  const server = spawnServer(SYSTEM_PYTHON, [LAUNCHER, options.pki.chain, options.pki.key, accessLog], {
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
  });
  try {
    const [, port] = await waitForLog(server, /listening on 127\.0\.0\.1:(\d+)/, timeout);
    const url = `https://127.0.0.1:${port}`;
    await waitUntilAnswering(`${url}/get`, timeout, { ca: readFileSync(options.pki.ca, "utf8"), server });
    return { url, accessLog, stop: () => server.stop() };
  } catch (error) {
    await server.stop();
    throw new Error(
      `hypercorn did not start: ${(error as Error).message}\n--- hypercorn log ---\n${server.log()}`,
      { cause: error },
    );
  }
}
