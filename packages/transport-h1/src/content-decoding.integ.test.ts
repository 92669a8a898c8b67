import { randomBytes } from "node:crypto";
import { brotliCompressSync, constants, createGzip, deflateRawSync, deflateSync, gzipSync } from "node:zlib";
import { ContentDecodingError, requestExceptionFrom, StreamConsumedError } from "@nq/models";
import type { FixtureServer } from "@nq/testkit";
import { describe, expect, it } from "vitest";
import {
  breakAfterFirstChunk,
  firstChunkThenRest,
  prepared,
  readAll,
  sendOptions,
  transportFailure,
  useFixtures,
} from "../test/helpers.js";
import type { HTTP1TransportOptions } from "./index.js";

const { serve, transport } = useFixtures();

const text = Buffer.from("The quick brown fox jumps over the lazy dog. ".repeat(2000));

/** Serves `body` with the given Content-Encoding, in 1 KiB writes so decoding sees many chunks. */
function serveEncoded(encoding: string | null, body: Buffer, status = 200): Promise<FixtureServer> {
  return serve((req, res) => {
    const headers: Record<string, string | number> = { "content-length": body.length };
    if (encoding !== null) headers["content-encoding"] = encoding;
    res.writeHead(status, headers);
    if (status === 204 || status === 304 || req.method === "HEAD") {
      res.end();
      return;
    }
    for (let i = 0; i < body.length; i += 1024) res.write(body.subarray(i, i + 1024));
    res.end();
  });
}

async function fetchBody(url: string, options?: HTTP1TransportOptions) {
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

  const undecodable = randomBytes(300);
  it.each([
    ["decodes raw deflate (no zlib wrapper), as urllib3 does", "deflate", deflateRawSync(text), text],
    ["undoes a list of codings in reverse order", "gzip, br", brotliCompressSync(gzipSync(text)), text],
    ["ignores identity", "identity, gzip", gzipSync(text), text],
    ["passes an unknown coding through undecoded", "zstd", undecodable, undecodable],
  ])("%s", async (_title, coding, encoded, expected) => {
    const server = await serveEncoded(coding, encoded);
    const { body } = await fetchBody(server.url);
    expect(body.equals(expected)).toBe(true);
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
    const error = await transportFailure(
      (async () => {
        for await (const chunk of response.body) decoded += chunk.length;
      })(),
    );
    expect(error).toMatchObject({ kind: "decoding", phase: "body", retryable: false });
    expect(requestExceptionFrom(error)).toBeInstanceOf(ContentDecodingError);
    // Stopped just past the 16 MiB floor, far from the 64 MiB the bomb holds.
    expect(decoded).toBeGreaterThanOrEqual(16 * 1024 * 1024 - 64 * 1024);
    expect(decoded).toBeLessThan(20 * 1024 * 1024);
    await server.waitForNoOpenConnections();
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
    const error = await transportFailure(readAll(response.body));
    expect(error).toMatchObject({ kind: "decoding", phase: "body", code: "Z_DATA_ERROR" });
  });

  it("fails data that is not gzip at all", async () => {
    const server = await serveEncoded("gzip", Buffer.from("this is plain text, not gzip"));
    const response = await transport().send(prepared(server.url), sendOptions());
    await expect(readAll(response.body)).rejects.toMatchObject({ kind: "decoding" });
  });

  it("streams decoded output before the compressed body ends", async () => {
    let finish: () => void = () => {};
    const server = await serve((_req, res) => {
      res.writeHead(200, { "content-encoding": "gzip" });
      const gzip = createGzip();
      gzip.pipe(res);
      gzip.write("first part|");
      gzip.flush(constants.Z_SYNC_FLUSH);
      finish = () => gzip.end("second part");
    });
    const response = await transport().send(prepared(server.url), sendOptions());
    const { first, rest } = await firstChunkThenRest(response.body, () => finish());
    expect(first).toBe("first part|");
    expect(rest).toBe("second part");
  });

  it("cancelling a decoded body with a short compressed remainder keeps the connection", async () => {
    const server = await serveEncoded("gzip", gzipSync(Buffer.alloc(4 * 1024 * 1024, 1)));
    const t = transport();
    const response = await t.send(prepared(server.url), sendOptions());
    await breakAfterFirstChunk(response.body);
    const again = await t.send(prepared(server.url), sendOptions());
    expect((await readAll(again.body)).length).toBe(4 * 1024 * 1024);
    expect(again.connInfo?.reused).toBe(true);
    expect(server.connections).toBe(1);
  });

  it("cancelling a decoded body with a long remainder closes the connection", async () => {
    const server = await serveEncoded("gzip", gzipSync(randomBytes(1024 * 1024)));
    const response = await transport().send(prepared(server.url), sendOptions());
    await breakAfterFirstChunk(response.body);
    await server.waitForNoOpenConnections();
  });
});
