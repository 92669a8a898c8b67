import { randomBytes } from "node:crypto";
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from "node:zlib";
import { ContentDecodingError, requestExceptionFrom, StreamConsumedError, TransportError } from "@nq/models";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { expectNoStraySockets, openSocketCount, prepared, readAll, sendOptions } from "../test/helpers.js";
import { startHttpServer, type TestServer } from "../test/servers.js";
import { HTTP1Transport } from "./index.js";

let servers: TestServer[] = [];
let transports: HTTP1Transport[] = [];
let baseline = 0;

beforeEach(() => {
  baseline = openSocketCount();
});

afterEach(async () => {
  await Promise.all(transports.map((t) => t.close()));
  await Promise.all(servers.map((s) => s.close()));
  transports = [];
  servers = [];
  await expectNoStraySockets(baseline);
});

const text = Buffer.from("The quick brown fox jumps over the lazy dog. ".repeat(2000));

/** Serves `body` with the given Content-Encoding, in 1 KiB writes so decoding sees many chunks. */
async function serveEncoded(encoding: string | null, body: Buffer, status = 200): Promise<TestServer> {
  const server = await startHttpServer((_req, res) => {
    const headers: Record<string, string | number> = { "content-length": body.length };
    if (encoding !== null) headers["content-encoding"] = encoding;
    res.writeHead(status, headers);
    if (status === 204 || status === 304 || _req.method === "HEAD") {
      res.end();
      return;
    }
    for (let i = 0; i < body.length; i += 1024) res.write(body.subarray(i, i + 1024));
    res.end();
  });
  servers.push(server);
  return server;
}

function transport(options?: ConstructorParameters<typeof HTTP1Transport>[0]): HTTP1Transport {
  const t = new HTTP1Transport(options);
  transports.push(t);
  return t;
}

async function fetchBody(url: string, options?: ConstructorParameters<typeof HTTP1Transport>[0]) {
  const response = await transport(options).send(prepared(url), sendOptions());
  return { response, body: await readAll(response.body) };
}

describe("content decoding", () => {
  it.each([
    ["gzip", gzipSync(text)],
    ["x-gzip", gzipSync(text)],
    ["deflate", deflateSync(text)],
    ["br", brotliCompressSync(text)],
    ["GZip", gzipSync(text)],
  ])("decodes %s", async (encoding, encoded) => {
    const server = await serveEncoded(encoding, encoded);
    const { response, body } = await fetchBody(server.url);
    expect(body.equals(text)).toBe(true);
    // The head describes what was received.
    expect(response.headers.get("content-encoding")).toBe(encoding);
    expect(response.headers.get("content-length")).toBe(String(encoded.length));
  });

  it("decodes raw deflate (no zlib wrapper), as urllib3 does", async () => {
    const server = await serveEncoded("deflate", deflateRawSync(text));
    const { body } = await fetchBody(server.url);
    expect(body.equals(text)).toBe(true);
  });

  it("undoes a list of codings in reverse order", async () => {
    const server = await serveEncoded("gzip, br", brotliCompressSync(gzipSync(text)));
    const { body } = await fetchBody(server.url);
    expect(body.equals(text)).toBe(true);
  });

  it("ignores identity", async () => {
    const server = await serveEncoded("identity, gzip", gzipSync(text));
    const { body } = await fetchBody(server.url);
    expect(body.equals(text)).toBe(true);
  });

  it("passes an unknown coding through undecoded", async () => {
    const encoded = randomBytes(300);
    const server = await serveEncoded("zstd", encoded);
    const { body } = await fetchBody(server.url);
    expect(body.equals(encoded)).toBe(true);
  });

  it("gives the undecoded bytes through rawBody", async () => {
    const encoded = gzipSync(text);
    const server = await serveEncoded("gzip", encoded);
    const response = await transport().send(prepared(server.url), sendOptions());
    expect(response.rawBody).toBeDefined();
    expect((await readAll(response.rawBody!)).equals(encoded)).toBe(true);
  });

  it("lets only one of body and rawBody be iterated", async () => {
    const server = await serveEncoded("gzip", gzipSync(text));
    const response = await transport().send(prepared(server.url), sendOptions());
    await readAll(response.body);
    expect(() => response.rawBody![Symbol.asyncIterator]()).toThrow(StreamConsumedError);
    expect(() => response.body[Symbol.asyncIterator]()).toThrow(StreamConsumedError);
  });

  it("does not decode HEAD, 204 or 304 responses (a 304 may carry a Content-Length)", async () => {
    const server = await serveEncoded("gzip", gzipSync(text), 304);
    const { response, body } = await fetchBody(server.url);
    expect(response.statusCode).toBe(304);
    expect(body.length).toBe(0);
    const head = await serveEncoded("gzip", gzipSync(text));
    const headResponse = await transport().send(prepared(head.url, { method: "HEAD" }), sendOptions());
    expect(await readAll(headResponse.body)).toHaveLength(0);
  });

  it("fails a decompression bomb with a decoding error and closes the socket", async () => {
    // 256 MiB of zeros as four gzip members: about 256 KiB on the wire, too much left to drain.
    const member = gzipSync(Buffer.alloc(64 * 1024 * 1024));
    const bomb = Buffer.concat([member, member, member, member]);
    expect(bomb.length).toBeLessThan(512 * 1024);
    const server = await serveEncoded("gzip", bomb);
    const response = await transport().send(prepared(server.url), sendOptions());
    let decoded = 0;
    const error = await (async () => {
      for await (const chunk of response.body) decoded += chunk.length;
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect(error).toMatchObject({ kind: "decoding", phase: "body", retryable: false });
    expect(requestExceptionFrom(error)).toBeInstanceOf(ContentDecodingError);
    // Stopped just past the 16 MiB floor, far from the 64 MiB the bomb holds.
    expect(decoded).toBeGreaterThanOrEqual(16 * 1024 * 1024 - 64 * 1024);
    expect(decoded).toBeLessThan(20 * 1024 * 1024);
    await server.allClosed();
  });

  it("lets a large body through when the ratio stays under maxDecompressionRatio", async () => {
    const payload = randomBytes(64 * 1024);
    const big = Buffer.concat(Array.from({ length: 300 }, () => payload)); // ~19 MiB, ratio ~300
    const server = await serveEncoded("gzip", gzipSync(big));
    const { body } = await fetchBody(server.url, { maxDecompressionRatio: 1_000 });
    expect(body.equals(big)).toBe(true);
  });

  it("fails corrupt gzip with a decoding error carrying zlib's code", async () => {
    const corrupt = gzipSync(text);
    corrupt.fill(0x41, 20, 60);
    const server = await serveEncoded("gzip", corrupt);
    const response = await transport().send(prepared(server.url), sendOptions());
    const error = await readAll(response.body).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect(error).toMatchObject({ kind: "decoding", phase: "body", code: "Z_DATA_ERROR" });
  });

  it("fails data that is not gzip at all", async () => {
    const server = await serveEncoded("gzip", Buffer.from("this is plain text, not gzip"));
    const response = await transport().send(prepared(server.url), sendOptions());
    await expect(readAll(response.body)).rejects.toMatchObject({ kind: "decoding" });
  });

  it("streams decoded output before the compressed body ends", async () => {
    let finish: () => void = () => {};
    const { createGzip, constants } = await import("node:zlib");
    const server = await startHttpServer((_req, res) => {
      res.writeHead(200, { "content-encoding": "gzip" });
      const gzip = createGzip();
      gzip.pipe(res);
      gzip.write("first part|");
      gzip.flush(constants.Z_SYNC_FLUSH);
      finish = () => gzip.end("second part");
    });
    servers.push(server);
    const response = await transport().send(prepared(server.url), sendOptions());
    const iterator = response.body[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(Buffer.from(first.value as Uint8Array).toString()).toBe("first part|");
    finish();
    const rest: Buffer[] = [];
    for (let r = await iterator.next(); !r.done; r = await iterator.next()) rest.push(Buffer.from(r.value));
    expect(Buffer.concat(rest).toString()).toBe("second part");
  });

  it("cancelling a decoded body with a short compressed remainder keeps the connection", async () => {
    const server = await serveEncoded("gzip", gzipSync(Buffer.alloc(4 * 1024 * 1024, 1)));
    const t = transport();
    const response = await t.send(prepared(server.url), sendOptions());
    for await (const chunk of response.body) {
      expect(chunk.length).toBeGreaterThan(0);
      break;
    }
    const again = await t.send(prepared(server.url), sendOptions());
    expect((await readAll(again.body)).length).toBe(4 * 1024 * 1024);
    expect(again.connInfo?.reused).toBe(true);
    expect(server.accepted).toBe(1);
  });

  it("cancelling a decoded body with a long remainder closes the connection", async () => {
    const server = await serveEncoded("gzip", gzipSync(randomBytes(1024 * 1024)));
    const response = await transport().send(prepared(server.url), sendOptions());
    for await (const chunk of response.body) {
      expect(chunk.length).toBeGreaterThan(0);
      break;
    }
    await server.allClosed();
  });
});
