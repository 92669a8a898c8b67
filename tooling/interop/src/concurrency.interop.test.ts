/**
 * Multiplexing across real HTTP/2 peers: many concurrent requests on one nq Session share one
 * TCP connection, counted at the server from its access log (the client port of each request),
 * and each stream gets its own answer, byte for byte.
 */
import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, inject, it } from "vitest";
import { CADDY, client, HYPERCORN, type Pass } from "./passes.js";
import { jsonOf } from "./semantics-support.js";

/** One request as the server logged it. */
interface Logged {
  readonly clientPort: number;
  readonly target: string;
  readonly protocol: string;
  readonly status: number;
}

/** Caddy's JSON access log: `{"request":{"remote_port":"…","proto":"HTTP/2.0","uri":"…"},"status":…}`. */
function caddyLog(path: string): Logged[] {
  return readLines(path).map((line) => {
    const entry = JSON.parse(line) as {
      request: { remote_port: string; proto: string; uri: string };
      status: number;
    };
    return {
      clientPort: Number(entry.request.remote_port),
      target: entry.request.uri,
      protocol: entry.request.proto,
      status: entry.status,
    };
  });
}

/** Hypercorn's access log as the launcher formats it: `… access ip:port METHOD path?query version status`. */
function hypercornLog(path: string): Logged[] {
  return readLines(path).flatMap((line) => {
    const match = / access \S+:(\d+) \S+ (\S+) (\S+) (\d+)$/.exec(line);
    if (!match) return [];
    const [, clientPort, target, version, status] = match;
    return [
      {
        clientPort: Number(clientPort),
        target: target!,
        protocol: `HTTP/${version}`,
        status: Number(status),
      },
    ];
  });
}

function readLines(path: string): string[] {
  try {
    return readFileSync(path, "utf8").split("\n").filter(Boolean);
  } catch {
    return [];
  }
}

/** The server's log entries whose target contains `tag`, once there are `count` of them (5 s at most). */
async function loggedWith(read: () => Logged[], tag: string, count: number): Promise<Logged[]> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const entries = read().filter((entry) => entry.target.includes(tag));
    if (entries.length >= count || Date.now() > deadline) return entries;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const peers: ReadonlyArray<{ pass: Pass; log: () => Logged[]; protocol: string }> = [
  { pass: CADDY, log: () => caddyLog(inject("caddyAccessLog")), protocol: "HTTP/2.0" },
  // hypercorn's scope says "2" for HTTP/2.
  { pass: HYPERCORN, log: () => hypercornLog(inject("hypercornAccessLog")), protocol: "HTTP/2" },
];

const UPLOADS = 20;

const sha256 = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");

for (const { pass, log, protocol } of peers) {
  describe(pass.name, () => {
    const api = client(pass);

    it("100 concurrent GETs on one Session all complete over exactly one TCP connection", async () => {
      const tag = `run-${randomBytes(6).toString("hex")}`;
      await using session = api.session();
      const responses = await Promise.all(
        Array.from({ length: 100 }, (_, i) => session.get(`${pass.base}/get?tag=${tag}&i=${i}`)),
      );
      // Each stream got its own answer.
      expect(responses.map((r) => r.statusCode)).toEqual(Array(100).fill(200));
      expect(responses.map((r) => jsonOf(r).args?.i)).toEqual(responses.map((_, i) => String(i)));
      // The client's view: one local port, one connection opened (the others reused it).
      const localPorts = new Set(responses.map((r) => r.connInfo?.localPort));
      expect(localPorts.size).toBe(1);
      expect(responses.filter((r) => r.connInfo?.reused === false)).toHaveLength(1);
      // The server's view: 100 requests over HTTP/2 from that one client port.
      const logged = await loggedWith(log, tag, 100);
      expect(logged).toHaveLength(100);
      expect(new Set(logged.map((entry) => entry.clientPort))).toEqual(localPorts);
      expect(new Set(logged.map((entry) => `${entry.protocol} ${entry.status}`))).toEqual(
        new Set([`${protocol} 200`]),
      );
    });

    // Multiplexed bodies larger than HTTP/2's initial 64 KiB stream window, both ways: each
    // stream uploads its own random bytes and must get exactly those back in httpbin's echo.
    // (Not /bytes?seed=n against Requests: under hypercorn's threads httpbin's seeded
    // generator is the process-global `random`, which concurrent requests interleave.)
    it(`${UPLOADS} concurrent 100 KiB uploads on one connection are echoed byte-exact`, async () => {
      await using session = api.session();
      const bodies = Array.from({ length: UPLOADS }, () => new Uint8Array(randomBytes(100 * 1024)));
      const responses = await Promise.all(
        bodies.map((data, i) =>
          session.post(`${pass.base}/anything?i=${i}`, {
            data,
            headers: { "Content-Type": "application/octet-stream" },
          }),
        ),
      );
      expect(new Set(responses.map((r) => r.connInfo?.localPort)).size).toBe(1);
      for (const [i, r] of responses.entries()) {
        const echo = jsonOf(r);
        expect(echo.args).toEqual({ i: String(i) });
        const prefix = "data:application/octet-stream;base64,";
        expect(echo.data?.startsWith(prefix)).toBe(true);
        const received = Buffer.from(echo.data!.slice(prefix.length), "base64");
        expect(sha256(received)).toBe(sha256(bodies[i]!));
      }
    });
  });
}
