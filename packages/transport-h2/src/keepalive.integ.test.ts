import { createServer as createNetServer, connect as netConnect, type Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { eventually, prepared, readText, sendOptions, sleep, useFixtures } from "../test/helpers.js";

const fixtures = useFixtures();

function ok(stream: import("node:http2").ServerHttp2Stream): void {
  stream.respond({ ":status": 200 });
  stream.end("ok");
}

describe("keepalive", () => {
  it("PINGs an idle session every idle window, then closes it keepaliveDelay after its last stream", async () => {
    const server = await fixtures.serve(ok);
    const transport = fixtures.transport({ h2c: true, keepaliveIdleWindow: 20, keepaliveDelay: 200 });
    expect(await readText((await transport.send(prepared(`${server.origin}/`), sendOptions())).body)).toBe(
      "ok",
    );
    await eventually(() => server.pings >= 2, "the server to receive two PINGs");
    await eventually(() => server.closedSessions === 1, "the idle session to be closed by the client");
    const pingsAtClose = server.pings;
    await sleep(60);
    expect(server.pings, "no PINGs after the session closed").toBe(pingsAtClose);
    // The next request opens a new session.
    expect(await readText((await transport.send(prepared(`${server.origin}/`), sendOptions())).body)).toBe(
      "ok",
    );
    expect(server.connections).toBe(2);
  });

  it("sends no PING with keepaliveIdleWindow null", async () => {
    const server = await fixtures.serve(ok);
    const transport = fixtures.transport({ h2c: true, keepaliveIdleWindow: null, keepaliveDelay: 100 });
    await readText((await transport.send(prepared(`${server.origin}/`), sendOptions())).body);
    await eventually(() => server.closedSessions === 1, "the idle session to be closed by the client");
    expect(server.pings).toBe(0);
  });

  it("keeps an idle session with keepaliveDelay null", async () => {
    const server = await fixtures.serve(ok);
    const transport = fixtures.transport({ h2c: true, keepaliveIdleWindow: 10, keepaliveDelay: null });
    await readText((await transport.send(prepared(`${server.origin}/`), sendOptions())).body);
    await eventually(() => server.pings >= 3, "PINGs on the idle session");
    expect(server.closedSessions).toBe(0);
    await readText((await transport.send(prepared(`${server.origin}/`), sendOptions())).body);
    expect(server.connections).toBe(1);
  });

  it("destroys a session whose PING goes unanswered, and reconnects", async () => {
    const server = await fixtures.serve(ok);
    // A TCP relay that can stop forwarding the server's bytes: the peer goes silent.
    let silent = false;
    const relayed = new Set<Socket>();
    let clientClosed = 0;
    const relay = createNetServer((client) => {
      const upstream = netConnect(server.port, "127.0.0.1");
      relayed.add(client).add(upstream);
      client.on("error", () => {});
      upstream.on("error", () => {});
      client.on("data", (chunk) => upstream.write(chunk));
      upstream.on("data", (chunk) => {
        if (!silent) client.write(chunk);
      });
      client.once("close", () => {
        clientClosed++;
        upstream.destroy();
      });
      upstream.once("close", () => client.destroy());
    });
    await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
    try {
      const origin = `http://127.0.0.1:${(relay.address() as { port: number }).port}`;
      const transport = fixtures.transport({ h2c: true, keepaliveIdleWindow: 20, keepaliveDelay: null });
      await readText((await transport.send(prepared(`${origin}/`), sendOptions())).body);
      silent = true;
      await eventually(() => clientClosed === 1, "the client to give up on the silent session");
      silent = false;
      expect(await readText((await transport.send(prepared(`${origin}/`), sendOptions())).body)).toBe("ok");
      expect(server.connections).toBe(2);
    } finally {
      for (const socket of relayed) socket.destroy();
      await new Promise((resolve) => relay.close(resolve));
    }
  });
});
