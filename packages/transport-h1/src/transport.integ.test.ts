import { randomBytes } from "node:crypto";
import { Headers, ReplayableBody, TransportError } from "@nq/models";
import type { FixtureServer } from "@nq/testkit";
import { describe, expect, it } from "vitest";
import {
  firstChunkThenRest,
  prepared,
  readAll,
  sendOptions,
  sleep,
  transportFailure,
  useFixtures,
} from "../test/helpers.js";
import { HTTP1Transport } from "./index.js";

const { serve, respondRaw, transport } = useFixtures();

describe("HTTP1Transport: request and response", () => {
  it("sends a GET and reads status, reason, version and body", async () => {
    const server = await serve((_req, res) => {
      res.statusMessage = "Fine Thanks";
      res.end("hello");
    });
    const t = transport();
    const response = await t.send(prepared(`${server.origin}/path?q=1#frag`), sendOptions());
    expect(response.statusCode).toBe(200);
    expect(response.reason).toBe("Fine Thanks");
    expect(response.httpVersion).toBe(11);
    expect((await readAll(response.body)).toString()).toBe("hello");
    expect(await response.trailers).toBeUndefined();
  });

  it("keeps repeated response fields and their case", async () => {
    const server = await respondRaw((socket) => {
      socket.write(
        "HTTP/1.1 200 OK\r\nX-Custom-CASE: a\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\nx-custom-case: b\r\nContent-Length: 0\r\n\r\n",
      );
    });
    const response = await transport().send(prepared(server.url), sendOptions());
    expect(response.headers.raw()).toEqual([
      ["X-Custom-CASE", "a"],
      ["Set-Cookie", "a=1"],
      ["set-cookie", "b=2"],
      ["x-custom-case", "b"],
      ["Content-Length", "0"],
    ]);
    expect(response.headers.getSetCookie()).toEqual(["a=1", "b=2"]);
    expect(response.headers.get("X-CUSTOM-case")).toBe("a, b");
    await readAll(response.body);
  });

  it("decodes header bytes as latin1", async () => {
    const server = await respondRaw((socket) => {
      socket.write(
        Buffer.concat([
          Buffer.from("HTTP/1.1 200 OK\r\nX-Name: caf"),
          Buffer.from([0xe9]),
          Buffer.from("\r\nContent-Length: 0\r\n\r\n"),
        ]),
      );
    });
    const response = await transport().send(prepared(server.url), sendOptions());
    expect(response.headers.get("x-name")).toBe("café");
    await readAll(response.body);
  });

  it("sends the caller's headers in order and case, the Host header, and the path without the fragment", async () => {
    let head = "";
    const server = await respondRaw((socket, text) => {
      head = text;
      socket.end("HTTP/1.1 204 No Content\r\n\r\n");
    });
    const headers = new Headers([
      ["X-First", "1"],
      ["x-repeat", "a"],
      ["X-Repeat", "b"],
      ["Host", "example.test"],
      ["Transfer-Encoding", "chunked"],
      ["Keep-Alive", "timeout=5"],
      ["Connection", "keep-alive"],
    ]);
    const request = prepared(`${server.origin}/a/b?x=1&y=%20#fragment`);
    request.headers = headers;
    const response = await transport().send(request, sendOptions());
    expect(response.statusCode).toBe(204);
    await readAll(response.body);
    const lines = head.split("\r\n");
    expect(lines[0]).toBe("GET /a/b?x=1&y=%20 HTTP/1.1");
    expect(lines).toContain("host: example.test");
    expect(lines).toContain("X-First: 1");
    expect(lines.indexOf("x-repeat: a")).toBeLessThan(lines.indexOf("X-Repeat: b"));
    expect(lines.filter((l) => /^transfer-encoding|^keep-alive/i.test(l))).toEqual([]);
    expect(lines.filter((l) => /^connection/i.test(l))).toEqual(["connection: keep-alive"]);
  });

  it("honours a caller's Connection: close", async () => {
    let connection: string | undefined;
    const server = await serve((req, res) => {
      connection = req.headers.connection;
      res.end("bye");
    });
    const t = transport();
    const request = prepared(server.url, { headers: { Connection: "close" } });
    const response = await t.send(request, sendOptions());
    expect((await readAll(response.body)).toString()).toBe("bye");
    expect(connection).toBe("close");
    await server.waitForNoOpenConnections();
    const again = await t.send(prepared(server.url), sendOptions());
    await readAll(again.body);
    expect(server.connections).toBe(2);
  });

  it("streams the body: the first chunk arrives before the server ends the response", async () => {
    let finish: () => void = () => {};
    const server = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("first");
      finish = () => res.end("last");
    });
    const response = await transport().send(prepared(server.url), sendOptions());
    const { first, rest } = await firstChunkThenRest(response.body, () => finish());
    expect(first).toBe("first");
    expect(rest).toBe("last");
  });

  it("reads a 1 MiB body byte-exact", async () => {
    const payload = randomBytes(1024 * 1024);
    const server = await serve((_req, res) => {
      res.setHeader("content-length", payload.length);
      res.end(payload);
    });
    const response = await transport().send(prepared(server.url), sendOptions());
    const body = await readAll(response.body);
    expect(body.length).toBe(payload.length);
    expect(body.equals(payload)).toBe(true);
  });

  it("applies back-pressure: an unread body does not pull the whole response into memory", async () => {
    const payload = Buffer.alloc(8 * 1024 * 1024, 7);
    let written = 0;
    let drained = true;
    const server = await serve((_req, res) => {
      res.setHeader("content-length", payload.length);
      const chunk = 64 * 1024;
      const pump = () => {
        while (written < payload.length) {
          const ok = res.write(payload.subarray(written, written + chunk));
          written += chunk;
          if (!ok) {
            drained = false;
            res.once("drain", () => {
              drained = true;
              pump();
            });
            return;
          }
        }
        res.end();
      };
      pump();
    });
    const response = await transport().send(prepared(server.url), sendOptions());
    await sleep(200);
    // Socket buffers hold some megabytes at most; the server is blocked long before 8 MiB.
    expect(drained).toBe(false);
    expect(written).toBeLessThan(payload.length);
    const body = await readAll(response.body);
    expect(body.length).toBe(payload.length);
  });
});

describe("HTTP1Transport: request bodies", () => {
  async function echo(): Promise<FixtureServer> {
    return serve((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        res.setHeader("x-transfer-encoding", req.headers["transfer-encoding"] ?? "none");
        res.setHeader("x-content-length", req.headers["content-length"] ?? "none");
        res.end(Buffer.concat(chunks));
      });
    });
  }

  it("sends bytes with their Content-Length and reports upload progress", async () => {
    const server = await echo();
    const progress: [number, number | null][] = [];
    const body = new TextEncoder().encode("payload bytes");
    const response = await transport().send(
      prepared(server.url, { method: "POST", body }),
      sendOptions({ onUploadProgress: (sent, total) => progress.push([sent, total]) }),
    );
    expect(response.headers.get("x-content-length")).toBe(String(body.length));
    expect(response.headers.get("x-transfer-encoding")).toBe("none");
    expect((await readAll(response.body)).toString()).toBe("payload bytes");
    expect(progress).toEqual([[body.length, body.length]]);
  });

  it("streams an async iterable chunked, with progress per chunk", async () => {
    const server = await echo();
    async function* chunks() {
      yield new TextEncoder().encode("one,");
      await sleep(5);
      yield new TextEncoder().encode("two,");
      yield new TextEncoder().encode("three");
    }
    const progress: [number, number | null][] = [];
    const response = await transport().send(
      prepared(server.url, { method: "POST", body: chunks() }),
      sendOptions({ onUploadProgress: (sent, total) => progress.push([sent, total]) }),
    );
    expect(response.headers.get("x-transfer-encoding")).toBe("chunked");
    expect((await readAll(response.body)).toString()).toBe("one,two,three");
    expect(progress).toEqual([
      [4, null],
      [8, null],
      [13, null],
    ]);
  });

  it("streams a ReplayableBody with the Content-Length given", async () => {
    const server = await echo();
    const text = new TextEncoder().encode("0123456789");
    const body = new ReplayableBody(async function* () {
      yield text.subarray(0, 4);
      yield text.subarray(4);
    }, text.length);
    const request = prepared(server.url, { method: "PUT", body, headers: { "Content-Length": "10" } });
    const progress: [number, number | null][] = [];
    const response = await transport().send(
      request,
      sendOptions({ onUploadProgress: (sent, total) => progress.push([sent, total]) }),
    );
    expect(response.headers.get("x-content-length")).toBe("10");
    expect(response.headers.get("x-transfer-encoding")).toBe("none");
    expect((await readAll(response.body)).toString()).toBe("0123456789");
    expect(progress.at(-1)).toEqual([10, 10]);
  });

  it("rejects with the caller's own error when the body stream throws", async () => {
    const server = await echo();
    const boom = new Error("source failed");
    async function* failing() {
      yield new TextEncoder().encode("partial");
      throw boom;
    }
    await expect(
      transport().send(prepared(server.url, { method: "POST", body: failing() }), sendOptions()),
    ).rejects.toBe(boom);
    await server.waitForNoOpenConnections();
  });

  it("refuses an invalid method before connecting, as a protocol error in the send phase", async () => {
    const server = await echo();
    const request = prepared(server.url);
    request.method = "GET /evil";
    const error = await transport()
      .send(request, sendOptions())
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      kind: "protocol",
      phase: "send",
      retryable: false,
      code: "UND_ERR_INVALID_ARG",
    });
    expect(server.connections).toBe(0);
  });

  it("refuses a request undici cannot send as a protocol error in the send phase", async () => {
    const server = await echo();
    const request = prepared(server.url, { method: "POST", body: new Uint8Array([1, 2, 3]) });
    request.headers.set("Content-Length", "10");
    const error = await transportFailure(transport().send(request, sendOptions()));
    expect(error).toMatchObject({ kind: "protocol", phase: "send", retryable: false });
  });
});

describe("HTTP1Transport: pools", () => {
  it("reuses one connection for ten sequential requests", async () => {
    const server = await serve((_req, res) => res.end("ok"));
    const t = transport();
    const infos = [];
    for (let i = 0; i < 10; i++) {
      const response = await t.send(prepared(`${server.origin}/${i}`), sendOptions());
      expect((await readAll(response.body)).toString()).toBe("ok");
      infos.push(response.connInfo);
    }
    expect(server.connections).toBe(1);
    expect(infos.map((info) => info?.reused)).toEqual([
      false,
      true,
      true,
      true,
      true,
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(new Set(infos.map((info) => info?.localPort)).size).toBe(1);
  });

  it("shares connections between requests with different timeouts", async () => {
    const server = await serve((_req, res) => res.end("ok"));
    const t = transport();
    const get = await t.send(prepared(server.url), sendOptions({ timeout: { connect: 1_000, read: 2_000 } }));
    await readAll(get.body);
    const post = await t.send(
      prepared(server.url, { method: "POST", body: new Uint8Array([1]) }),
      sendOptions({ timeout: { connect: 5_000, read: null, total: 9_000 } }),
    );
    await readAll(post.body);
    expect(server.connections).toBe(1);
    expect(post.connInfo?.reused).toBe(true);
  });

  /** A server that answers "slow" after 40 ms and records the most requests it held at once. */
  async function slowServer() {
    let inFlight = 0;
    let peak = 0;
    const server = await serve((_req, res) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      setTimeout(() => {
        inFlight--;
        res.end("slow");
      }, 40);
    });
    return { server, peak: () => peak };
  }

  /** Sends `count` GETs to distinct paths at once and returns their bodies. */
  async function getAll(t: HTTP1Transport, origin: string, count: number): Promise<string[]> {
    return Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const response = await t.send(prepared(`${origin}/${i}`), sendOptions());
        return (await readAll(response.body)).toString();
      }),
    );
  }

  it("opens more sockets than poolMaxsize under load and keeps poolMaxsize of them, as urllib3", async () => {
    const { server, peak } = await slowServer();
    const t = transport({ poolMaxsize: 4 });
    expect(await getAll(t, server.origin, 20)).toEqual(Array.from({ length: 20 }, () => "slow"));
    // Nobody waited for a socket: all twenty were served at once, each on its own.
    expect(peak()).toBe(20);
    expect(server.connections).toBe(20);
    // The extra sixteen close as their exchange ends; four stay for reuse.
    await server.waitForOpenConnections(4);
    expect(await getAll(t, server.origin, 4)).toEqual(["slow", "slow", "slow", "slow"]);
    expect(server.connections).toBe(20);
  });

  it("with poolBlock opens at most poolMaxsize sockets to one origin; other requests wait", async () => {
    const { server, peak } = await slowServer();
    const t = transport({ poolMaxsize: 4, poolBlock: true });
    expect(await getAll(t, server.origin, 20)).toEqual(Array.from({ length: 20 }, () => "slow"));
    expect(server.connections).toBeLessThanOrEqual(4);
    expect(peak()).toBeLessThanOrEqual(4);
    expect(peak()).toBeGreaterThan(1);
  });

  it("with poolBlock, close() still serves the requests waiting for a socket", async () => {
    const server = await serve((_req, res) => setTimeout(() => res.end("queued"), 20));
    const t = transport({ poolMaxsize: 1, poolBlock: true });
    const sends = Array.from({ length: 3 }, (_, i) =>
      t
        .send(prepared(`${server.origin}/${i}`), sendOptions())
        .then(async (r) => (await readAll(r.body)).toString()),
    );
    await new Promise((resolve) => setTimeout(resolve, 5));
    const closed = t.close();
    expect(await Promise.all(sends)).toEqual(["queued", "queued", "queued"]);
    await closed;
    expect(server.connections).toBe(1);
    await server.waitForNoOpenConnections();
  });

  it("keeps poolConnections origin pools and closes the least recently used one", async () => {
    const a = await serve((_req, res) => res.end("a"));
    const b = await serve((_req, res) => res.end("b"));
    const c = await serve((_req, res) => res.end("c"));
    const t = transport({ poolConnections: 2 });
    const get = async (server: FixtureServer) =>
      readAll((await t.send(prepared(server.url), sendOptions())).body);
    await get(a);
    await get(b);
    await get(a); // a is now the most recently used; b the least
    expect(a.openConnections).toBe(1);
    expect(b.openConnections).toBe(1);
    await get(c); // evicts b
    await b.waitForNoOpenConnections();
    expect(a.openConnections).toBe(1);
    expect(c.openConnections).toBe(1);
    await get(a);
    expect(a.connections).toBe(1);
    await get(b); // b comes back with a new pool and evicts c
    expect(b.connections).toBe(2);
    await c.waitForNoOpenConnections();
  });

  it("keys pools on TLS settings but not on plain-HTTP verify settings", async () => {
    const server = await serve((_req, res) => res.end("ok"));
    const t = transport();
    await readAll((await t.send(prepared(server.url), sendOptions({ verify: true }))).body);
    await readAll((await t.send(prepared(server.url), sendOptions({ verify: false }))).body);
    expect(server.connections).toBe(1);
  });
});

describe("HTTP1Transport: connection info", () => {
  it("describes the socket that served the request", async () => {
    const server = await serve((_req, res) => res.end("ok"));
    const response = await transport().send(prepared(server.url), sendOptions());
    await readAll(response.body);
    const info = response.connInfo!;
    expect(info).toMatchObject({
      protocol: "http/1.1",
      httpVersion: 11,
      remoteAddress: "127.0.0.1",
      remotePort: server.port,
      localAddress: "127.0.0.1",
      encrypted: false,
      tlsVersion: undefined,
      cipher: undefined,
      certificate: undefined,
      reused: false,
      tlsHandshakeLatency: undefined,
    });
    expect(info.localPort).toBeGreaterThan(0);
    expect(info.establishedLatency).toBeGreaterThanOrEqual(0);
  });

  it("reports HTTP/1.0 when the server answers with it", async () => {
    const server = await respondRaw((socket) =>
      socket.end("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nold"),
    );
    const response = await transport().send(prepared(server.url), sendOptions());
    expect(response.httpVersion).toBe(10);
    expect(response.connInfo?.httpVersion).toBe(10);
    expect((await readAll(response.body)).toString()).toBe("old");
  });

  it("connects from localAddress and over the requested family", async () => {
    const server = await serve((req, res) => res.end(req.socket.remoteAddress));
    const t = transport({ localAddress: "127.0.0.1", family: 4 });
    const response = await t.send(prepared(server.url), sendOptions());
    expect((await readAll(response.body)).toString()).toBe("127.0.0.1");
    expect(response.connInfo?.localAddress).toBe("127.0.0.1");
  });
});

describe("HTTP1Transport: informational responses and trailers", () => {
  it("delivers 103 Early Hints to onInformational and resolves with the final response", async () => {
    const server = await serve((_req, res) => {
      res.writeEarlyHints({
        link: ["</style.css>; rel=preload; as=style", "</app.js>; rel=preload; as=script"],
      });
      setTimeout(() => res.end("final"), 10);
    });
    const hints: [number, [string, string][]][] = [];
    const response = await transport().send(
      prepared(server.url),
      sendOptions({ onInformational: (status, headers) => hints.push([status, headers.raw()]) }),
    );
    expect(response.statusCode).toBe(200);
    expect((await readAll(response.body)).toString()).toBe("final");
    expect(hints).toHaveLength(1);
    expect(hints[0]![0]).toBe(103);
    expect(hints[0]![1].filter(([name]) => name.toLowerCase() === "link").map(([, v]) => v)).toEqual([
      "</style.css>; rel=preload; as=style, </app.js>; rel=preload; as=script",
    ]);
  });

  it("rejects with the caller's error when onInformational throws", async () => {
    const server = await serve((_req, res) => {
      res.writeEarlyHints({ link: "</a.css>; rel=preload" });
      setTimeout(() => res.end("final"), 10);
    });
    const oops = new Error("hook failed");
    await expect(
      transport().send(
        prepared(server.url),
        sendOptions({
          onInformational: () => {
            throw oops;
          },
        }),
      ),
    ).rejects.toBe(oops);
    await server.waitForNoOpenConnections();
    expect(server.connections).toBe(1);
  });

  it("resolves trailers after a chunked body", async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain", trailer: "X-Checksum, X-Count" });
      res.write("abc");
      res.write("def");
      res.addTrailers([
        ["X-Checksum", "abc123"],
        ["X-Count", "2"],
      ]);
      res.end();
    });
    const response = await transport().send(prepared(server.url), sendOptions());
    const trailers = response.trailers;
    expect((await readAll(response.body)).toString()).toBe("abcdef");
    const fields = await trailers;
    expect(fields?.raw()).toEqual([
      ["X-Checksum", "abc123"],
      ["X-Count", "2"],
    ]);
    expect(await response.trailers).toBe(fields);
  });
});

describe("HTTP1Transport: lifecycle", () => {
  it("validates its options", () => {
    expect(() => new HTTP1Transport({ poolMaxsize: 0 })).toThrow(RangeError);
    expect(() => new HTTP1Transport({ poolConnections: 1.5 })).toThrow(RangeError);
    expect(() => new HTTP1Transport({ localAddress: "localhost" })).toThrow(RangeError);
    expect(() => new HTTP1Transport({ family: 5 as 4 })).toThrow(RangeError);
    expect(() => new HTTP1Transport({ maxDecompressionRatio: 0 })).toThrow(RangeError);
  });

  it("handles http and https URLs only", () => {
    const t = transport();
    expect(t.canHandle(new URL("http://a.test/"))).toBe(true);
    expect(t.canHandle(new URL("https://a.test/"))).toBe(true);
    expect(t.canHandle(new URL("ftp://a.test/"))).toBe(false);
    expect(t.protocols).toEqual(["http/1.1"]);
  });

  it("refuses new requests after close with a closed TransportError", async () => {
    const server = await serve((_req, res) => res.end("ok"));
    const t = transport();
    await readAll((await t.send(prepared(server.url), sendOptions())).body);
    await t.close();
    await server.waitForNoOpenConnections();
    const error = await transportFailure(t.send(prepared(server.url), sendOptions()));
    expect(error).toMatchObject({ kind: "closed", phase: "connect", retryable: false });
  });

  it("close waits for an in-flight body to be read", async () => {
    const server = await serve((_req, res) => {
      res.write("part");
      setTimeout(() => res.end("rest"), 50);
    });
    const t = transport();
    const response = await t.send(prepared(server.url), sendOptions());
    let closed = false;
    const closing = t.close().then(() => {
      closed = true;
    });
    await sleep(10);
    expect(closed).toBe(false);
    expect((await readAll(response.body)).toString()).toBe("partrest");
    await closing;
    expect(closed).toBe(true);
    await server.waitForNoOpenConnections();
  });

  it("destroy fails in-flight exchanges with a closed error caused by the reason", async () => {
    const server = await serve(() => {
      // never answers
    });
    const t = transport();
    const pending = t.send(prepared(server.url), sendOptions());
    await sleep(20);
    const reason = new Error("shutting down");
    await t.destroy(reason);
    const error = await transportFailure(pending);
    expect(error).toMatchObject({ kind: "closed", phase: "head", retryable: false, cause: reason });
    await server.waitForNoOpenConnections();
  });

  it("destroy with a TransportError fails in-flight exchanges with it, body included", async () => {
    const server = await serve((_req, res) => res.write("part"));
    const t = transport();
    const response = await t.send(prepared(server.url), sendOptions());
    const reason = new TransportError("going away", { kind: "closed", phase: "body", retryable: false });
    await t.destroy(reason);
    await expect(readAll(response.body)).rejects.toBe(reason);
    await server.waitForNoOpenConnections();
  });

  it("destroy without a reason fails in-flight exchanges with a closed error", async () => {
    const server = await serve(() => {});
    const t = transport();
    const pending = t.send(prepared(server.url), sendOptions());
    await sleep(20);
    await t.destroy();
    await expect(pending).rejects.toMatchObject({ kind: "closed" });
    await server.waitForNoOpenConnections();
  });

  it("closes on await using", async () => {
    const server = await serve((_req, res) => res.end("ok"));
    {
      await using t = new HTTP1Transport();
      await readAll((await t.send(prepared(server.url), sendOptions())).body);
      expect(server.openConnections).toBe(1);
    }
    await server.waitForNoOpenConnections();
  });
});
