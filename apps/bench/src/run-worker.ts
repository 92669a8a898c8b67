import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Job, Sample, WorkerReply } from "./job.js";
import { PACKAGE_ROOT } from "./package-root.js";

const WORKER = fileURLToPath(new URL("./row-worker.js", import.meta.url));

export interface RunWorkerOptions {
  readonly timeoutMs: number;
  /** Extra Node flags for the worker, e.g. `--cpu-prof`. */
  readonly nodeFlags: readonly string[];
}

/** Keeps the last few KiB of a worker's output, to explain a crash without flooding the table. */
function tail(text: string, limit = 4096): string {
  return text.length > limit ? `…${text.slice(-limit)}` : text;
}

/** Runs one row in a fresh Node process and resolves with its sample or its error, never rejecting. */
export function runWorker<T extends Sample>(job: Job, options: RunWorkerOptions): Promise<WorkerReply<T>> {
  return new Promise((resolve) => {
    // execArgv is set, not inherited, so a profiler or inspector flag on the orchestrator does
    // not end up in every row (and a row's flags are exactly what the options say).
    const child = fork(WORKER, [], {
      cwd: PACKAGE_ROOT,
      execArgv: ["--expose-gc", ...options.nodeFlags],
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      serialization: "json",
    });
    let output = "";
    const collect = (chunk: Buffer) => {
      output = tail(output + chunk.toString());
    };
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);

    let settled = false;
    const settle = (reply: WorkerReply<T>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(reply);
    };
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      settle({ ok: false, error: `row did not finish within ${options.timeoutMs} ms\n${output}` });
    }, options.timeoutMs);

    child.on("message", (message: WorkerReply<T>) => settle(message));
    child.on("error", (error) => settle({ ok: false, error: error.stack ?? error.message }));
    // "close" and not "exit": it comes after the IPC channel and stdio are drained, so a reply
    // sent just before exiting is never mistaken for a crash.
    child.on("close", (code, signal) => {
      settle({
        ok: false,
        error: `worker exited (${signal ?? `code ${String(code)}`}) without a result\n${output}`,
      });
    });
    child.send(job);
  });
}
