import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createSocket } from "node:dgram";
import {
  accessSync,
  chmodSync,
  constants,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { request as httpsRequest } from "node:https";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { INSTALL_HINT } from "./h2o-server.js";

/**
 * The server of the QUIC rows: caddy (Go net/http for HTTP/1.1 and HTTP/2, quic-go for HTTP/3) as
 * a static file server on one loopback port, TCP and UDP, with a certificate from this run's PKI.
 * HTTP/3 needs a server nq did not write, and caddy is the one the interop suite already runs
 * (`tooling/interop/src/servers/caddy-h3.ts`); this mirrors how that file and `h2o-server.ts`
 * start theirs. Its process group is killed at the end, as is its temp directory.
 */

export interface CaddyFile {
  /** The name under the document root, and so the URL path without its `/`. */
  readonly name: string;
  readonly size: number;
  /** SHA-256 of the bytes, lower-case hex. */
  readonly sha256: string;
}

export interface CaddyServer {
  readonly pid: number;
  readonly version: string;
  /** The port, the same number for TCP (h1, h2) and UDP (h3). */
  readonly port: number;
  /** `https://127.0.0.1:<port>`. */
  readonly origin: string;
  readonly files: readonly CaddyFile[];
  stop(): Promise<void>;
}

export interface CaddyServerOptions {
  /** The leaf for `localhost` and `127.0.0.1`, with its chain, and its key, PEM. */
  readonly certificate: { readonly chain: string; readonly key: string };
  /** PEM of the CA that issued it, to check that caddy is up. */
  readonly caPem: string;
  /** The sizes of the seeded files to serve as `<MiB>m.bin`, besides `small.txt`. */
  readonly fileSizes: readonly number[];
}

/** `NQ_BENCH_CADDY` if set, else caddy on PATH or in /usr/bin; or says how to install it. */
export function findCaddy(): string {
  const override = process.env.NQ_BENCH_CADDY;
  const candidates = override
    ? [override]
    : [...(process.env.PATH ?? "").split(delimiter).filter((dir) => dir !== ""), "/usr/bin"].map((dir) =>
        join(dir, "caddy"),
      );
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; try the next one
    }
  }
  throw new Error(
    override
      ? `NQ_BENCH_CADDY=${override} is not an executable file`
      : `caddy not found (the QUIC rows' server, Debian package "caddy"). Install it with: ${INSTALL_HINT}`,
  );
}

/**
 * `size` bytes from mulberry32 seeded with `seed`: the same bytes on every run, and random-looking,
 * so a client that delivers a chunk twice or at the wrong offset cannot match the hash by luck.
 * The same generator as the interop suite's test files.
 */
export function seededBytes(seed: number, size: number): Buffer {
  const out = Buffer.alloc(size);
  let state = seed >>> 0;
  for (let offset = 0; offset < size; offset += 4) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const word = (t ^ (t >>> 14)) >>> 0;
    if (offset + 4 <= size) out.writeUInt32LE(word, offset);
    else for (let i = 0; offset + i < size; i++) out[offset + i] = (word >>> (8 * i)) & 0xff;
  }
  return out;
}

/** The name a file of `size` bytes is served as: `10m.bin` for 10 MiB. */
export function seededFileName(size: number): string {
  return `${size / (1024 * 1024)}m.bin`;
}

function caddyfile(dir: string, port: number): string {
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
		level WARN
	}
}

https://127.0.0.1:${port}, https://localhost:${port} {
	bind 127.0.0.1
	tls ${join(dir, "chain.pem")} ${join(dir, "leaf.key")}
	root * ${join(dir, "www")}
	file_server
}
`;
}

/** A loopback port free for TCP and UDP alike at this moment. */
async function freeTcpAndUdpPort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (address === null || typeof address === "string") continue;
    const socket = createSocket("udp4");
    const free = await new Promise<boolean>((resolve) => {
      socket.once("error", () => resolve(false));
      socket.bind(address.port, "127.0.0.1", () => resolve(true));
    });
    await new Promise<void>((resolve) => socket.close(() => resolve()));
    if (free) return address.port;
  }
  throw new Error("found no loopback port free for both TCP and UDP in 20 tries");
}

/** Whether something has UDP 127.0.0.1:`port` bound (from /proc/net/udp; no packet is sent). */
function udpBound(port: number): boolean {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  try {
    return readFileSync("/proc/net/udp", "utf8")
      .split("\n")
      .some((line) => line.trim().split(/\s+/)[1] === local);
  } catch {
    return false;
  }
}

function answers(url: string, ca: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = httpsRequest(url, { ca, timeout: 1_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("error", () => resolve(false));
    req.on("timeout", () => req.destroy());
    req.end();
  });
}

/** Sends `signal` to the whole process group of `child`, if it is still there. */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    // The group is gone already.
  }
}

/**
 * Writes the document root (`small.txt` and the seeded files) and starts caddy on it, retrying on
 * a port another process took first; resolves once caddy answers `small.txt` over TLS with the
 * run's CA and has its UDP socket bound.
 */
export async function startCaddy(options: CaddyServerOptions): Promise<CaddyServer> {
  const binary = findCaddy();
  const version =
    /v?(\d+\.\d+\.\d+)/.exec(execFileSync(binary, ["version"], { encoding: "utf8" }))?.[1] ?? "unknown";
  const dir = mkdtempSync(join(tmpdir(), "nq-bench-caddy-"));
  chmodSync(dir, 0o755);
  const www = join(dir, "www");
  mkdirSync(www, { mode: 0o755 });
  const contents: [string, Buffer][] = [
    ["small.txt", Buffer.from("hello from the nq bench\n")],
    ...options.fileSizes.map((size, index): [string, Buffer] => [
      seededFileName(size),
      seededBytes(10 + index, size),
    ]),
  ];
  const files = contents.map(([name, bytes]): CaddyFile => {
    writeFileSync(join(www, name), bytes);
    return { name, size: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") };
  });
  writeFileSync(join(dir, "chain.pem"), options.certificate.chain);
  writeFileSync(join(dir, "leaf.key"), options.certificate.key, { mode: 0o600 });
  const home = join(dir, "home");
  mkdirSync(home);
  // Caddy must not touch the real HOME or the system trust store (skip_install_trust above).
  const env = { PATH: process.env.PATH, HOME: home, XDG_DATA_HOME: home, XDG_CONFIG_HOME: home };

  const failures: string[] = [];
  for (let attempt = 1; attempt <= 5; attempt++) {
    const port = await freeTcpAndUdpPort();
    writeFileSync(join(dir, "Caddyfile"), caddyfile(dir, port));
    // Its own process group, so stop() reaches every process it may start.
    const child = spawn(binary, ["run", "--config", join(dir, "Caddyfile"), "--adapter", "caddyfile"], {
      cwd: dir,
      env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    // A crash of the bench must not leave caddy holding the port.
    const onExit = () => signalGroup(child, "SIGKILL");
    process.once("exit", onExit);
    const stop = async () => {
      process.off("exit", onExit);
      if (child.exitCode === null && child.signalCode === null) {
        signalGroup(child, "SIGTERM");
        const timer = setTimeout(() => signalGroup(child, "SIGKILL"), 5_000);
        await exited;
        clearTimeout(timer);
      }
      signalGroup(child, "SIGKILL");
    };

    const origin = `https://127.0.0.1:${port}`;
    const deadline = Date.now() + 15_000;
    let ready = false;
    while (!ready && child.exitCode === null && Date.now() < deadline) {
      ready = udpBound(port) && (await answers(`${origin}/small.txt`, options.caPem));
      if (!ready) await sleep(50);
    }
    if (ready && child.pid !== undefined) {
      const pid = child.pid;
      return {
        pid,
        version,
        port,
        origin,
        files,
        async stop() {
          await stop();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    await stop();
    let log = output;
    try {
      log += readFileSync(join(dir, "caddy.log"), "utf8");
    } catch {
      // caddy never got as far as its log
    }
    failures.push(`attempt ${attempt} on port ${port}:\n${log.slice(-4000)}`);
    if (!/address already in use/.test(log)) break;
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`caddy did not start:\n${failures.join("\n")}`);
}
