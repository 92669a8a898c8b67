import { describe, expect, it } from "vitest";
import type { CallSpec } from "./call-spec.js";
import { withoutEmptyContentLength } from "./documented-differences.js";
import { OracleBatch } from "./oracle.js";
import { client, PASSES, type Pass } from "./passes.js";

function specsFor({ base }: Pass): CallSpec[] {
  return [
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
}

for (const pass of PASSES) {
  describe(pass.name, () => {
    const specs = specsFor(pass);
    const batch = new OracleBatch(specs, pass);
    const nq = client(pass);

    describe("every method, as Python Requests sends it", () => {
      for (const { id, method } of specs) {
        it(id, () =>
          batch.expectSame(
            id,
            method === "DELETE" && pass.protocol === "http/1.1" ? withoutEmptyContentLength : undefined,
          ),
        );
      }
    });

    describe("the oracle", () => {
      // Guards the harness itself: a comparison of nq with nq would pass everything.
      it("is Python Requests, speaking HTTP/1.1", async () => {
        const theirs = await batch.requests("GET /get");
        const echo = theirs.response?.body.json;
        expect(echo && "value" in echo ? echo.value : null).toMatchObject({
          headers: { "User-Agent": expect.stringMatching(/^python-requests\//) },
        });
        expect(theirs.response?.httpVersion).toBe(11);
      });
    });

    describe("connection", () => {
      // Guards the proxy set-up: were the Host or the scheme lost on the way to httpbin, both
      // clients would see the same wrong URLs and every comparison would still pass.
      it("reaches httpbin with the client's Host and scheme, so httpbin builds URLs on this server", async () => {
        const r = await nq.get(`${pass.base}/get`);
        const echo = r.json<{ url: string; headers: Record<string, string> }>();
        expect(echo.url).toBe(`${pass.base}/get`);
        expect(echo.headers.Host).toBe(`127.0.0.1:${pass.port}`);
        const redirected = await nq.get(`${pass.base}/absolute-redirect/1`);
        expect(redirected.history.map((h) => h.headers.get("location"))).toEqual([`${pass.base}/get`]);
        expect(redirected.url).toBe(`${pass.base}/get`);
      });

      it(`speaks ${pass.protocol} and says so in httpVersion and connInfo`, async () => {
        const r = await nq.get(`${pass.base}/get`);
        expect(r.httpVersion).toBe(pass.httpVersion);
        expect(r.connInfo?.httpVersion).toBe(pass.httpVersion);
        expect(r.connInfo?.protocol).toBe(pass.protocol);
        expect(r.connInfo?.encrypted).toBe(pass.scheme === "https");
        expect(r.connInfo?.remotePort).toBe(Number(pass.port));
        if (pass.scheme === "https") {
          expect(r.connInfo?.tlsVersion).toMatch(/^TLSv1\.[23]$/);
          expect(r.connInfo?.cipher).toBeTruthy();
          expect(r.connInfo?.certificate?.subjectAltName).toContain("IP Address:127.0.0.1");
        }
      });
    });
  });
}
