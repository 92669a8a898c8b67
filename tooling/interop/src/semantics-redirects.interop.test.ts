import * as nq from "niquests";
import { describe, expect, it } from "vitest";
import type { CallSpec } from "./call-spec.js";
import { OracleBatch } from "./oracle.js";
import { client, PASSES, upperScheme } from "./passes.js";
import { urls } from "./semantics-support.js";

for (const pass of PASSES) {
  describe(pass.name, () => {
    const { base, redirectTo } = urls(pass);
    const api = client(pass);
    // redirects.interop.test.ts covers chains, POST/PUT rewriting, allowRedirects: false and
    // maxRedirects 3; these are the rest of Requests' redirect rules.
    const limits: CallSpec[] = [
      {
        id: "30 redirects are followed under the default maxRedirects",
        url: `${base}/redirect/30`,
        session: {},
      },
      {
        id: "a 31st redirect raises TooManyRedirects by default",
        url: `${base}/relative-redirect/31`,
        session: {},
      },
      {
        id: "maxRedirects 0 raises on the first redirect",
        url: `${base}/redirect/1`,
        session: { maxRedirects: 0 },
      },
    ];

    const methods: CallSpec[] = [
      ...[301, 302, 303, 307, 308].map(
        (status): CallSpec => ({
          id: `HEAD stays HEAD through a ${status} when redirects are followed`,
          method: "HEAD",
          url: redirectTo("/get", status),
          allowRedirects: true,
        }),
      ),
      {
        id: "PUT keeps its method and body through a 308",
        method: "PUT",
        url: redirectTo("/anything", 308),
        data: "x",
      },
      {
        id: "PATCH becomes GET through a 302",
        method: "PATCH",
        url: redirectTo("/anything", 302),
        data: "x",
      },
      {
        id: "PATCH keeps its method and body through a 307",
        method: "PATCH",
        url: redirectTo("/anything", 307),
        data: "x",
      },
      { id: "DELETE becomes GET through a 303", method: "DELETE", url: redirectTo("/anything", 303) },
      { id: "DELETE keeps its method through a 301", method: "DELETE", url: redirectTo("/anything", 301) },
      { id: "OPTIONS keeps its method through a 301", method: "OPTIONS", url: redirectTo("/anything", 301) },
      {
        id: "a POST through a 303 drops Content-Type and Content-Length with the body",
        method: "POST",
        url: redirectTo("/anything", 303),
        data: "body",
        headers: { "Content-Type": "text/plain" },
      },
      {
        id: "a POST through a 307 keeps a caller's Content-Type",
        method: "POST",
        url: redirectTo("/anything", 307),
        data: "body",
        headers: { "Content-Type": "text/plain" },
      },
    ];

    const locations: CallSpec[] = [
      {
        id: "a Location with a fragment replaces the request's fragment",
        url: `${redirectTo("/get#new")}#old`,
      },
      { id: "a relative Location with ./ and .. segments is resolved", url: redirectTo("./anything/../get") },
      {
        id: "a scheme-relative Location keeps the scheme",
        url: redirectTo(`//127.0.0.1:${pass.port}/get?via=scheme-relative`),
      },
      {
        id: `an upper-case ${pass.scheme.toUpperCase()}:// Location is followed`,
        url: redirectTo(`${upperScheme(pass)}/get`),
      },
      { id: "a Location with a space is percent-encoded", url: redirectTo("/anything/a b") },
      { id: "a Location with a query keeps it", url: redirectTo("/get?a=1&b=two%20words") },
      {
        id: "a Location with an already-encoded %20 is not encoded twice",
        url: redirectTo("/anything/a%20b"),
      },
      { id: "a Location with %7E gets the unreserved ~ decoded", url: redirectTo("/anything/%7Euser") },
    ];

    const notRedirects: CallSpec[] = [300, 304, 305, 306].map((status) => ({
      id: `a ${status} with a Location is not followed`,
      url: redirectTo("/get", status),
    }));

    const bodies: CallSpec[] = [
      {
        id: "a redirect response's own body is not what the caller gets",
        url: redirectTo("/bytes/16?seed=3"),
      },
      { id: "a 302 from /status/302 leads to /redirect/1 then /get", url: `${base}/status/302` },
      { id: "/absolute-redirect/2 gives absolute URLs in history", url: `${base}/absolute-redirect/2` },
    ];

    const batch = new OracleBatch([...limits, ...methods, ...locations, ...notRedirects, ...bodies], pass);

    describe("redirect limits", () => {
      for (const { id } of limits) it(id, () => batch.expectSame(id));

      it("TooManyRedirects carries the last redirect and history as long as the limit", async () => {
        const error = (await api
          .get(`${base}/relative-redirect/31`)
          .catch((e: unknown) => e)) as nq.TooManyRedirects;
        expect(error).toBeInstanceOf(nq.TooManyRedirects);
        expect(error).toBeInstanceOf(nq.RequestException);
        expect(error.response?.history).toHaveLength(30);
        expect(error.response?.url).toBe(`${base}/relative-redirect/1`);
      });
    });

    describe("method and headers on each hop, as Python Requests rebuilds them", () => {
      for (const { id } of methods) it(id, () => batch.expectSame(id));
    });

    describe("Location handling", () => {
      for (const { id } of locations) it(id, () => batch.expectSame(id));
    });

    describe("statuses that are not redirects to follow", () => {
      for (const { id } of notRedirects) it(id, () => batch.expectSame(id));
    });

    describe("redirect bodies and history", () => {
      for (const { id } of bodies) it(id, () => batch.expectSame(id));

      // Requests' quirk: each hop's own history is the chain after the first response up to and
      // including itself (the first hop has none).
      it("gives each hop in history its own history, as Requests builds it", async () => {
        const r = await api.get(`${base}/redirect/3`);
        expect(r.history.map((hop) => hop.history.map((h) => h.url))).toEqual([
          [],
          [`${base}/relative-redirect/2`],
          [`${base}/relative-redirect/2`, `${base}/relative-redirect/1`],
        ]);
      });

      it("keeps each hop's own request, with its own URL and method", async () => {
        const r = await api.post(redirectTo("/get", 303));
        expect(r.history[0]?.request.method).toBe("POST");
        expect(r.history[0]?.request.url).toBe(redirectTo("/get", 303));
        expect(r.request.method).toBe("GET");
      });

      it("history is empty (and an array) without redirects", async () => {
        expect((await api.get(`${base}/get`)).history).toEqual([]);
      });
    });
  });
}
