import * as nq from "niquests";
import { describe, expect, inject, it } from "vitest";
import type { CallSpec } from "./call-spec.js";
import { withoutEmptyContentLength } from "./documented-differences.js";
import { OracleBatch } from "./oracle.js";

const base = inject("httpbinUrl");

const specs: CallSpec[] = [
  ...["GET", "POST", "PUT", "PATCH", "DELETE"].map((method) => ({
    id: `${method} /anything`,
    method,
    url: `${base}/anything`,
  })),
  { id: "GET /get", method: "GET", url: `${base}/get` },
  { id: "POST /post", method: "POST", url: `${base}/post`, data: "x=1" },
  { id: "PUT /put", method: "PUT", url: `${base}/put`, data: "x=1" },
  { id: "PATCH /patch", method: "PATCH", url: `${base}/patch`, data: "x=1" },
  { id: "DELETE /delete", method: "DELETE", url: `${base}/delete` },
  { id: "HEAD /get", method: "HEAD", url: `${base}/get` },
  { id: "OPTIONS /get", method: "OPTIONS", url: `${base}/get` },
  { id: "lower-case method", method: "post", url: `${base}/anything` },
  { id: "POST to a GET-only endpoint (405)", method: "POST", url: `${base}/get` },
  {
    id: "custom headers",
    url: `${base}/headers`,
    headers: { "X-Custom": "one", "x-lower-case": "kept", Accept: "application/json", "X-Empty": "" },
  },
  { id: "custom User-Agent", url: `${base}/user-agent`, headers: { "User-Agent": "nq-interop/1" } },
];

const batch = new OracleBatch(specs);

describe("every method, as Python Requests sends it", () => {
  for (const { id, method } of specs) {
    it(id, () => batch.expectSame(id, method === "DELETE" ? withoutEmptyContentLength : undefined));
  }
});

describe("the oracle", () => {
  // Guards the harness itself: a comparison of nq with nq would pass everything.
  it("is Python Requests", async () => {
    const theirs = await batch.requests("GET /get");
    const echo = theirs.response?.body.json;
    expect(echo && "value" in echo ? echo.value : null).toMatchObject({
      headers: { "User-Agent": expect.stringMatching(/^python-requests\//) },
    });
  });
});

describe("connection", () => {
  it("speaks HTTP/1.1 to gunicorn and says so in httpVersion and connInfo", async () => {
    const r = await nq.get(`${base}/get`);
    expect(r.httpVersion).toBe(11);
    expect(r.connInfo?.httpVersion).toBe(11);
    expect(r.connInfo?.protocol).toBe("http/1.1");
    expect(r.connInfo?.encrypted).toBe(false);
    expect(r.connInfo?.remotePort).toBe(Number(new URL(base).port));
  });
});
