import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { INSTALL_HINT } from "./process.js";
import type { TestFile } from "./test-files.js";

/** ngtcp2's reference client (ngtcp2-client): the harness's self-check of every QUIC server. */
export const GTLSCLIENT = "/usr/bin/gtlsclient";

/** Throws, saying what to install, when gtlsclient is missing. */
export function assertGtlsclientInstalled(): void {
  if (!existsSync(GTLSCLIENT))
    throw new Error(`The interop suite needs gtlsclient (ngtcp2-client) at ${GTLSCLIENT}: ${INSTALL_HINT}`);
}

/** Where and what {@link selfCheckWithGtlsclient} fetches. */
export interface SelfCheck {
  /** The UDP port on 127.0.0.1. */
  readonly port: number;
  /** The file to GET, and what its bytes must hash to. */
  readonly file: TestFile;
  /** A scratch folder for the download. */
  readonly dir: string;
  /** Milliseconds before gtlsclient is killed. */
  readonly timeout?: number;
}

/**
 * GETs `file` over HTTP/3 with gtlsclient and throws, with gtlsclient's output, unless it
 * negotiated h3, saw `:status: 200` and downloaded the exact bytes. gtlsclient exits 0 even when
 * the connection fails, so success is read from its output and the downloaded file, never from
 * the exit code. It does not verify the server's certificate, so this proves the server speaks
 * HTTP/3 on that port, not that its TLS set-up is right: a client failing only the certificate
 * check is still worth a look.
 */
export async function selfCheckWithGtlsclient(check: SelfCheck): Promise<void> {
  assertGtlsclientInstalled();
  const download = mkdtempSync(join(check.dir, "gtlsclient-"));
  const url = `https://localhost:${check.port}/${check.file.name}`;
  const args = [
    "--no-quic-dump",
    "--no-http-dump",
    "--exit-on-all-streams-close",
    "--timeout=5s",
    `--download=${download}`,
    "127.0.0.1",
    String(check.port),
    url,
  ];
  const { output, code } = await run(GTLSCLIENT, args, check.timeout ?? 15_000);
  const saved = join(download, check.file.name);
  const problems: string[] = [];
  if (!/Negotiated ALPN is h3/.test(output)) problems.push("no ALPN h3");
  if (!/\[:status: 200\]/.test(output)) problems.push("no :status 200");
  if (!existsSync(saved)) problems.push("nothing downloaded");
  else {
    const sha256 = createHash("sha256").update(readFileSync(saved)).digest("hex");
    if (sha256 !== check.file.sha256) problems.push(`downloaded sha256 ${sha256}, want ${check.file.sha256}`);
  }
  if (problems.length > 0) {
    throw new Error(
      `self-check with gtlsclient failed (${problems.join(", ")}; exit ${code}): the harness or the server is broken, not nq\n` +
        `$ ${GTLSCLIENT} ${args.join(" ")}\n${tail(output)}`,
    );
  }
}

/** Runs a command to its end or until `timeout` (then SIGKILL), with stdout and stderr together. */
function run(
  command: string,
  args: readonly string[],
  timeout: number,
): Promise<{ output: string; code: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const collect = (chunk: Buffer): void => {
      output += chunk.toString("utf8");
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    const timer = setTimeout(() => {
      output += `\n(killed after ${timeout} ms)\n`;
      child.kill("SIGKILL");
    }, timeout);
    child.on("error", (error) => {
      output += `\nspawn failed: ${error.message}\n`;
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ output, code: String(code ?? signal) });
    });
  });
}

/** The last lines of a long output: enough to see how it ended. */
export function tail(text: string, lines = 60): string {
  const all = text.trimEnd().split("\n");
  return (all.length > lines ? [`… (${all.length - lines} lines before)`, ...all.slice(-lines)] : all).join(
    "\n",
  );
}
