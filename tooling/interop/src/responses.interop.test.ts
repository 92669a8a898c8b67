import { describe, expect, it } from "vitest";
import type { CallSpec } from "./call-spec.js";
import type { Normalised } from "./normalise.js";
import { type Draft, OracleBatch } from "./oracle.js";
import { client, PASSES, type Pass } from "./passes.js";

function specsFor({ base }: Pass) {
  const responseHeaders = (query: string): string => `${base}/response-headers?${query}`;

  const statuses: CallSpec[] = [200, 201, 204, 301, 404, 418, 500, 503].map((status) => ({
    id: `/status/${status} with raiseForStatus`,
    url: `${base}/status/${status}`,
    allowRedirects: false,
    raiseForStatus: true,
  }));

  const auth: CallSpec[] = [
    {
      id: "/basic-auth with the right credentials",
      url: `${base}/basic-auth/user/passwd`,
      auth: ["user", "passwd"],
      raiseForStatus: true,
    },
    { id: "/basic-auth without credentials", url: `${base}/basic-auth/user/passwd`, raiseForStatus: true },
    {
      id: "/basic-auth with a wrong password",
      url: `${base}/basic-auth/user/passwd`,
      auth: ["user", "nope"],
    },
  ];

  const encodings: CallSpec[] = [
    { id: "/gzip", url: `${base}/gzip` },
    { id: "/deflate", url: `${base}/deflate` },
    { id: "/brotli", url: `${base}/brotli` },
    { id: "/encoding/utf8", url: `${base}/encoding/utf8` },
    { id: "/html", url: `${base}/html` },
    { id: "/xml", url: `${base}/xml` },
    { id: "/ip", url: `${base}/ip` },
    // text/plain without a charset: Requests says ISO-8859-1.
    { id: "/robots.txt", url: `${base}/robots.txt` },
  ];

  const streams: CallSpec[] = [
    { id: "/stream/5 with iterLines", url: `${base}/stream/5`, read: "lines" },
    { id: "/bytes/1024?seed=42", url: `${base}/bytes/1024?seed=42` },
    { id: "/bytes/0", url: `${base}/bytes/0` },
    { id: "/bytes/4096?seed=1 streamed, then read()", url: `${base}/bytes/4096?seed=1`, stream: true },
    {
      id: "/stream-bytes/5000?seed=7&chunk_size=100",
      url: `${base}/stream-bytes/5000?seed=7&chunk_size=100`,
    },
    {
      id: "/stream-bytes/5000 with iterContent(256)",
      url: `${base}/stream-bytes/5000?seed=7&chunk_size=100`,
      read: "chunks",
      chunkSize: 256,
    },
    { id: "/range/1024 whole", url: `${base}/range/1024` },
    { id: "/range/1024 with a Range header", url: `${base}/range/1024`, headers: { Range: "bytes=10-99" } },
    {
      id: "/range/1024 with an unsatisfiable Range",
      url: `${base}/range/1024`,
      headers: { Range: "bytes=2000-" },
    },
  ];

  const timeouts: CallSpec[] = [
    { id: "/delay/3 with a 1 s timeout", url: `${base}/delay/3`, timeout: 1_000 },
    { id: "/delay/1 with a 5 s timeout", url: `${base}/delay/1`, timeout: 5_000 },
  ];

  const links: CallSpec[] = [
    {
      id: "one Link header with two links",
      url: responseHeaders(
        `Link=${encodeURIComponent('<https://api.example.org/items?page=2>; rel="next", <https://api.example.org/items?page=9>; rel="last"')}`,
      ),
    },
    {
      id: "two Link headers",
      url: responseHeaders(
        `Link=${encodeURIComponent("<https://example.org/a>; rel=prev")}&Link=${encodeURIComponent('<https://example.org/b>; rel=next; title="B"')}`,
      ),
    },
    {
      id: "a Link without rel",
      url: responseHeaders(`Link=${encodeURIComponent('<https://example.org/x>; type="text/html"')}`),
    },
  ];

  return { statuses, auth, encodings, streams, timeouts, links };
}

/** Where nq follows niquests rather than Requests, on purpose: Requests' observation, edited. */
const documented: Record<string, (expected: Draft<Normalised>) => void> = {
  // niquests dropped Requests' ISO-8859-1 default for text/* without a charset (RFC 7231
  // removed it): `encoding` is null and `text` uses the detected encoding.
  "/robots.txt": (expected) => {
    expected.response!.encoding = null;
  },
};

for (const pass of PASSES) {
  describe(pass.name, () => {
    const { statuses, auth, encodings, streams, timeouts, links } = specsFor(pass);
    const { base } = pass;
    const nq = client(pass);
    const batch = new OracleBatch(
      [...statuses, ...auth, ...encodings, ...streams, ...timeouts, ...links],
      pass,
    );
    // HTTP/2 carries no reason phrase (RFC 9113 §8.3.2): over h2 nq reports the standard one,
    // over HTTP/1.1 it reports the server's own (werkzeug's upper-case one from gunicorn).
    const notFound = pass.protocol === "h2" ? "Not Found" : "NOT FOUND";

    describe("status codes and raiseForStatus", () => {
      for (const { id } of statuses) it(id, () => batch.expectSame(id));

      it("throws HTTPError with Requests' message for a 404", async () => {
        const mine = await batch.expectSame("/status/404 with raiseForStatus");
        expect(mine.response?.raised).toEqual({
          type: "HTTPError",
          message: `404 Client Error: ${notFound} for url: ${base}/status/404`,
          responseStatus: 404,
        });
      });
    });

    describe("Basic auth", () => {
      for (const { id } of auth) it(id, () => batch.expectSame(id));

      // No oracle here: Requests encodes Basic credentials as ISO-8859-1 (httpbin, which decodes
      // UTF-8, then answers 401); niquests, and nq after it, encode them as UTF-8.
      it("encodes non-ASCII credentials as UTF-8, as niquests does", async () => {
        const r = await nq.get(`${base}/basic-auth/us%C3%A9r/p%C3%A4ss`, { auth: ["usér", "päss"] });
        expect(r.statusCode).toBe(200);
        expect(r.json()).toEqual({ authenticated: true, user: "usér" });
      });
    });

    describe("content codings and text encodings", () => {
      for (const { id } of encodings) it(id, () => batch.expectSame(id, documented[id]));
    });

    describe("streamed and binary bodies, byte for byte", () => {
      for (const { id } of streams) it(id, () => batch.expectSame(id));

      it("yields iterContent chunks of at most chunkSize, as Requests does", async () => {
        const id = "/stream-bytes/5000 with iterContent(256)";
        const [mine, theirs] = await Promise.all([batch.expectSame(id), batch.requests(id)]);
        for (const lengths of [mine.response?.body.chunkLengths, theirs.response?.body.chunkLengths]) {
          expect(lengths?.length).toBeGreaterThan(0);
          expect(Math.max(...(lengths ?? []))).toBeLessThanOrEqual(256);
        }
      });
    });

    describe("timeouts", () => {
      for (const { id } of timeouts) it(id, () => batch.expectSame(id));
    });

    describe("Link headers through links", () => {
      for (const { id } of links) it(id, () => batch.expectSame(id));
    });
  });
}
