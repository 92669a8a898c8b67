/**
 * The second, independent HTTP/2 stack: httpbin under hypercorn (python-h2 on asyncio, no code
 * shared with caddy's Go net/http). A smaller set than the caddy pass: the common methods and
 * bodies, headers, statuses, content codings, streams and byte-exact downloads, redirects,
 * cookies and auth, each compared with Python Requests, which speaks HTTP/1.1 (h11) to the
 * same server.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { type CallSpec, specBytes } from "./call-spec.js";
import { OracleBatch } from "./oracle.js";
import { client, HYPERCORN } from "./passes.js";

const pass = HYPERCORN;
const { base } = pass;
const allBytes = specBytes(Uint8Array.from({ length: 256 }, (_, i) => i));
const bigUpload = specBytes(Uint8Array.from({ length: 1024 * 1024 }, (_, i) => (i * 7919) & 0xff));

const methods: CallSpec[] = [
  { id: "GET /get", url: `${base}/get` },
  { id: "GET /get with params", url: `${base}/get`, params: { a: ["1", "2"], q: "café ☕" } },
  { id: "HEAD /get", method: "HEAD", url: `${base}/get` },
  { id: "OPTIONS /get", method: "OPTIONS", url: `${base}/get` },
  { id: "DELETE /delete", method: "DELETE", url: `${base}/delete` },
  { id: "POST to a GET-only endpoint (405)", method: "POST", url: `${base}/get` },
];

const bodies: CallSpec[] = [
  { id: "POST a form", method: "POST", url: `${base}/post`, data: { a: "1", b: ["2", "3"], é: "ü &=+" } },
  { id: "POST json", method: "POST", url: `${base}/post`, json: { a: 1, b: [true, null], c: "é ☕" } },
  { id: "PUT raw bytes", method: "PUT", url: `${base}/put`, data: allBytes },
  { id: "PATCH a raw string", method: "PATCH", url: `${base}/patch`, data: "hello raw body" },
  { id: "POST without a body", method: "POST", url: `${base}/post` },
  {
    id: "POST multipart with a form field",
    method: "POST",
    url: `${base}/post`,
    files: { upload: ["report.txt", "line 1\nline 2\n", "text/plain"], blob: ["b.bin", allBytes] },
    data: { note: "é" },
  },
  { id: "POST 1 MiB of bytes", method: "POST", url: `${base}/anything`, data: bigUpload },
];

const headers: CallSpec[] = [
  {
    id: "custom headers",
    url: `${base}/headers`,
    headers: { "X-Custom": "one", "x-lower-case": "kept", Accept: "application/json", "X-Empty": "" },
  },
  { id: "custom User-Agent", url: `${base}/user-agent`, headers: { "User-Agent": "nq-interop/1" } },
  {
    id: "response headers set by the server",
    url: `${base}/response-headers?X-One=1&X-Two=a&X-Two=b&Link=${encodeURIComponent("</p/2>; rel=next")}`,
  },
];

const statuses: CallSpec[] = [200, 201, 204, 301, 404, 418, 500, 503].map((status) => ({
  id: `/status/${status} with raiseForStatus`,
  url: `${base}/status/${status}`,
  allowRedirects: false,
  raiseForStatus: true,
}));

const codings: CallSpec[] = [
  { id: "/gzip", url: `${base}/gzip` },
  { id: "/deflate", url: `${base}/deflate` },
  { id: "/brotli", url: `${base}/brotli` },
  { id: "/encoding/utf8", url: `${base}/encoding/utf8` },
  { id: "/html", url: `${base}/html` },
];

const streams: CallSpec[] = [
  { id: "/stream/20 with iterLines", url: `${base}/stream/20`, read: "lines" },
  { id: "/bytes/102400?seed=42", url: `${base}/bytes/102400?seed=42` },
  { id: "/bytes/0", url: `${base}/bytes/0` },
  {
    id: "/stream-bytes/102400 with iterContent(1000)",
    url: `${base}/stream-bytes/102400?seed=7&chunk_size=4096`,
    read: "chunks",
    chunkSize: 1000,
  },
  { id: "/range/4096 with a Range header", url: `${base}/range/4096`, headers: { Range: "bytes=100-2099" } },
  { id: "/drip streamed, then read()", url: `${base}/drip?numbytes=50&duration=0&delay=0`, stream: true },
  { id: "/delay/3 with a 1 s timeout", url: `${base}/delay/3`, timeout: 1_000 },
];

const flows: CallSpec[] = [
  { id: "/redirect/3", url: `${base}/redirect/3` },
  { id: "/absolute-redirect/2", url: `${base}/absolute-redirect/2` },
  {
    id: "POST through a 307 keeps its body",
    method: "POST",
    url: `${base}/redirect-to?url=/anything&status_code=307`,
    data: { a: "1" },
  },
  { id: "/cookies/set on a session", url: `${base}/cookies/set?a=1&b=2`, session: {} },
  {
    id: "Basic auth",
    url: `${base}/basic-auth/user/pass`,
    auth: ["user", "pass"],
  },
  {
    id: "Digest auth (SHA-256)",
    url: `${base}/digest-auth/auth/user/pass/SHA-256`,
    auth: { digest: ["user", "pass"] },
  },
];

const batch = new OracleBatch(
  [...methods, ...bodies, ...headers, ...statuses, ...codings, ...streams, ...flows],
  pass,
);

describe(pass.name, () => {
  // All of Requests' answers first: hypercorn runs httpbin in threads, where the seeded
  // /bytes and /stream-bytes share the process-global `random`, so a Requests call and an nq
  // call to seeded endpoints must never overlap.
  beforeAll(() => batch.requests(methods[0]!.id));

  describe("methods", () => {
    // No edit for a body-less DELETE: nq's HTTP/2 transport sends `content-length: 0` as
    // Requests does (withoutEmptyContentLength is about undici, nq's HTTP/1.1 transport).
    for (const { id } of methods) it(id, () => batch.expectSame(id));
  });
  describe("request bodies", () => {
    for (const { id } of bodies) it(id, () => batch.expectSame(id));
  });
  describe("headers", () => {
    for (const { id } of headers) it(id, () => batch.expectSame(id));
  });
  describe("statuses and raiseForStatus", () => {
    for (const { id } of statuses) it(id, () => batch.expectSame(id));
  });
  describe("content codings and text", () => {
    for (const { id } of codings) it(id, () => batch.expectSame(id));
  });
  describe("streams and byte-exact bodies", () => {
    for (const { id } of streams) it(id, () => batch.expectSame(id));
  });
  describe("redirects, cookies, auth", () => {
    for (const { id } of flows) it(id, () => batch.expectSame(id));
  });

  describe("connection", () => {
    it("negotiates h2 with hypercorn and says so in connInfo", async () => {
      const r = await client(pass).get(`${base}/get`);
      expect(r.connInfo).toMatchObject({
        protocol: "h2",
        httpVersion: 20,
        encrypted: true,
        remotePort: Number(pass.port),
      });
      expect(r.headers.get("server")).toBe("hypercorn-h2");
    });
  });
});
