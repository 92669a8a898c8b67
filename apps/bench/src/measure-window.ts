import type { CpuShares } from "./job.js";
import { machineBusyTicks, processCpuNanos } from "./proc-stat.js";

/** Counters read at both edges of a measured window. */
export interface Edge {
  readonly wallMs: number;
  readonly cpu: NodeJS.CpuUsage;
  readonly serverNanos: number;
  readonly machineTicks: number;
}

export function readEdge(serverPid: number): Edge {
  return {
    wallMs: performance.now(),
    cpu: process.cpuUsage(),
    serverNanos: processCpuNanos(serverPid),
    machineTicks: machineBusyTicks(),
  };
}

export function elapsedSeconds(start: Edge, end: Edge): number {
  return (end.wallMs - start.wallMs) / 1000;
}

export function cpuMicros(start: Edge, end: Edge): number {
  return end.cpu.user - start.cpu.user + (end.cpu.system - start.cpu.system);
}

/**
 * CPU shares over the window. `childMicros` is CPU of a client that ran in child processes of this
 * one (gtlsclient), counted as the client's so that it is not blamed on other tenants.
 */
export function cpuShares(start: Edge, end: Edge, clockTicks: number, childMicros = 0): CpuShares {
  const seconds = elapsedSeconds(start, end);
  const client = (cpuMicros(start, end) + childMicros) / 1e6 / seconds;
  const server = (end.serverNanos - start.serverNanos) / 1e9 / seconds;
  const busy = (end.machineTicks - start.machineTicks) / clockTicks / seconds;
  // The machine counter moves in 10 ms ticks, so over a short window this can dip below zero.
  return { client, server, other: Math.max(0, busy - client - server) };
}
