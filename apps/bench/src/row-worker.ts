import { setTimeout as sleep } from "node:timers/promises";
import { type ClientHandle, type Exchange, findClient } from "./clients.js";
import type {
  Job,
  Sample,
  StreamJob,
  StreamSample,
  ThroughputJob,
  ThroughputSample,
  WorkerReply,
} from "./job.js";
import { cpuMicros, cpuShares, elapsedSeconds, readEdge } from "./measure-window.js";
import { currentRss, openSockets, peakRss, pollPeakRss, resetPeakRss } from "./proc-stat.js";
import { runDownloads, runHandshakes } from "./quic-rows.js";

/**
 * One row of the bench in a fresh process: one client, one scenario. A fresh process per row
 * keeps one client's heap, JIT state, sockets and peak RSS out of the next client's figures.
 */

/** Resolves after `ms`, or earlier if `work` settles first (a lane failed and stopped the load). */
async function waitOrSettle(ms: number, work: Promise<unknown>): Promise<void> {
  const controller = new AbortController();
  await Promise.race([sleep(ms, undefined, { signal: controller.signal }).catch(() => {}), work]);
  controller.abort();
}

async function runThroughput(
  job: ThroughputJob,
  handle: ClientHandle,
  socketsBefore: number,
): Promise<ThroughputSample> {
  const { scenario } = job;
  const exchange: Exchange = {
    method: scenario.method,
    url: `${job.origin}${scenario.path}`,
    body: scenario.requestBytes > 0 ? Buffer.alloc(scenario.requestBytes, "x") : null,
  };
  const versions = new Set<string>();
  let stop = false;
  let completed = 0;
  let bytes = 0;
  let failure: unknown;

  // A lane keeps one request outstanding; `inFlight` lanes keep that many, as a user's
  // Promise.all over a work queue would.
  const lane = async () => {
    while (!stop) {
      const received = await handle.send(exchange);
      if (received.bytes !== scenario.responseBytes) {
        throw new Error(`read ${received.bytes} body bytes, expected ${scenario.responseBytes}`);
      }
      completed += 1;
      bytes += received.bytes;
      if (received.httpVersion !== null) versions.add(received.httpVersion);
    }
  };
  const lanes = Promise.all(
    Array.from({ length: scenario.inFlight }, () =>
      lane().catch((error: unknown) => {
        failure ??= error;
        stop = true;
      }),
    ),
  );

  await waitOrSettle(job.warmupMs, lanes);
  if (failure !== undefined) throw failure;

  const start = readEdge(job.serverPid);
  const completedBefore = completed;
  const bytesBefore = bytes;
  const poller = resetPeakRss() ? null : pollPeakRss();
  await waitOrSettle(job.measureMs, lanes);
  const end = readEdge(job.serverPid);
  const requests = completed - completedBefore;
  const windowBytes = bytes - bytesBefore;
  const peakRssBytes = poller ? poller.stop() : peakRss();
  const connections = openSockets() - socketsBefore;

  stop = true;
  await waitOrSettle(30_000, lanes);
  if (failure !== undefined) throw failure;
  return {
    requests,
    bytes: windowBytes,
    seconds: elapsedSeconds(start, end),
    cpuMicros: cpuMicros(start, end),
    peakRssBytes,
    connections,
    cpu: cpuShares(start, end, job.clockTicks),
    httpVersions: [...versions].sort(),
  };
}

async function runStream(job: StreamJob, handle: ClientHandle): Promise<StreamSample> {
  await handle.stream(`${job.origin}${job.warmupPath}`);
  globalThis.gc?.();
  const baselineRssBytes = currentRss();
  const poller = resetPeakRss() ? null : pollPeakRss();
  const start = readEdge(job.serverPid);
  const bytes = await handle.stream(`${job.origin}${job.scenario.path}`);
  const end = readEdge(job.serverPid);
  const peakRssBytes = poller ? poller.stop() : peakRss();
  if (bytes !== job.scenario.responseBytes) {
    throw new Error(`streamed ${bytes} bytes, expected ${job.scenario.responseBytes}`);
  }
  return {
    bytes,
    seconds: elapsedSeconds(start, end),
    cpuMicros: cpuMicros(start, end),
    baselineRssBytes,
    peakRssBytes,
    cpu: cpuShares(start, end, job.clockTicks),
  };
}

async function run(job: Job): Promise<Sample> {
  if (job.injectFailure) throw new Error("failure injected with --inject-failure");
  if (job.kind === "download") return runDownloads(job);
  if (job.kind === "handshake") return runHandshakes(job);
  const client = findClient(job.protocol, job.clientId);
  // Counted before the client opens anything: some (node:http2) connect in open().
  const socketsBefore = openSockets();
  const handle = await client.open({ origin: job.origin, caPem: job.caPem });
  try {
    return job.kind === "throughput"
      ? await runThroughput(job, handle, socketsBefore)
      : await runStream(job, handle);
  } finally {
    await handle.close();
  }
}

function reply(message: WorkerReply<Sample>): void {
  // Exit as soon as the reply is out: keep-alive sockets and agents would otherwise hold the
  // process open, and a row's figures are already taken.
  process.send?.(message, () => process.exit(0));
}

process.once("message", (job: Job) => {
  run(job).then(
    (sample) => reply({ ok: true, sample }),
    (error: unknown) =>
      reply({ ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
  );
});
