import { PreparedRequest, ReplayableBody } from "@nq/models";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DigestServer, perform, type RouteOptions } from "../test/digest-server.js";
import { HTTPDigestAuth } from "./index.js";

const ALGORITHMS = [
  undefined,
  "MD5",
  "MD5-sess",
  "SHA",
  "SHA-256",
  "SHA-256-sess",
  "SHA-512",
  "SHA-512-256",
  "SHA-512-256-sess",
] as const;
const QOPS = ["auth", "auth-int", "none"] as const;

const routes: Record<string, RouteOptions> = {
  stale: { algorithm: "SHA-256", qop: "auth", staleAfter: 1 },
  userhash: { algorithm: "SHA-512-256", qop: "auth", userhash: true },
};
for (const algorithm of ALGORITHMS) {
  for (const qop of QOPS) {
    routes[`${algorithm ?? "default"}/${qop}`] = { algorithm, qop: qop === "none" ? undefined : qop };
  }
}

let server: DigestServer;
beforeAll(async () => {
  server = await DigestServer.start(routes);
});
afterAll(async () => {
  await server[Symbol.asyncDispose]();
});

const body = new TextEncoder().encode('{"hello": "wörld"}');

function post(path: string, data: Uint8Array | ReplayableBody = body): PreparedRequest {
  const request = new PreparedRequest().prepare({
    method: "POST",
    url: `${server.origin}/${path}?q=1`,
    data: body,
  });
  request.body = data;
  return request;
}

describe("Digest against a server that verifies it", () => {
  const cases = ALGORITHMS.flatMap((algorithm) => QOPS.map((qop) => [algorithm ?? "default", qop] as const));

  it.each(cases)("%s with qop %s: one 401, then preemptive", async (algorithm, qop) => {
    const auth = new HTTPDigestAuth(server.username, server.password);
    const path = `${algorithm}/${qop}`;
    const answerable = !(qop === "none" && algorithm.endsWith("-sess"));
    const first = await perform(auth, post(path));
    if (!answerable) {
      // RFC 2617: a -sess key needs a cnonce, which only a qop allows; nq leaves the 401.
      expect(first.statusCode).toBe(401);
      expect(first.history).toHaveLength(0);
      return;
    }
    expect(first.statusCode, new TextDecoder().decode(first.content)).toBe(200);
    expect(first.history.map((r) => r.statusCode)).toEqual([401]);
    expect(first.json()).toEqual({
      qop: qop === "none" ? null : qop,
      nc: qop === "none" ? null : "00000001",
    });

    const replayable = new ReplayableBody(async function* () {
      yield body.subarray(0, 3);
      yield body.subarray(3);
    }, body.length);
    const second = await perform(auth, post(path, replayable));
    expect(second.statusCode).toBe(200);
    expect(second.history).toHaveLength(0);
    if (qop !== "none") expect(second.json()).toMatchObject({ nc: "00000002" });
  });

  it("stops after one answer when the password is wrong", async () => {
    const before = server.log.length;
    const response = await perform(new HTTPDigestAuth(server.username, "wrong"), post("SHA-256/auth"));
    expect(response.statusCode).toBe(401);
    expect(response.history.map((r) => r.statusCode)).toEqual([401]);
    expect(server.log.length - before).toBe(2);
  });

  it("answers stale=true with the new nonce", async () => {
    const auth = new HTTPDigestAuth(server.username, server.password);
    expect((await perform(auth, post("stale"))).statusCode).toBe(200);
    // The nonce served once; the preemptive answer draws stale=true, answered once more.
    const again = await perform(auth, post("stale"));
    expect(again.statusCode).toBe(200);
    expect(again.history.map((r) => r.statusCode)).toEqual([401]);
    expect(again.history[0]!.headers.get("www-authenticate")).toContain("stale=true");
  });

  it("hashes the username when the server asks for userhash", async () => {
    const response = await perform(new HTTPDigestAuth(server.username, server.password), post("userhash"));
    expect(response.statusCode).toBe(200);
  });
});
