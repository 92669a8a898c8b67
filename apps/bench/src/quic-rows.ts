import type { DownloadJob, DownloadSample, HandshakeJob, HandshakeSample } from "./job.js";
import { cpuMicros, cpuShares, elapsedSeconds, readEdge } from "./measure-window.js";
import { peakRss, pollPeakRss, resetPeakRss } from "./proc-stat.js";
import { findDownloadClient, findHandshakeClient } from "./quic-clients.js";

/**
 * The QUIC rows, run inside a row worker (a fresh process per row, like every other row): the
 * downloads from caddy and the handshakes to it.
 */

/**
 * One warm-up download, checked by length and SHA-256, then downloads one after another on the
 * same client (one connection, but a new gtlsclient process each time) until the window is over,
 * each checked by length.
 */
export async function runDownloads(job: DownloadJob): Promise<DownloadSample> {
  const { scenario } = job;
  const client = findDownloadClient(job.clientId);
  const handle = await client.open(job.caddy);
  try {
    const path = `/${scenario.fileName}`;
    const check = (bytes: number) => {
      if (bytes !== scenario.bytes)
        throw new Error(`${client.label}: read ${bytes} bytes, expected ${scenario.bytes}`);
    };
    const warm = await handle.download(path, { sha256: true });
    check(warm.bytes);
    if (warm.sha256 !== job.sha256)
      throw new Error(`${client.label}: body SHA-256 ${String(warm.sha256)}, expected ${job.sha256}`);
    globalThis.gc?.();

    const versions = new Set<string>();
    let downloads = 0;
    let bytes = 0;
    let childMicros = 0;
    let childCpuKnown = true;
    const poller = client.external || resetPeakRss() ? null : pollPeakRss();
    const start = readEdge(job.serverPid);
    do {
      const got = await handle.download(path, { sha256: false });
      check(got.bytes);
      downloads += 1;
      bytes += got.bytes;
      if (got.httpVersion !== null) versions.add(got.httpVersion);
      if (client.external) {
        if (got.childCpuMicros === null || got.childCpuMicros === undefined) childCpuKnown = false;
        else childMicros += got.childCpuMicros;
      }
    } while (performance.now() - start.wallMs < scenario.measureMs);
    const end = readEdge(job.serverPid);
    const peakRssBytes = client.external ? null : poller ? poller.stop() : peakRss();
    return {
      downloads,
      bytes,
      seconds: elapsedSeconds(start, end),
      cpuMicros: client.external ? (childCpuKnown ? childMicros : null) : cpuMicros(start, end),
      peakRssBytes,
      cpu: cpuShares(start, end, job.clockTicks, childMicros),
      httpVersions: [...versions].sort(),
    };
  } finally {
    await handle.close();
  }
}

/** Handshakes one at a time, each connection closed before the next: warm-up, then the window. */
export async function runHandshakes(job: HandshakeJob): Promise<HandshakeSample> {
  const { scenario } = job;
  const handle = await findHandshakeClient(job.clientId).open(job.caddy);
  const once = async (): Promise<number> => {
    const { ms, close } = await handle.handshake();
    await close();
    return ms;
  };
  const warmupEnd = performance.now() + scenario.warmupMs;
  do await once();
  while (performance.now() < warmupEnd);
  globalThis.gc?.();

  const handshakeMs: number[] = [];
  const start = readEdge(job.serverPid);
  do handshakeMs.push(await once());
  while (performance.now() - start.wallMs < scenario.measureMs);
  const end = readEdge(job.serverPid);
  return {
    handshakes: handshakeMs.length,
    seconds: elapsedSeconds(start, end),
    handshakeMs: handshakeMs.sort((a, b) => a - b).map((ms) => Math.round(ms * 1000) / 1000),
    cpuMicros: cpuMicros(start, end),
    cpu: cpuShares(start, end, job.clockTicks),
  };
}
