import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  accessSync,
  chmodSync,
  closeSync,
  constants,
  ftruncateSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { LARGE_BODY_BYTES, SMALL_BODY_BYTES } from "./scenarios.js";

/**
 * The server every row talks to: h2o, a C server in its own process, so the figures are the
 * client's and not a Node server's. One worker thread, so on a two-core machine it keeps to one
 * core and leaves the other to the client; the bench prints its CPU share per row, so a row where
 * it reaches ~1.0 core (saturated) is visible.
 */

export const INSTALL_HINT = "bash tooling/interop/install-servers.sh";

export interface H2oServer {
  readonly pid: number;
  readonly version: string;
  /** `http://127.0.0.1:<port>`: HTTP/1.1 in clear text. */
  readonly httpOrigin: string;
  /** `https://127.0.0.1:<port>`: TLS with ALPN h2 and http/1.1; an IP, so no client resolves a name. */
  readonly httpsOrigin: string;
  stop(): Promise<void>;
}

export interface H2oServerOptions {
  /** Size of the sparse file served for the streamed download. */
  readonly streamBytes: number;
  /** The server certificate chain and key, PEM. */
  readonly certificate: { readonly chain: string; readonly key: string };
}

/**
 * Finds h2o: `NQ_BENCH_H2O` if set (a build of your own), else on PATH or in the sbin
 * directories Debian may use; or says how to install it.
 */
export function findH2o(): string {
  const override = process.env.NQ_BENCH_H2O;
  if (override) {
    try {
      accessSync(override, constants.X_OK);
      return override;
    } catch {
      throw new Error(`NQ_BENCH_H2O=${override} is not an executable file`);
    }
  }
  const dirs = [...(process.env.PATH ?? "").split(delimiter), "/usr/sbin", "/usr/local/sbin", "/sbin"];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, "h2o");
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; try the next directory
    }
  }
  throw new Error(
    `h2o not found (the bench's server, Debian package "h2o"). Install it with: ${INSTALL_HINT}`,
  );
}

function inspectH2o(binary: string): { version: string; mruby: boolean } {
  const text = execFileSync(binary, ["--version"], { encoding: "utf8" });
  return {
    version: /h2o version (\S+)/.exec(text)?.[1] ?? "unknown",
    mruby: /^mruby: YES$/m.test(text),
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port from the kernel");
  return address.port;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

function config(dir: string, httpPort: number, httpsPort: number): string {
  // Started as root, h2o switches to "nobody", who could then not open the error log it is told
  // to write in our private temp directory; as anyone else it stays who it is.
  const user = process.getuid?.() === 0 ? "user: root\n" : "";
  // One `listen` key per port: h2o reads repeated keys. The echo handler is mruby inside h2o
  // (Debian builds it in): it answers with the request body, so the POST row measures the
  // client's upload and download and not a helper process.
  return `${user}num-threads: 1
error-log: ${join(dir, "error.log")}
listen:
  host: 127.0.0.1
  port: ${httpPort}
listen:
  host: 127.0.0.1
  port: ${httpsPort}
  ssl:
    certificate-file: ${join(dir, "server.crt")}
    key-file: ${join(dir, "server.key")}
hosts:
  default:
    paths:
      /echo:
        mruby.handler: |
          Proc.new do |env|
            body = env["rack.input"] ? env["rack.input"].read : ""
            [200, {"content-type" => "application/octet-stream"}, [body]]
          end
      /:
        file.dir: ${join(dir, "files")}
`;
}

export async function startH2o(options: H2oServerOptions): Promise<H2oServer> {
  const binary = findH2o();
  const { version, mruby } = inspectH2o(binary);
  if (!mruby) throw new Error(`${binary} was built without mruby, which the POST echo row needs`);

  const dir = mkdtempSync(join(tmpdir(), "nq-bench-"));
  // Readable by all, like a web root: h2o may run as another user than the bench.
  chmodSync(dir, 0o755);
  const files = join(dir, "files");
  mkdirSync(files, { mode: 0o755 });
  writeFileSync(join(files, "small.bin"), randomBytes(SMALL_BODY_BYTES));
  writeFileSync(join(files, "large.bin"), randomBytes(LARGE_BODY_BYTES));
  // Sparse: h2o streams it from the page cache of a hole, costing neither disk nor server memory.
  const fd = openSync(join(files, "stream.bin"), "w");
  ftruncateSync(fd, options.streamBytes);
  closeSync(fd);
  writeFileSync(join(dir, "server.crt"), options.certificate.chain);
  writeFileSync(join(dir, "server.key"), options.certificate.key, { mode: 0o600 });

  const httpPort = await freePort();
  const httpsPort = await freePort();
  writeFileSync(join(dir, "h2o.conf"), config(dir, httpPort, httpsPort));

  const child: ChildProcess = spawn(binary, ["-c", join(dir, "h2o.conf")], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));

  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  const deadline = Date.now() + 10_000;
  while (!((await accepts(httpPort)) && (await accepts(httpsPort)))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      cleanup();
      throw new Error(`h2o did not start:\n${output}`);
    }
    await sleep(50);
  }
  if (child.pid === undefined) throw new Error("h2o has no pid");

  return {
    pid: child.pid,
    version,
    httpOrigin: `http://127.0.0.1:${httpPort}`,
    httpsOrigin: `https://127.0.0.1:${httpsPort}`,
    async stop() {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
        await exited;
        clearTimeout(timer);
      }
      cleanup();
    },
  };
}

/** Kernel clock ticks per second, the unit of /proc CPU counters (100 on every usual Linux). */
export function clockTicks(): number {
  try {
    const value = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
    return Number.isFinite(value) && value > 0 ? value : 100;
  } catch {
    return 100;
  }
}
