import * as nq from "niquests";
import { describe, expect, it } from "vitest";
import type { CallSpec } from "./call-spec.js";
import type { Normalised } from "./normalise.js";
import { type Draft, OracleBatch } from "./oracle.js";
import { client, PASSES, upperScheme } from "./passes.js";
import { editEcho, rejection, urls } from "./semantics-support.js";

for (const pass of PASSES) {
  describe(pass.name, () => {
    const { base, redirectTo, responseHeaders } = urls(pass);
    const api = client(pass);
    // bodies.interop.test.ts and responses.interop.test.ts cover params, forms, JSON, multipart,
    // content codings and the common streaming reads; these are the rest of Requests' rules.
    const requestBodies: CallSpec[] = [
      {
        id: "data wins when both data and json are given",
        method: "POST",
        url: `${base}/post`,
        data: { a: "1" },
        json: { b: 2 },
      },
      // The server answers 307 before reading the upload and closes: the multipart body must be
      // written whole (not broken by EPIPE half-way) so the answer is read every time.
      // Not through a proxy: there the early answer and the reset race between caddy and
      // gunicorn, out of either client's reach, and caddy answers 502 (or aborts its next
      // HTTP/1.1 response half-way) now and then, to Requests and nq alike.
      ...(pass.proxied ? [] : [1, 2, 3, 4, 5]).map((n) => ({
        id: `a multipart upload answered early with 307 is redirected with its body (run ${n})`,
        method: "POST",
        url: redirectTo("/post", 307),
        files: { upload: ["a.txt", "x".repeat(16_384), "text/plain"] as const },
        data: { field: "v" },
      })),
      {
        id: "a form dict with a multipart Content-Type and its boundary is sent as multipart",
        method: "POST",
        url: `${base}/post`,
        data: { a: "1", b: "two" },
        headers: { "Content-Type": "multipart/form-data; boundary=nq-interop-boundary" },
      },
      { id: "a JSON body on GET is sent", method: "GET", url: `${base}/anything`, json: { q: [1, 2] } },
      {
        id: "a form body with params in the URL keeps both apart",
        method: "POST",
        url: `${base}/post?p=1`,
        data: { f: "2" },
      },
      {
        id: "a form value that is empty is still sent",
        method: "POST",
        url: `${base}/post`,
        data: { empty: "", a: "1" },
      },
      {
        id: "json null-valued fields survive the round trip",
        method: "POST",
        url: `${base}/post`,
        json: { a: null, b: [null] },
      },
    ];

    const urlPreparation: CallSpec[] = [
      { id: "leading whitespace in the URL is stripped", url: `  ${base}/get` },
      { id: "an upper-case scheme is accepted", url: `${upperScheme(pass)}/get` },
      { id: "an upper-case host is lower-cased", url: `${pass.scheme}://LOCALHOST:${pass.port}/get` },
      { id: "an already-encoded %20 in the path is not encoded twice", url: `${base}/anything/a%20b` },
      { id: "an encoded %7E in the path is decoded to ~", url: `${base}/anything/%7Euser` },
      { id: "an encoded slash %2F in the path is kept", url: `${base}/anything/a%2Fb` },
      { id: "a space in the path is encoded as %20", url: `${base}/anything/test case` },
      { id: "an empty params object adds no ?", url: `${base}/get`, params: {} },
    ];

    const json: CallSpec[] = [
      { id: "json() on an HTML body raises JSONDecodeError", url: `${base}/html`, decodeJson: true },
      {
        id: "json() on an empty 204 body raises JSONDecodeError",
        url: `${base}/status/204`,
        decodeJson: true,
      },
      { id: "json() on UTF-8 text raises JSONDecodeError", url: `${base}/encoding/utf8`, decodeJson: true },
      { id: "json() parses /json", url: `${base}/json`, decodeJson: true },
      {
        id: "json() parses a JSON body whatever its Content-Type",
        url: responseHeaders([["Content-Type", "text/plain"]]),
        decodeJson: true,
      },
    ];

    const streaming: CallSpec[] = [
      ...[1, 7, 1000, 8192].map(
        (chunkSize): CallSpec => ({
          id: `iterContent(${chunkSize}) yields the whole body in chunks of at most ${chunkSize}`,
          url: `${base}/bytes/5000?seed=11`,
          read: "chunks",
          chunkSize,
        }),
      ),
      {
        id: "iterContent() without a size yields the whole chunked body",
        url: `${base}/stream-bytes/3000?seed=5&chunk_size=512`,
        read: "chunks",
      },
      { id: "iterLines on /html", url: `${base}/html`, read: "lines" },
      { id: "iterLines on /xml", url: `${base}/xml`, read: "lines" },
      {
        id: "iterLines on a body without a final newline",
        url: `${base}/drip?numbytes=5&duration=0&delay=0`,
        read: "lines",
      },
      { id: "stream: true then read() on /json", url: `${base}/json`, stream: true },
      { id: "stream: true then read() on a gzip body", url: `${base}/gzip`, stream: true },
      { id: "stream: true then read() on an empty body", url: `${base}/status/204`, stream: true },
    ];

    const links: CallSpec[] = [
      { id: "links is empty for /links/3/1, which has no Link header", url: `${base}/links/3/1` },
      {
        id: "a relative URL in a Link header is kept as written",
        url: responseHeaders([["Link", "</page/2>; rel=next"]]),
      },
      {
        id: "every parameter of a link is kept",
        url: responseHeaders([
          ["Link", '<https://e.test/a>; rel="next"; title="Next page"; type="text/html"'],
        ]),
      },
      {
        id: "a rel with two values is one key",
        url: responseHeaders([["Link", '<https://e.test/a>; rel="next last"']]),
      },
    ];

    const encodings: CallSpec[] = [
      {
        id: "charset ISO-8859-1 in Content-Type is the encoding",
        url: responseHeaders([["Content-Type", "text/plain; charset=ISO-8859-1"]]),
      },
      {
        id: "a quoted charset is unquoted",
        url: responseHeaders([["Content-Type", 'text/html; charset="utf-8"']]),
      },
      {
        id: "a charset alias (latin1) is kept as the encoding",
        url: responseHeaders([["Content-Type", "application/json; charset=latin1"]]),
      },
      { id: "application/json without charset means UTF-8", url: `${base}/json` },
    ];

    /** Where nq follows niquests rather than Requests: Requests' observation, edited. */
    const documented: Record<string, (expected: Draft<Normalised>) => void> = {
      // niquests (not Requests 2.28) encodes a form as multipart when the caller's Content-Type
      // says multipart/form-data, reusing its boundary (niquests-features.md §1.2); httpbin then
      // parses the fields, where Requests' urlencoded body under that type parses as nothing.
      "a form dict with a multipart Content-Type and its boundary is sent as multipart": (expected) =>
        editEcho(expected, (echo) => {
          echo.form = { a: "1", b: "two" };
        }),
      // niquests dropped Requests' ISO-8859-1 default for text/* without a charset.
      "json() parses a JSON body whatever its Content-Type": (expected) => {
        expected.response!.encoding = null;
      },
    };

    const batch = new OracleBatch(
      [...requestBodies, ...urlPreparation, ...json, ...streaming, ...links, ...encodings],
      pass,
    );

    describe("request bodies, as Python Requests encodes them", () => {
      for (const { id } of requestBodies) it(id, () => batch.expectSame(id, documented[id]));
    });

    describe("URL preparation, as Python Requests prepares URLs", () => {
      for (const { id } of urlPreparation) it(id, () => batch.expectSame(id));
    });

    describe("json()", () => {
      for (const { id } of json) it(id, () => batch.expectSame(id, documented[id]));

      it("JSONDecodeError is an InvalidJSONError and a RequestException", async () => {
        const r = await api.get(`${base}/html`);
        let error: unknown;
        try {
          r.json();
        } catch (caught) {
          error = caught;
        }
        expect(error).toBeInstanceOf(nq.JSONDecodeError);
        expect(error).toBeInstanceOf(nq.InvalidJSONError);
        expect(error).toBeInstanceOf(nq.RequestException);
      });

      it("a NaN in json raises InvalidJSONError before anything is sent", async () => {
        const error = await rejection(() => api.post(`${base}/post`, { json: { x: Number.NaN } }));
        expect(error).toBeInstanceOf(nq.InvalidJSONError);
      });
    });

    describe("streaming reads", () => {
      for (const { id } of streaming) it(id, () => batch.expectSame(id));

      // Requests cuts chunks where the server's transfer chunks end; nq re-chunks to exactly
      // the size asked (see the README): every chunk but the last is full.
      it("iterContent(1000) gives full chunks and a remainder", async () => {
        const r = await api.get(`${base}/bytes/5000?seed=11`, { stream: true });
        const lengths: number[] = [];
        for await (const chunk of r.iterContent(1000)) lengths.push(chunk.length);
        expect(lengths).toEqual([1000, 1000, 1000, 1000, 1000]);
      });

      it("iterContent on a body already read slices the content", async () => {
        const r = await api.get(`${base}/bytes/10?seed=1`);
        const chunks: Uint8Array[] = [];
        for await (const chunk of r.iterContent(4)) chunks.push(chunk);
        expect(chunks.map((c) => c.length)).toEqual([4, 4, 2]);
        expect(Buffer.concat(chunks)).toEqual(Buffer.from(r.content));
      });

      it("a streamed body cannot be iterated twice (StreamConsumedError)", async () => {
        const r = await api.get(`${base}/bytes/100`, { stream: true });
        for await (const _ of r.iterContent()) {
          // Drain it.
        }
        let error: unknown;
        try {
          for await (const _ of r.iterContent()) {
            // Never reached.
          }
        } catch (caught) {
          error = caught;
        }
        expect(error).toBeInstanceOf(nq.StreamConsumedError);
      });

      it("iterContent rejects a chunk size that is not a positive integer", async () => {
        const r = await api.get(`${base}/bytes/10`);
        await expect(r.iterContent(1.5).next()).rejects.toBeInstanceOf(TypeError);
      });

      // nq's documented difference: without `await read()` a streamed body is not in memory, so
      // `content` throws rather than blocking as Requests' would.
      it("content of a stream: true response throws until read()", async () => {
        const r = await api.get(`${base}/bytes/10`, { stream: true });
        expect(() => r.content).toThrow(nq.RequestException);
        await r.read();
        expect(r.content).toHaveLength(10);
      });
    });

    describe("Link headers through links, as Python Requests parses them", () => {
      for (const { id } of links) it(id, () => batch.expectSame(id));
    });

    describe("encoding, as Python Requests reads it from Content-Type", () => {
      for (const { id } of encodings) it(id, () => batch.expectSame(id));

      it("a caller-set encoding is used by text", async () => {
        // httpbin's /base64 wants the padding that Node's base64url leaves off.
        const encoded = Buffer.from("café").toString("base64").replaceAll("+", "-").replaceAll("/", "_");
        const r = await api.get(`${base}/base64/${encoded}`);
        expect(r.text).toBe("café");
        r.encoding = "iso-8859-1";
        expect(r.text).toBe("cafÃ©");
      });
    });
  });
}
