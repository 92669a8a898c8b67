import { constants } from "node:http2";
import { connect as netConnect } from "node:net";
import { startHttpsServer } from "@nq/testkit";
import { describe, expect, it } from "vitest";
import {
  deferred,
  eventually,
  pki,
  prepared,
  readAll,
  readText,
  sendOptions,
  transportFailure,
  useFixtures,
} from "../test/helpers.js";
import type { HTTP2ConnectTarget } from "./index.js";

const fixtures = useFixtures();

describe("responses", () => {
  it("report the standard reason phrase, httpVersion 20 and repeated fields apart", async () => {
    const server = await fixtures.serve((stream) => {
      stream.respond({ ":status": 418, "x-multi": ["one", "two"], "set-cookie": ["a=1", "b=2"] });
      stream.end("teapot");
    });
    const transport = fixtures.transport({ h2c: true });
    const response = await transport.send(prepared(`${server.origin}/`), sendOptions());
    expect(response.statusCode).toBe(418);
    expect(response.reason).toBe("I'm a Teapot");
    expect(response.httpVersion).toBe(20);
    expect(response.headers.getAll("x-multi")).toEqual(["one", "two"]);
    expect(response.headers.getSetCookie()).toEqual(["a=1", "b=2"]);
    expect(await readText(response.body)).toBe("teapot");
  });

  it("expose trailers once the body is read", async () => {
    const server = await fixtures.serve((stream) => {
      stream.respond({ ":status": 200 }, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({ "x-checksum": "abc", "grpc-status": "0" }));
      stream.end("payload");
    });
    const transport = fixtures.transport({ h2c: true });
    const response = await transport.send(prepared(`${server.origin}/`), sendOptions());
    expect(await readText(response.body)).toBe("payload");
    const trailers = await response.trailers;
    expect(trailers?.get("x-checksum")).toBe("abc");
    expect(trailers?.get("grpc-status")).toBe("0");
  });

  it("deliver every 1xx (103 Early Hints) to onInformational before the final response", async () => {
    const server = await fixtures.serve((stream) => {
      stream.additionalHeaders({ ":status": 103, link: "</a.css>; rel=preload" });
      stream.additionalHeaders({ ":status": 103, link: "</b.js>; rel=preload" });
      stream.respond({ ":status": 200 });
      stream.end("final");
    });
    const transport = fixtures.transport({ h2c: true });
    const seen: [number, string | null][] = [];
    const response = await transport.send(
      prepared(`${server.origin}/`),
      sendOptions({ onInformational: (status, headers) => seen.push([status, headers.get("link")]) }),
    );
    expect(await readText(response.body)).toBe("final");
    expect(seen).toEqual([
      [103, "</a.css>; rel=preload"],
      [103, "</b.js>; rel=preload"],
    ]);
  });

  it("report connection info: protocol, TLS details and reuse", async () => {
    const server = await fixtures.serve(
      (stream) => {
        stream.respond({ ":status": 200 });
        stream.end();
      },
      { tls: true },
    );
    const transport = fixtures.transport();
    const first = await transport.send(prepared(`${server.origin}/`), sendOptions());
    await readAll(first.body);
    const second = await transport.send(prepared(`${server.origin}/`), sendOptions());
    await readAll(second.body);
    expect(first.connInfo).toMatchObject({
      protocol: "h2",
      httpVersion: 20,
      encrypted: true,
      remoteAddress: "127.0.0.1",
      remotePort: server.port,
      reused: false,
    });
    expect(first.connInfo?.tlsVersion).toMatch(/^TLSv1\.[23]$/);
    expect(first.connInfo?.cipher).toBeTruthy();
    expect(first.connInfo?.certificate?.subjectAltName).toContain("127.0.0.1");
    expect(first.connInfo?.establishedLatency).toBeGreaterThanOrEqual(0);
    expect(first.connInfo?.tlsHandshakeLatency).toBeGreaterThanOrEqual(0);
    expect(second.connInfo).toMatchObject({ reused: true, localPort: first.connInfo?.localPort });
    expect(second.connInfo?.establishedLatency).toBeUndefined();
  });

  it("resolve a head sent before the upload finished", async () => {
    const server = await fixtures.serve((stream) => {
      stream.respond({ ":status": 413 });
      stream.end("too large");
    });
    const transport = fixtures.transport({ h2c: true });
    const release = deferred();
    async function* body(): AsyncGenerator<Uint8Array> {
      yield new Uint8Array(1024);
      await release.promise;
    }
    const response = await transport.send(
      prepared(`${server.origin}/`, { method: "POST", body: body() }),
      sendOptions(),
    );
    expect(response.statusCode).toBe(413);
    expect(await readText(response.body)).toBe("too large");
    release.resolve();
  });
});

describe("content decoding", () => {
  it("decodes br and stops a decompression bomb with a decoding error", async () => {
    const { brotliCompressSync, gzipSync } = await import("node:zlib");
    const text = "decoded over HTTP/2. ".repeat(500);
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024));
    const server = await fixtures.serve((stream, headers) => {
      const isBomb = headers[":path"] === "/bomb";
      stream.respond({ ":status": 200, "content-encoding": isBomb ? "gzip" : "br" });
      stream.end(isBomb ? bomb : brotliCompressSync(text));
    });
    const transport = fixtures.transport({ h2c: true });
    expect(await readText((await transport.send(prepared(`${server.origin}/br`), sendOptions())).body)).toBe(
      text,
    );
    const response = await transport.send(prepared(`${server.origin}/bomb`), sendOptions());
    const failure = await transportFailure(readAll(response.body));
    expect(failure).toMatchObject({ kind: "decoding", phase: "body", retryable: false });
    // The session survives the reset stream.
    expect(await readText((await transport.send(prepared(`${server.origin}/br`), sendOptions())).body)).toBe(
      text,
    );
    expect(server.connections).toBe(1);
  });
});

describe("cancel and abort", () => {
  it("reset the stream with CANCEL and keep the session", async () => {
    const closedWith = deferred<number>();
    const server = await fixtures.serve((stream, headers) => {
      if (headers[":path"] === "/endless") {
        stream.respond({ ":status": 200 });
        const timer = setInterval(() => stream.write(new Uint8Array(16 * 1024)), 5);
        stream.once("close", () => {
          clearInterval(timer);
          closedWith.resolve(stream.rstCode ?? -1);
        });
        return;
      }
      stream.respond({ ":status": 200 });
      stream.end("next");
    });
    const transport = fixtures.transport({ h2c: true });
    const endless = await transport.send(prepared(`${server.origin}/endless`), sendOptions());
    for await (const chunk of endless.body) {
      expect(chunk.length).toBeGreaterThan(0);
      break;
    }
    expect(await closedWith.promise).toBe(constants.NGHTTP2_CANCEL);
    const controller = new AbortController();
    const reason = new Error("stop");
    const aborted = transport.send(
      prepared(`${server.origin}/endless`),
      sendOptions({ signal: controller.signal }),
    );
    const response = await aborted;
    const iterator = response.body[Symbol.asyncIterator]();
    await iterator.next();
    controller.abort(reason);
    await expect(iterator.next()).rejects.toBe(reason);
    expect(
      await readText((await transport.send(prepared(`${server.origin}/next`), sendOptions())).body),
    ).toBe("next");
    expect(server.connections).toBe(1);
  });

  it("rejects with the caller's own error when the request body or a callback throws", async () => {
    const server = await fixtures.serve(async (stream) => {
      for await (const _ of stream);
      stream.respond({ ":status": 200 });
      stream.end();
    });
    const transport = fixtures.transport({ h2c: true });
    const broken = new Error("the body broke");
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield new Uint8Array(10);
      throw broken;
    }
    await expect(
      transport.send(prepared(`${server.origin}/`, { method: "POST", body: failing() }), sendOptions()),
    ).rejects.toBe(broken);
    const fromCallback = new Error("progress callback");
    await expect(
      transport.send(
        prepared(`${server.origin}/`, { method: "POST", body: new Uint8Array(10) }),
        sendOptions({
          onUploadProgress: () => {
            throw fromCallback;
          },
        }),
      ),
    ).rejects.toBe(fromCallback);
  });
});

describe("errors", () => {
  it.each([
    [constants.NGHTTP2_PROTOCOL_ERROR, "protocol", "NGHTTP2_PROTOCOL_ERROR"],
    [constants.NGHTTP2_INTERNAL_ERROR, "reset", "NGHTTP2_INTERNAL_ERROR"],
    [constants.NGHTTP2_ENHANCE_YOUR_CALM, "reset", "NGHTTP2_ENHANCE_YOUR_CALM"],
    [constants.NGHTTP2_INADEQUATE_SECURITY, "tls", "NGHTTP2_INADEQUATE_SECURITY"],
  ])("map RST_STREAM %i before the head to kind %s", async (code, kind, name) => {
    const server = await fixtures.serve((stream) => stream.close(code));
    const transport = fixtures.transport({ h2c: true });
    const failure = await transportFailure(transport.send(prepared(`${server.origin}/`), sendOptions()));
    expect(failure).toMatchObject({ kind, code: name, phase: "head", retryable: false });
  });

  it("fail h2c URLs unless h2c is on", async () => {
    const transport = fixtures.transport();
    expect(transport.canHandle(new URL("http://127.0.0.1/"))).toBe(false);
    expect(transport.canHandle(new URL("https://127.0.0.1/"))).toBe(true);
    const failure = await transportFailure(transport.send(prepared("http://127.0.0.1:1/"), sendOptions()));
    expect(failure).toMatchObject({ kind: "protocol", phase: "connect", retryable: false });
  });

  it("fail an HTTPS server that does not agree to h2 in ALPN", async () => {
    // An HTTP/1.1-only server refuses the handshake with no_application_protocol.
    await using server = await startHttpsServer((_req, res) => res.end("h1 only"), { pki });
    const transport = fixtures.transport();
    const failure = await transportFailure(transport.send(prepared(server.url), sendOptions()));
    expect(failure).toMatchObject({
      kind: "protocol",
      phase: "connect",
      retryable: false,
      code: "ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL",
    });
  });

  it("fail an HTTPS server that answers without ALPN", async () => {
    const { createServer } = await import("node:tls");
    const certificate = pki.issue();
    const sockets = new Set<import("node:net").Socket>();
    const server = createServer({ key: certificate.key, cert: certificate.chain }, (socket) => {
      sockets.add(socket);
      socket.on("error", () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const port = (server.address() as { port: number }).port;
      const transport = fixtures.transport();
      const failure = await transportFailure(
        transport.send(prepared(`https://127.0.0.1:${port}/`), sendOptions()),
      );
      expect(failure).toMatchObject({
        kind: "protocol",
        phase: "connect",
        retryable: false,
        code: "NQ_H2_NOT_NEGOTIATED",
      });
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("fail an h2c request to an HTTP/1.1 server as a connect-phase failure", async () => {
    const { startHttpServer } = await import("@nq/testkit");
    await using server = await startHttpServer((_req, res) => res.end("h1"));
    const transport = fixtures.transport({ h2c: true });
    const failure = await transportFailure(
      transport.send(prepared(server.url), sendOptions({ timeout: { connect: 2_000 } })),
    );
    expect(failure.phase).toBe("connect");
    expect(["protocol", "reset", "closed"]).toContain(failure.kind);
  });
});

describe("the connect option", () => {
  it("opens sessions through the given connector", async () => {
    const server = await fixtures.serve((stream) => {
      stream.respond({ ":status": 200 });
      stream.end("via connector");
    });
    const targets: HTTP2ConnectTarget[] = [];
    const transport = fixtures.transport({
      h2c: true,
      connect: (target) => {
        targets.push(target);
        return new Promise((resolve, reject) => {
          const socket = netConnect(target.port, target.hostname);
          socket.once("connect", () => resolve({ socket, establishedLatency: 1.5 }));
          socket.once("error", reject);
        });
      },
    });
    const responses = await Promise.all(
      [1, 2, 3].map(() => transport.send(prepared(`${server.origin}/`), sendOptions())),
    );
    expect(await Promise.all(responses.map((r) => readText(r.body)))).toEqual(Array(3).fill("via connector"));
    expect(targets).toHaveLength(1);
    expect(targets[0]).toMatchObject({ hostname: "127.0.0.1", port: server.port, protocol: "h2" });
    expect(responses.find((r) => !r.connInfo?.reused)?.connInfo?.establishedLatency).toBe(1.5);
  });

  it("aborts the connector's signal when the request waiting for it times out", async () => {
    let signal: AbortSignal | undefined;
    const transport = fixtures.transport({
      h2c: true,
      connect: (target) => {
        signal = target.signal;
        return new Promise((_resolve, reject) => {
          target.signal.addEventListener("abort", () => reject(target.signal.reason));
        });
      },
    });
    const failure = await transportFailure(
      transport.send(prepared("http://127.0.0.1:9/"), sendOptions({ timeout: { connect: 50 } })),
    );
    expect(failure).toMatchObject({ kind: "timeout", phase: "connect", retryable: true });
    await eventually(() => signal?.aborted === true, "the connector's signal to be aborted");
  });

  it("passes a TransportError from the connector through", async () => {
    const { TransportError } = await import("@nq/models");
    const refusal = new TransportError("no route", { kind: "connect", phase: "connect", retryable: true });
    const transport = fixtures.transport({ h2c: true, connect: () => Promise.reject(refusal) });
    await expect(transport.send(prepared("http://127.0.0.1:9/"), sendOptions())).rejects.toBe(refusal);
  });
});
