import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";
import type * as nq from "niquests";
import { observeUndiciAlpn } from "./clients.js";
import type { CaddyTarget } from "./job.js";
import type { Protocol } from "./scenarios.js";

/**
 * The clients of the QUIC rows (issue 5): nq's own QUIC and HTTP/3 client, ngtcp2's gtlsclient as
 * the reference peer, and for context HTTP/2 and HTTP/1.1 over TLS from the same caddy with nq's
 * Session and undici. Like `clients.ts`, each loads its library in `open()`, so a row's process
 * holds only the client it measures.
 */

/** What one download delivered. */
export interface Downloaded {
  readonly bytes: number;
  /** The protocol version the client reports (`"3"`, `"2"`, `"1.1"`), or null when it does not say. */
  readonly httpVersion: string | null;
  /** CPU the download cost in a child process, microseconds; undefined for a client in this process. */
  readonly childCpuMicros?: number | null;
}

export interface DownloadHandle {
  /** GETs `path` and reads the body to its end as it arrives; hashes it when `sha256` is asked for. */
  download(
    path: string,
    options: { readonly sha256: boolean },
  ): Promise<Downloaded & { readonly sha256?: string }>;
  close(): Promise<void>;
}

export interface DownloadClient {
  readonly id: string;
  readonly label: string;
  readonly protocol: Protocol;
  /** The row the ratios are taken against. */
  readonly isReference?: boolean;
  /** Runs in a child process, so its CPU is the child's and its RSS is not measured. */
  readonly external?: boolean;
  /** A caveat printed in the row's notes. */
  readonly note?: string;
  open(target: CaddyTarget): Promise<DownloadHandle>;
}

export interface HandshakeHandle {
  /** Connects, completes the handshake, and resolves with how long that took (ms) and a close. */
  handshake(): Promise<{ readonly ms: number; close(): Promise<void> }>;
}

export interface HandshakeClient {
  readonly id: string;
  readonly label: string;
  readonly protocol: Protocol;
  readonly isReference?: boolean;
  readonly note?: string;
  open(target: CaddyTarget): Promise<HandshakeHandle>;
}

/** Hashes and counts a body as it streams, holding none of it. */
async function consume(
  chunks: AsyncIterable<Uint8Array>,
  sha256: boolean,
): Promise<{ bytes: number; sha256?: string }> {
  const hash = sha256 ? createHash("sha256") : undefined;
  let bytes = 0;
  for await (const chunk of chunks) {
    bytes += chunk.byteLength;
    hash?.update(chunk);
  }
  return hash ? { bytes, sha256: hash.digest("hex") } : { bytes };
}

function expectOk(client: string, status: number | undefined): void {
  if (status !== 200) throw new Error(`${client}: unexpected status ${String(status)}`);
}

const nqH3: DownloadClient = {
  id: "nq-h3",
  label: "nq quic.connectQuic + h3 GET",
  protocol: "h3",
  async open(target) {
    const { h3, quic } = await import("@nq/transport-h3-quic");
    const session = await quic.connectQuic({
      host: "127.0.0.1",
      port: target.port,
      serverName: target.serverName,
      alpnProtocols: ["h3"],
      trust: new quic.TrustStore([target.caPem]),
    });
    const client = await h3.MinimalH3Client.open(session, {
      authority: `${target.serverName}:${target.port}`,
    });
    return {
      async download(path, options) {
        const response = await client.get(path);
        expectOk("nq h3", response.status);
        return { ...(await consume(response.body, options.sha256)), httpVersion: "3" };
      },
      close: () => client.close(),
    };
  },
};

/**
 * The CPU time of bash's children from the output of its `times`: two lines, the shell's own then
 * its children's, each user and system as `0m0.038s 0m0.046s`. Null when they are not there.
 */
export function parseChildTimes(output: string): number | null {
  const lines = output
    .split("\n")
    .filter((line) => /^\d+m\d+(?:\.\d+)?s \d+m\d+(?:\.\d+)?s$/.test(line.trim()));
  const children = lines.at(-1);
  if (lines.length < 2 || children === undefined) return null;
  let micros = 0;
  for (const [, minutes, seconds] of children.matchAll(/(\d+)m(\d+(?:\.\d+)?)s/g))
    micros += (Number(minutes) * 60 + Number(seconds)) * 1e6;
  return Math.round(micros);
}

/**
 * ngtcp2's example client (Debian's ngtcp2-client, built on GnuTLS), a new process and connection
 * per download. bash runs it and then prints `times`, whose second line is the CPU its children
 * used: the one portable way to read a child's CPU from Node, which reports only its own.
 * gtlsclient exits 0 even when the transfer fails, so the downloaded file is what is checked.
 */
const gtlsclient: DownloadClient = {
  id: "gtlsclient",
  label: "ngtcp2 gtlsclient (child process)",
  protocol: "h3",
  isReference: true,
  external: true,
  note: "verifies no certificate; a new process and connection per download, so its time includes exec and the handshake",
  async open(target) {
    const dir = mkdtempSync(join(tmpdir(), "nq-bench-gtlsclient-"));
    return {
      async download(path, options) {
        const name = path.replace(/^\//, "");
        const file = join(dir, name);
        const args = [
          "-c",
          '"$@"; times',
          "bash",
          "gtlsclient",
          "-q",
          "--no-http-dump",
          `--download=${dir}`,
          "--exit-on-all-streams-close",
          "--timeout=10s",
          "127.0.0.1",
          String(target.port),
          `https://${target.serverName}:${target.port}${path}`,
        ];
        const output = await new Promise<string>((resolve, reject) => {
          const child = spawn("bash", args, { stdio: ["ignore", "pipe", "pipe"] });
          let text = "";
          child.stdout.on("data", (chunk: Buffer) => (text += chunk.toString()));
          child.stderr.on("data", (chunk: Buffer) => (text += chunk.toString()));
          child.on("error", reject);
          child.on("close", (code) =>
            code === 0 ? resolve(text) : reject(new Error(`bash/gtlsclient exited ${code}:\n${text}`)),
          );
        });
        let bytes = 0;
        try {
          bytes = statSync(file).size;
        } catch {
          throw new Error(
            `gtlsclient downloaded nothing (is ngtcp2-client installed?):\n${output.slice(-2000)}`,
          );
        }
        const sha256 = options.sha256
          ? createHash("sha256").update(readFileSync(file)).digest("hex")
          : undefined;
        rmSync(file, { force: true });
        return {
          bytes,
          httpVersion: "3",
          childCpuMicros: parseChildTimes(output),
          ...(sha256 === undefined ? {} : { sha256 }),
        };
      },
      async close() {
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

function nqSession(protocol: "h1" | "h2"): DownloadClient {
  return {
    id: protocol === "h2" ? "nq-h2" : "nq-h1",
    label: protocol === "h2" ? "nq Session (HTTP/2)" : "nq Session (HTTP/1.1, disableHttp2)",
    protocol,
    async open(target) {
      const { Session } = await import("niquests");
      const session: nq.Session = new Session({
        verify: target.caPem,
        ...(protocol === "h1" ? { disableHttp2: true } : {}),
      });
      return {
        async download(path, options) {
          const response = await session.get(`${target.origin}${path}`, { stream: true });
          expectOk("nq", response.statusCode);
          const version = response.httpVersion === 11 ? "1.1" : String(response.httpVersion / 10);
          return { ...(await consume(response.iterContent(), options.sha256)), httpVersion: version };
        },
        close: () => session.close(),
      };
    },
  };
}

function undici(protocol: "h1" | "h2"): DownloadClient {
  return {
    id: protocol === "h2" ? "undici-h2" : "undici-h1",
    label: protocol === "h2" ? "undici.request (allowH2 Agent)" : "undici.request (TLS Agent)",
    protocol,
    async open(target) {
      const { Agent, request } = await import("undici");
      const dispatcher = new Agent({ allowH2: protocol === "h2", connect: { ca: target.caPem } });
      const alpn = observeUndiciAlpn();
      return {
        async download(path, options) {
          const response = await request(`${target.origin}${path}`, { dispatcher });
          expectOk("undici", response.statusCode);
          const received = await consume(response.body, options.sha256);
          return { ...received, httpVersion: alpn.httpVersion() };
        },
        async close() {
          alpn.stop();
          await dispatcher.close();
        },
      };
    },
  };
}

/** Every download client, in the order rows are printed. */
export const DOWNLOAD_CLIENTS: readonly DownloadClient[] = [
  nqH3,
  gtlsclient,
  nqSession("h2"),
  undici("h2"),
  nqSession("h1"),
  undici("h1"),
];

const nqHandshake: HandshakeClient = {
  id: "nq-h3",
  label: "nq quic.connectQuic",
  protocol: "h3",
  async open(target) {
    const { quic } = await import("@nq/transport-h3-quic");
    const trust = new quic.TrustStore([target.caPem]);
    return {
      async handshake() {
        const started = performance.now();
        const session = await quic.connectQuic({
          host: "127.0.0.1",
          port: target.port,
          serverName: target.serverName,
          alpnProtocols: ["h3"],
          trust,
        });
        const ms = performance.now() - started;
        if (session.alpnProtocol !== "h3")
          throw new Error(`nq: ALPN ${String(session.alpnProtocol)}, not h3`);
        return { ms, close: () => session.close() };
      },
    };
  },
};

/** TCP and TLS 1.3 to the same caddy with node:tls: what the same handshake costs without QUIC. */
const nodeTls: HandshakeClient = {
  id: "node-tls",
  label: "node:tls connect (TCP + TLS 1.3)",
  protocol: "h2",
  isReference: true,
  note: "context: TCP + TLS 1.3 with OpenSSL, ALPN h2",
  async open(target) {
    return {
      handshake() {
        return new Promise((resolve, reject) => {
          const started = performance.now();
          const socket = tlsConnect({
            host: "127.0.0.1",
            port: target.port,
            servername: target.serverName,
            ca: target.caPem,
            ALPNProtocols: ["h2"],
            minVersion: "TLSv1.3",
          });
          socket.once("error", reject);
          socket.once("secureConnect", () => {
            const ms = performance.now() - started;
            socket.off("error", reject);
            socket.on("error", () => {});
            resolve({
              ms,
              // The server's first HTTP/2 frames are waiting unread: the socket must flow, or it
              // never sees the server's FIN and never closes.
              close: () =>
                new Promise<void>((done) => {
                  if (socket.destroyed) return done();
                  socket.once("close", () => done());
                  socket.resume();
                  socket.end();
                }),
            });
          });
        });
      },
    };
  },
};

/** Every handshake client, in the order rows are printed. */
export const HANDSHAKE_CLIENTS: readonly HandshakeClient[] = [nqHandshake, nodeTls];

export function findDownloadClient(id: string): DownloadClient {
  const client = DOWNLOAD_CLIENTS.find((candidate) => candidate.id === id);
  if (!client) throw new Error(`no download client ${id}`);
  return client;
}

export function findHandshakeClient(id: string): HandshakeClient {
  const client = HANDSHAKE_CLIENTS.find((candidate) => candidate.id === id);
  if (!client) throw new Error(`no handshake client ${id}`);
  return client;
}
