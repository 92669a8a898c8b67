import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { request } from "node:http";

/** Debian's gunicorn; its shebang is /usr/bin/python3, which is where python3-httpbin lives. */
export const GUNICORN = "/usr/bin/gunicorn";
/** Debian's interpreter: the `python3` first on PATH may be another one without httpbin or requests. */
export const SYSTEM_PYTHON = "/usr/bin/python3";

const INSTALL_HINT = "run `bash tooling/interop/install-servers.sh` (apt-get) first";

/** A running server: its base URL (no trailing slash) and how to stop it. */
export interface RunningServer {
  readonly url: string;
  stop(): Promise<void>;
}

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

/** Throws, saying what to install, when gunicorn or python3-httpbin is missing. */
export function assertHttpbinInstalled(): void {
  if (!existsSync(GUNICORN) || !existsSync(SYSTEM_PYTHON)) {
    throw new Error(`The interop suite needs gunicorn at ${GUNICORN}: ${INSTALL_HINT}`);
  }
  const probe = spawnSync(SYSTEM_PYTHON, ["-c", "import httpbin"], { encoding: "utf8" });
  if (probe.status !== 0) {
    throw new Error(
      `The interop suite needs python3-httpbin for ${SYSTEM_PYTHON}: ${INSTALL_HINT}\n${probe.stderr}`,
    );
  }
}

/**
 * Starts httpbin under gunicorn on 127.0.0.1 and resolves once it answers. Gunicorn binds
 * port 0 and logs the port the kernel gave it, so two suites (or anything else on this
 * machine) never race for a port picked in advance.
 */
export async function startHttpbin(options: HttpbinOptions = {}): Promise<RunningServer> {
  assertHttpbinInstalled();
  const workers = options.workers ?? 8;
  const child = spawn(
    SYSTEM_PYTHON,
    [GUNICORN, "--bind", "127.0.0.1:0", "--workers", String(workers), "--log-level", "info", "httpbin:app"],
    // Its own process group, so stop() reaches the workers too, not only the arbiter.
    {
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
    },
  );
  let log = "";
  const collect = (chunk: Buffer): void => {
    log += chunk.toString("utf8");
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);

  // If the test run dies before its teardown (Ctrl-C, a crash), still take gunicorn down with it.
  const onExit = (): void => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  };
  process.once("exit", onExit);
  const stop = async (): Promise<void> => {
    process.off("exit", onExit);
    await killGroup(child);
  };
  try {
    const port = await waitForPort(child, () => log, options.startTimeout ?? 15_000);
    const url = `http://127.0.0.1:${port}`;
    await waitUntilAnswering(`${url}/get`, options.startTimeout ?? 15_000);
    return { url, stop };
  } catch (error) {
    await stop();
    throw new Error(`httpbin did not start: ${(error as Error).message}\n--- gunicorn log ---\n${log}`, {
      cause: error,
    });
  }
}

function waitForPort(child: ChildProcess, log: () => string, timeout: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + timeout;
    const timer = setInterval(() => {
      const match = /Listening at: http:\/\/127\.0\.0\.1:(\d+)/.exec(log());
      if (match) {
        clearInterval(timer);
        resolve(Number(match[1]));
      } else if (child.exitCode !== null || child.signalCode !== null) {
        clearInterval(timer);
        reject(new Error(`gunicorn exited (${child.exitCode ?? child.signalCode})`));
      } else if (Date.now() > deadline) {
        clearInterval(timer);
        reject(new Error(`gunicorn printed no listening address within ${timeout} ms`));
      }
    }, 50);
  });
}

async function waitUntilAnswering(url: string, timeout: number): Promise<void> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const status = await new Promise<number>((resolve) => {
      const req = request(url, { timeout: 1_000 }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", () => resolve(0));
      req.on("timeout", () => req.destroy());
      req.end();
    });
    if (status === 200) return;
    if (Date.now() > deadline) throw new Error(`${url} did not answer 200 within ${timeout} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function killGroup(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const signal = (name: NodeJS.Signals): void => {
    try {
      process.kill(-child.pid!, name);
    } catch {
      // The group is already gone.
    }
  };
  signal("SIGTERM");
  const timer = setTimeout(() => signal("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
  // Workers may outlive the arbiter by a moment; make sure none is left holding the port.
  signal("SIGKILL");
}
