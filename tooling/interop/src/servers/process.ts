import { type ChildProcess, spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { createWriteStream, readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { createServer } from "node:net";

/** What to say when a server binary or Python module is missing. */
export const INSTALL_HINT = "run `bash tooling/interop/install-servers.sh` (apt-get) first";

/** A running server: its base URL (no trailing slash) and how to stop it. */
export interface RunningServer {
  readonly url: string;
  stop(): Promise<void>;
}

/** A child process in its own process group, with its output collected and a way to stop it. */
export interface ServerProcess {
  readonly child: ChildProcess;
  /** Everything it printed so far, stdout and stderr interleaved. */
  log(): string;
  /** True once it exited (or was killed). */
  exited(): boolean;
  /** SIGTERM to the whole group, SIGKILL after 5 s; resolves once the leader exited. */
  stop(): Promise<void>;
}

/**
 * Spawns a server detached in its own process group, so that `stop()` reaches its workers
 * too, and kills the group if the test process exits before its teardown (Ctrl-C, a crash).
 */
export function spawnServer(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; logFile?: string } = {},
): ServerProcess {
  const child = spawn(command, args, {
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: options.env ?? process.env,
    cwd: options.cwd,
  });
  let output = "";
  // A copy on disk, when asked for, is what the tests (another process) read.
  const file = options.logFile === undefined ? undefined : createWriteStream(options.logFile, { flags: "a" });
  const collect = (chunk: Buffer): void => {
    output += chunk.toString("utf8");
    file?.write(chunk);
  };
  child.once("close", () => file?.end());
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  // spawn() failing (ENOENT) is reported through `exited()` and the log, not as a throw.
  child.on("error", (error) => {
    output += `\nspawn failed: ${error.message}\n`;
  });
  const onExit = (): void => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  };
  process.once("exit", onExit);
  return {
    child,
    log: () => output,
    exited: () => child.exitCode !== null || child.signalCode !== null || child.pid === undefined,
    stop: async () => {
      process.off("exit", onExit);
      await killGroup(child);
    },
  };
}

/** SIGTERM to the child's process group, SIGKILL after 5 s, and SIGKILL again for stragglers. */
export async function killGroup(child: ChildProcess): Promise<void> {
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
  // Workers may outlive their leader by a moment; make sure none is left holding a port.
  signal("SIGKILL");
}

/** Polls `log()` until `pattern` matches; fails early if the process exits. */
export function waitForLog(
  server: ServerProcess,
  pattern: RegExp,
  timeout: number,
): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + timeout;
    const timer = setInterval(() => {
      const match = pattern.exec(server.log());
      if (match) {
        clearInterval(timer);
        resolve(match);
      } else if (server.exited()) {
        clearInterval(timer);
        reject(
          new Error(`it exited (${server.child.exitCode ?? server.child.signalCode ?? "spawn failed"})`),
        );
      } else if (Date.now() > deadline) {
        clearInterval(timer);
        reject(new Error(`it printed nothing matching ${pattern} within ${timeout} ms`));
      }
    }, 50);
  });
}

/** GET `url` once (https with `ca` when given); resolves with the status, 0 on any error. */
function probe(url: string, ca: string | undefined): Promise<number> {
  return new Promise((resolve) => {
    const send = url.startsWith("https:") ? httpsRequest : httpRequest;
    const req = send(url, { timeout: 1_000, ...(ca === undefined ? {} : { ca }) }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", () => resolve(0));
    req.on("timeout", () => req.destroy());
    req.end();
  });
}

/**
 * Resolves once `url` answers 200 (over TLS, trusting `ca` only); fails when the server
 * exits or the deadline passes.
 */
export async function waitUntilAnswering(
  url: string,
  timeout: number,
  options: { ca?: string; server?: ServerProcess } = {},
): Promise<void> {
  const deadline = Date.now() + timeout;
  for (;;) {
    if (options.server?.exited()) throw new Error(`it exited before ${url} answered`);
    if ((await probe(url, options.ca)) === 200) return;
    if (Date.now() > deadline) throw new Error(`${url} did not answer 200 within ${timeout} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A loopback port free for TCP and UDP alike at this moment (caddy listens on both: h1/h2
 * over TCP, h3 over UDP, same number). Another process may still take it before the server
 * binds it, so callers retry on `address already in use`.
 */
export async function freeTcpAndUdpPort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        const address = server.address();
        server.close(() =>
          typeof address === "object" && address !== null
            ? resolve(address.port)
            : reject(new Error("no port")),
        );
      });
    });
    const udpFree = await new Promise<boolean>((resolve) => {
      const socket = createSocket("udp4");
      socket.once("error", () => resolve(false));
      socket.bind(port, "127.0.0.1", () => socket.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
  throw new Error("found no loopback port free for both TCP and UDP in 20 tries");
}

/** True when something listens on UDP `127.0.0.1:port` (from /proc/net/udp, no packet sent). */
export function udpListening(port: number): boolean {
  // Lines read `  sl  local_address rem_address st …`; 127.0.0.1 is 0100007F (little-endian),
  // the port is big-endian hex, and an unconnected bound socket has state 07.
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  let table: string;
  try {
    table = readFileSync("/proc/net/udp", "utf8");
  } catch {
    return false;
  }
  return table.split("\n").some((line) => {
    const [, address, , state] = line.trim().split(/\s+/);
    return address === local && state === "07";
  });
}

/** Resolves once `server` has a UDP socket bound on 127.0.0.1:`port`; fails when it exits first. */
export async function waitForUdpPort(server: ServerProcess, port: number, timeout: number): Promise<void> {
  const deadline = Date.now() + timeout;
  for (;;) {
    if (udpListening(port)) return;
    if (server.exited())
      throw new Error(`it exited (${server.child.exitCode ?? server.child.signalCode ?? "spawn failed"})`);
    if (Date.now() > deadline) throw new Error(`nothing bound UDP 127.0.0.1:${port} within ${timeout} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
