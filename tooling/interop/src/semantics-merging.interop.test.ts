import * as nq from "niquests";
import { describe, expect, it } from "vitest";
import type { CallSpec } from "./call-spec.js";
import { OracleBatch } from "./oracle.js";
import { client, PASSES } from "./passes.js";
import { echoOf, jsonOf, rejection, urls } from "./semantics-support.js";

for (const pass of PASSES) {
  describe(pass.name, () => {
    const { base } = urls(pass);
    const api = client(pass);
    const headers: CallSpec[] = [
      {
        id: "session headers and request headers are both sent",
        url: `${base}/headers`,
        headers: { "X-Request": "r" },
        session: { headers: { "X-Session": "s" } },
      },
      {
        id: "a request header replaces the session's header of the same name, whatever its case",
        url: `${base}/headers`,
        headers: { "x-thing": "request" },
        session: { headers: { "X-Thing": "session" } },
      },
      {
        id: "a null request header removes the session's header",
        url: `${base}/headers`,
        headers: { "X-Session": null, "X-Request": "r" },
        session: { headers: { "X-Session": "s", "X-Kept": "k" } },
      },
      {
        id: "a null request header removes a default header",
        url: `${base}/headers`,
        headers: { Accept: null },
        session: {},
      },
      {
        id: "a session header set to None (nq: deleted) is not sent",
        url: `${base}/headers`,
        session: { headers: { Accept: null } },
      },
      {
        id: "session header names are case-insensitive: the last spelling set wins",
        url: `${base}/headers`,
        session: { headers: { "X-Thing": "first", "x-thing": "second" } },
      },
      {
        id: "a session User-Agent replaces the default one",
        url: `${base}/user-agent`,
        session: { headers: { "User-Agent": "merging-test/1" } },
      },
      {
        id: "session headers go with every request of the session",
        url: `${base}/headers`,
        session: { headers: { "X-Session": "s" }, before: [{ call: { url: `${base}/headers` } }] },
      },
      {
        id: "request headers are not kept for the next request",
        url: `${base}/headers`,
        session: { before: [{ call: { url: `${base}/headers`, headers: { "X-Once": "1" } } }] },
      },
    ];

    const params: CallSpec[] = [
      {
        id: "URL query, session params and request params are all sent, in that order",
        url: `${base}/get?u=0`,
        params: { r: "2" },
        session: { params: { s: "1" } },
      },
      {
        id: "a request param replaces the session's param of the same name",
        url: `${base}/get`,
        params: { a: "request" },
        session: { params: { a: "session", b: "kept" } },
      },
      {
        id: "a null request param removes the session's param",
        url: `${base}/get`,
        params: { a: null, c: "3" },
        session: { params: { a: "1", b: "2" } },
      },
      {
        id: "a session param with a list value repeats the key",
        url: `${base}/get`,
        session: { params: { tag: ["x", "y"] } },
      },
      {
        id: "session params go with every request of the session",
        url: `${base}/get`,
        session: { params: { s: "1" }, before: [{ call: { url: `${base}/get` } }] },
      },
      {
        id: "request params as a string replace the session's params instead of merging",
        url: `${base}/get`,
        params: "raw=1",
        session: { params: { s: "1" } },
      },
      {
        id: "a session param does not replace the same key already in the URL",
        url: `${base}/get?a=url`,
        session: { params: { a: "session" } },
      },
    ];

    const batch = new OracleBatch([...headers, ...params], pass);

    describe("header merging, as Python Requests merges session and request headers", () => {
      for (const { id } of headers) it(id, () => batch.expectSame(id));

      it("sends the session's header and not the removed one", async () => {
        const mine = await batch.expectSame("a null request header removes the session's header");
        const sent = echoOf(mine).headers ?? {};
        expect(sent["X-Kept"]).toBe("k");
        expect(sent["X-Request"]).toBe("r");
        expect(sent).not.toHaveProperty("X-Session");
      });
    });

    describe("param merging, as Python Requests merges session and request params", () => {
      for (const { id } of params) it(id, () => batch.expectSame(id));

      it("puts the URL's query first, then the session's params, then the request's", async () => {
        const mine = await batch.expectSame(
          "URL query, session params and request params are all sent, in that order",
        );
        expect(mine.response?.url).toBe(`${base}/get?u=0&s=1&r=2`);
      });
    });

    describe("Headers (case-insensitive, as Requests' CaseInsensitiveDict)", () => {
      it("keeps one field for ACCEPT then accept, with the last value", async () => {
        await using s = api.session();
        s.headers.set("ACCEPT", "text/plain");
        s.headers.set("accept", "application/json");
        expect([...s.headers].filter(([name]) => name.toLowerCase() === "accept")).toHaveLength(1);
        expect(jsonOf(await s.get(`${base}/headers`)).headers?.Accept).toBe("application/json");
      });

      it("finds a response header whatever the case asked", async () => {
        const r = await api.get(`${base}/response-headers?X-Mixed-Case=1`);
        expect(r.headers.get("x-mixed-case")).toBe("1");
        expect(r.headers.get("X-MIXED-CASE")).toBe("1");
      });
    });

    // niquests only: Requests has no base_url.
    describe("baseUrl", () => {
      const cases: ReadonlyArray<readonly [string, string, string, string]> = [
        ["joins a path starting with /", `${base}/anything/api`, "/users", `${base}/anything/api/users`],
        ["joins a path without a leading /", `${base}/anything/api`, "users", `${base}/anything/api/users`],
        ["gives the base itself for an empty path", `${base}/anything/api`, "", `${base}/anything/api`],
        [
          "strips the base's trailing / before joining",
          `${base}/anything/api/`,
          "/users",
          `${base}/anything/api/users`,
        ],
        ["is ignored for an absolute URL", `${base}/anything/api`, `${base}/get`, `${base}/get`],
      ];
      for (const [title, baseUrl, path, expected] of cases) {
        it(title, async () => {
          await using s = api.session({ baseUrl });
          const r = await s.get(path);
          expect(r.url).toBe(expected);
          expect(jsonOf(r).url).toBe(expected);
        });
      }

      it("keeps a query string of the joined path and adds params after it", async () => {
        await using s = api.session({ baseUrl: `${base}/anything` });
        const r = await s.get("/x?a=1", { params: { b: "2" } });
        expect(r.url).toBe(`${base}/anything/x?a=1&b=2`);
      });
    });

    // Requests has no session timeout (niquests has), and a timeout takes wall-clock time: asserted
    // on nq directly against /delay/1, concurrently so the file stays fast.
    describe.concurrent("timeouts: request, session and default", () => {
      it("a request timeout shorter than the server's delay raises ReadTimeout", async () => {
        const error = await rejection(() => api.get(`${base}/delay/1`, { timeout: 500 }));
        expect(error).toBeInstanceOf(nq.ReadTimeout);
      });

      it("ReadTimeout is a Timeout and a RequestException, not a ConnectionError", async () => {
        const error = await rejection(() => api.get(`${base}/delay/1`, { timeout: 300 }));
        expect(error).toBeInstanceOf(nq.Timeout);
        expect(error).toBeInstanceOf(nq.RequestException);
        expect(error).not.toBeInstanceOf(nq.ConnectionError);
      });

      it("the session timeout applies to a request that gives none", async () => {
        await using s = api.session({ timeout: 500 });
        expect(await rejection(() => s.get(`${base}/delay/1`))).toBeInstanceOf(nq.ReadTimeout);
      });

      it("a request timeout overrides the session's", async () => {
        await using s = api.session({ timeout: 300 });
        expect((await s.get(`${base}/delay/1`, { timeout: 5_000 })).statusCode).toBe(200);
      });

      it("a falsy request timeout (0) falls back to the session's, as niquests does", async () => {
        await using s = api.session({ timeout: 500 });
        expect(await rejection(() => s.get(`${base}/delay/1`, { timeout: 0 }))).toBeInstanceOf(
          nq.ReadTimeout,
        );
      });

      it("without any timeout the default (30 s for GET) lets a 1 s delay through", async () => {
        expect((await api.get(`${base}/delay/1`)).statusCode).toBe(200);
      });

      it("a [connect, read] pair applies its read part to the wait for the response", async () => {
        const error = await rejection(() => api.get(`${base}/delay/1`, { timeout: [5_000, 400] }));
        expect(error).toBeInstanceOf(nq.ReadTimeout);
      });

      it("a TimeoutConfiguration with only read set raises ReadTimeout", async () => {
        const timeout = new nq.TimeoutConfiguration({ read: 400 });
        expect(await rejection(() => api.get(`${base}/delay/1`, { timeout }))).toBeInstanceOf(nq.ReadTimeout);
      });

      it("the ReadTimeout carries the request that timed out", async () => {
        const error = await rejection(() => api.get(`${base}/delay/1?x=1`, { timeout: 300 }));
        expect((error as nq.ReadTimeout).request?.url).toBe(`${base}/delay/1?x=1`);
      });
    });
  });
}
