import { readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";

/**
 * Linux process and machine counters from /proc. The bench runs on Linux only (h2o from apt is
 * the server), so these read /proc directly instead of guessing from wall time.
 */

/**
 * CPU time a process has used, all threads, in nanoseconds, from the scheduler's own
 * accounting (schedstat). The tick counters of /proc/<pid>/stat move in 10 ms steps and sample
 * which task holds the CPU at each tick, which is far off for a server that runs in short bursts
 * between a client's requests.
 */
export function processCpuNanos(pid: number): number {
  let total = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, "utf8").split(" ", 1)[0]);
    } catch {
      // The thread ended between the listing and the read; its time is gone with it.
    }
  }
  return total;
}

/**
 * CPU ticks the whole machine spent on tasks (user, nice, system) or lost to the hypervisor
 * (steal), summed over all CPUs. Interrupt and softirq time is left out: on loopback that is
 * mostly the bench's own packets, and charging it to "others" would blame other tenants for it.
 */
export function machineBusyTicks(): number {
  const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0] ?? "";
  const [user = 0, nice = 0, system = 0, , , , , steal = 0] = line.trim().split(/\s+/).slice(1).map(Number);
  return user + nice + system + steal;
}

function statusField(field: "VmHWM" | "VmRSS"): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(readFileSync("/proc/self/status", "utf8"));
  return match ? Number(match[1]) * 1024 : Number.NaN;
}

/** Resident set size of this process now, in bytes. */
export function currentRss(): number {
  return statusField("VmRSS");
}

/** Highest resident set size of this process since start or the last {@link resetPeakRss}, in bytes. */
export function peakRss(): number {
  return statusField("VmHWM");
}

/**
 * Resets VmHWM to the current RSS (Linux 4.0+), so the peak covers the measured window and not
 * module loading or warm-up. Returns false where the kernel or a sandbox refuses it.
 */
export function resetPeakRss(): boolean {
  try {
    writeFileSync("/proc/self/clear_refs", "5");
    return true;
  } catch {
    return false;
  }
}

/** Tracks the highest RSS by polling, for kernels that refuse to reset VmHWM. */
export function pollPeakRss(): { stop(): number } {
  let peak = currentRss();
  const timer = setInterval(() => {
    peak = Math.max(peak, currentRss());
  }, 20);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, currentRss());
    },
  };
}

/** Sockets this process holds open: TCP connections plus whatever IPC channel it has. */
export function openSockets(): number {
  let count = 0;
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith("socket:")) count += 1;
    } catch {
      // The fd list includes the directory handle used to read it, gone by the time it is read.
    }
  }
  return count;
}
