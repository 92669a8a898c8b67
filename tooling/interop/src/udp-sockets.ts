import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/**
 * The inodes of the UDP sockets this process holds open, from /proc: a file descriptor that
 * links to `socket:[inode]` and an inode listed in /proc/self/net/udp or udp6. A test takes the
 * set before a connection attempt and checks that none is left after it failed, so a client
 * that forgets to close its socket on a failed handshake cannot pass.
 */
export function ownUdpSockets(): Set<string> {
  const open = new Set<string>();
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (match) open.add(match[1]!);
    } catch {
      // Closed while we looked (the directory's own descriptor, for one).
    }
  }
  const udp = new Set<string>();
  for (const table of ["/proc/self/net/udp", "/proc/self/net/udp6"]) {
    let text = "";
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode …
    for (const line of text.split("\n").slice(1)) {
      const inode = line.trim().split(/\s+/)[9];
      if (inode !== undefined && open.has(inode)) udp.add(inode);
    }
  }
  return udp;
}

/** Waits up to `timeout` ms for this process to hold no UDP socket beyond `baseline`; returns those left. */
export async function udpSocketsLeftOver(baseline: ReadonlySet<string>, timeout = 2_000): Promise<string[]> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const extra = [...ownUdpSockets()].filter((inode) => !baseline.has(inode));
    if (extra.length === 0 || Date.now() > deadline) return extra;
    await new Promise((r) => setTimeout(r, 20));
  }
}
