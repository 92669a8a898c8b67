import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { INSTALL_HINT, type RunningServer, spawnServer, waitForLog, waitUntilAnswering } from "./process.js";

export type { RunningServer } from "./process.js";

/** Debian's gunicorn; its shebang is /usr/bin/python3, which is where python3-httpbin lives. */
export const GUNICORN = "/usr/bin/gunicorn";
/** Debian's interpreter: the `python3` first on PATH may be another one without httpbin or requests. */
export const SYSTEM_PYTHON = "/usr/bin/python3";

/** Options of {@link startHttpbin}. */
export interface HttpbinOptions {
  /**
   * Gunicorn sync workers. Each serves one request at a time, so tests that wait on
   * `/delay/n` hold one each; 8 leaves room for the rest of the suite.
   */
  readonly workers?: number;
  /** Milliseconds to wait for the server to answer. */
  readonly startTimeout?: number;
}

/** Throws, saying what to install, when the system Python lacks one of `modules`. */
export function assertPythonModules(modules: readonly string[], packages: string): void {
  if (!existsSync(SYSTEM_PYTHON))
    throw new Error(`The interop suite needs ${SYSTEM_PYTHON}: ${INSTALL_HINT}`);
  const probe = spawnSync(SYSTEM_PYTHON, ["-c", modules.map((m) => `import ${m}`).join("; ")], {
    encoding: "utf8",
  });
  if (probe.status !== 0) {
    throw new Error(
      `The interop suite needs ${packages} for ${SYSTEM_PYTHON}: ${INSTALL_HINT}\n${probe.stderr}`,
    );
  }
}

/** Throws, saying what to install, when gunicorn or python3-httpbin is missing. */
export function assertHttpbinInstalled(): void {
  if (!existsSync(GUNICORN)) {
    throw new Error(`The interop suite needs gunicorn at ${GUNICORN}: ${INSTALL_HINT}`);
  }
  assertPythonModules(["httpbin"], "python3-httpbin");
}

/**
 * Starts httpbin under gunicorn on 127.0.0.1 and resolves once it answers. Gunicorn binds
 * port 0 and logs the port the kernel gave it, so two suites (or anything else on this
 * machine) never race for a port picked in advance.
 */
export async function startHttpbin(options: HttpbinOptions = {}): Promise<RunningServer> {
  assertHttpbinInstalled();
  const workers = options.workers ?? 8;
  const timeout = options.startTimeout ?? 15_000;
  const server = spawnServer(
    SYSTEM_PYTHON,
    [GUNICORN, "--bind", "127.0.0.1:0", "--workers", String(workers), "--log-level", "info", "httpbin:app"],
    { env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" } },
  );
  try {
    const [, port] = await waitForLog(server, /Listening at: http:\/\/127\.0\.0\.1:(\d+)/, timeout);
    const url = `http://127.0.0.1:${port}`;
    await waitUntilAnswering(`${url}/get`, timeout, { server });
    return { url, stop: () => server.stop() };
  } catch (error) {
    await server.stop();
    throw new Error(
      `httpbin did not start: ${(error as Error).message}\n--- gunicorn log ---\n${server.log()}`,
      { cause: error },
    );
  }
}
