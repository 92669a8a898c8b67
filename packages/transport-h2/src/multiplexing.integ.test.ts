import type { Http2Session } from "node:http2";
import { describe, expect, it } from "vitest";
import {
  bytes,
  deferred,
  eventually,
  prepared,
  readAll,
  readText,
  sendOptions,
  sha256,
  useFixtures,
} from "../test/helpers.js";

const fixtures = useFixtures();

describe("multiplexing", () => {
  it("runs 100 concurrent GETs on one TCP connection", async () => {
    const server = await fixtures.serve(
      (stream, headers) => {
        stream.respond({ ":status": 200 });
        stream.end(`reply to ${headers[":path"]}`);
      },
      { tls: true },
    );
    const transport = fixtures.transport();
    const responses = await Promise.all(
      Array.from({ length: 100 }, (_, i) => transport.send(prepared(`${server.origin}/${i}`), sendOptions())),
    );
    const texts = await Promise.all(responses.map((r) => readText(r.body)));
    expect(texts).toEqual(Array.from({ length: 100 }, (_, i) => `reply to /${i}`));
    expect(server.connections).toBe(1);
    expect(server.handshakes).toBe(1);
    // The first stream opened the session; every other one reused it.
    expect(responses.filter((r) => r.connInfo?.reused === false)).toHaveLength(1);
    expect(responses.every((r) => r.httpVersion === 20 && r.connInfo?.protocol === "h2")).toBe(true);
  });

  it("queues past SETTINGS_MAX_CONCURRENT_STREAMS when no more sessions are allowed", async () => {
    const open = new Map<Http2Session, number>();
    let peak = 0;
    const server = await fixtures.serve(
      (stream, _headers, session) => {
        const now = (open.get(session) ?? 0) + 1;
        open.set(session, now);
        peak = Math.max(peak, now);
        stream.once("close", () => open.set(session, open.get(session)! - 1));
        // Held a moment so the limit is really reached.
        setTimeout(() => {
          stream.respond({ ":status": 200 });
          stream.end("ok");
        }, 10);
      },
      { settings: { maxConcurrentStreams: 5 } },
    );
    const transport = fixtures.transport({ h2c: true, poolMaxsize: 1 });
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => transport.send(prepared(`${server.origin}/${i}`), sendOptions())),
    );
    expect(await Promise.all(responses.map((r) => readText(r.body)))).toEqual(Array(20).fill("ok"));
    expect(server.connections).toBe(1);
    expect(peak).toBe(5);
  });

  it("opens more sessions, up to poolMaxsize, when the stream limit is reached", async () => {
    const perSession = new Map<Http2Session, number>();
    let peak = 0;
    const allArrived = deferred();
    let arrived = 0;
    const server = await fixtures.serve(
      async (stream, _headers, session) => {
        const now = (perSession.get(session) ?? 0) + 1;
        perSession.set(session, now);
        peak = Math.max(peak, now);
        stream.once("close", () => perSession.set(session, perSession.get(session)! - 1));
        if (++arrived === 15) allArrived.resolve();
        // Hold every stream until 15 are open at once: 3 sessions of 5.
        await allArrived.promise;
        stream.respond({ ":status": 200 });
        stream.end("ok");
      },
      { settings: { maxConcurrentStreams: 5 } },
    );
    const transport = fixtures.transport({ h2c: true, poolMaxsize: 3 });
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => transport.send(prepared(`${server.origin}/${i}`), sendOptions())),
    );
    expect(await Promise.all(responses.map((r) => readText(r.body)))).toEqual(Array(20).fill("ok"));
    expect(server.connections).toBe(3);
    expect(peak).toBe(5);
  });

  it("downloads 32 MiB byte-exact on one stream", async () => {
    const payload = bytes(32 * 1024 * 1024, 3);
    const server = await fixtures.serve(
      (stream) => {
        stream.respond({ ":status": 200, "content-length": String(payload.length) });
        stream.end(payload);
      },
      { tls: true },
    );
    const transport = fixtures.transport();
    const response = await transport.send(prepared(`${server.origin}/big`), sendOptions());
    const received = await readAll(response.body);
    expect(received.length).toBe(payload.length);
    expect(sha256(received)).toBe(sha256(payload));
  });

  it("announces a large stream window and raises the connection window", async () => {
    let seen: { initialWindowSize: number | undefined; remoteWindow: number | undefined } | undefined;
    const server = await fixtures.serve((stream, _headers, session) => {
      seen = {
        initialWindowSize: session.remoteSettings.initialWindowSize,
        remoteWindow: session.state.remoteWindowSize,
      };
      stream.respond({ ":status": 200 });
      stream.end();
    });
    const transport = fixtures.transport({ h2c: true });
    await readAll((await transport.send(prepared(`${server.origin}/`), sendOptions())).body);
    expect(seen?.initialWindowSize).toBe(8 * 1024 * 1024);
    // The WINDOW_UPDATE for the connection may land just after the first request.
    await eventually(
      () => [...server.sessions][0]?.state.remoteWindowSize === 16 * 1024 * 1024,
      "the connection window to reach 16 MiB",
    );
  });

  it("streams a request body with back-pressure: the producer waits for the server", async () => {
    const serverReading = deferred();
    let produced = 0;
    let producedBeforeServerRead = 0;
    const server = await fixtures.serve(async (stream) => {
      // Let the client fill every window and buffer before reading anything.
      await new Promise((resolve) => setTimeout(resolve, 100));
      producedBeforeServerRead = produced;
      serverReading.resolve();
      let total = 0;
      for await (const chunk of stream) total += (chunk as Buffer).length;
      stream.respond({ ":status": 200 });
      stream.end(String(total));
    });
    async function* body(): AsyncGenerator<Uint8Array> {
      const chunk = bytes(64 * 1024, 9);
      for (let i = 0; i < 256; i++) {
        produced += chunk.length;
        yield chunk;
      }
    }
    const transport = fixtures.transport({ h2c: true });
    const response = await transport.send(
      prepared(`${server.origin}/upload`, { method: "POST", body: body() }),
      sendOptions(),
    );
    expect(await readText(response.body)).toBe(String(16 * 1024 * 1024));
    await serverReading.promise;
    // The server's 64 KiB windows plus node's stream buffer: far below the 16 MiB body.
    expect(producedBeforeServerRead).toBeLessThan(2 * 1024 * 1024);
  });

  it("keeps sessions apart per TLS settings and LRU-evicts origins past poolConnections", async () => {
    const a = await fixtures.serve((stream) => {
      stream.respond({ ":status": 200 });
      stream.end("a");
    });
    const b = await fixtures.serve((stream) => {
      stream.respond({ ":status": 200 });
      stream.end("b");
    });
    const transport = fixtures.transport({ h2c: true, poolConnections: 1 });
    expect(await readText((await transport.send(prepared(`${a.origin}/`), sendOptions())).body)).toBe("a");
    expect(await readText((await transport.send(prepared(`${b.origin}/`), sendOptions())).body)).toBe("b");
    // a's pool was evicted (closed gracefully); going back opens a new session.
    await eventually(() => a.sessions.size === 0, "the evicted origin's session to close");
    expect(await readText((await transport.send(prepared(`${a.origin}/`), sendOptions())).body)).toBe("a");
    expect(a.connections).toBe(2);
  });
});
