import { describe, expect, it } from "vitest";
import type { CallSpec, SessionStep } from "./call-spec.js";
import type { Normalised } from "./normalise.js";
import { type Draft, OracleBatch } from "./oracle.js";
import { client, GUNICORN, overHttp, PASSES } from "./passes.js";
import { echoOf, editEcho, jsonOf, urls } from "./semantics-support.js";

for (const pass of PASSES) {
  describe(pass.name, () => {
    const { base, otherHost, redirectTo, setCookies } = urls(pass);
    const api = client(pass);
    const PAST = "Thu, 01 Jan 1970 00:00:00 GMT";
    const FUTURE = "Fri, 01 Jan 2100 00:00:00 GMT";
    const set = (...cookies: string[]): SessionStep => ({ call: { url: setCookies(cookies) } });
    const setOn = (host: string, ...cookies: string[]): SessionStep => ({
      call: { url: setCookies(cookies, host) },
    });

    /** Each case: one behaviour of Requests' cookie handling, compared with Python Requests. */
    const persistence: CallSpec[] = [
      {
        id: "a cookie set by one response is sent with the next request of the session",
        url: `${base}/cookies`,
        session: { before: [set("a=1; Path=/")] },
      },
      {
        id: "/cookies/set stores the cookies and sends them on the redirect to /cookies",
        url: `${base}/cookies/set?a=1&b=2`,
        session: {},
      },
      {
        id: "/cookies/set/<name>/<value> stores one cookie",
        url: `${base}/cookies/set/flavour/oat`,
        session: {},
      },
      {
        id: "the same name set again replaces the stored value",
        url: `${base}/cookies`,
        session: { before: [set("a=1; Path=/"), set("a=2; Path=/")] },
      },
      {
        id: "cookies stay in the jar across several requests",
        url: `${base}/cookies`,
        session: { before: [set("a=1; Path=/"), { call: { url: `${base}/get` } }, set("b=2; Path=/")] },
      },
    ];

    const deletion: CallSpec[] = [
      {
        id: "/cookies/delete?a removes that cookie and keeps the others",
        url: `${base}/cookies/delete?a`,
        session: { before: [set("a=1; Path=/", "b=2; Path=/")] },
      },
      {
        id: "/cookies/delete of every name empties the jar",
        url: `${base}/cookies/delete?a&b`,
        session: { before: [set("a=1; Path=/", "b=2; Path=/")] },
      },
      {
        id: "a Set-Cookie with an Expires in the past deletes the stored cookie",
        url: `${base}/cookies`,
        session: { before: [set("a=1; Path=/", "b=2; Path=/"), set(`a=gone; Expires=${PAST}; Path=/`)] },
      },
      {
        id: "a cookie set with Max-Age=0 is gone from the jar at once",
        url: `${base}/cookies`,
        session: { before: [set("a=1; Path=/"), set("a=gone; Max-Age=0; Path=/")] },
      },
      // Whether a Secure cookie is sent depends on the scheme: each pass has its own cases.
      ...(overHttp(pass)
        ? [
            {
              id: "a Secure cookie is not sent over plain http, not even to loopback",
              url: `${base}/cookies`,
              session: { before: [set("s=1; Secure; Path=/", "plain=1; Path=/")] },
            },
          ]
        : [
            {
              id: "a Secure cookie set over https is sent back over https",
              url: `${base}/cookies`,
              session: { before: [set("s=1; Secure; Path=/", "plain=1; Path=/")] },
            },
            {
              // Cookies ignore ports: gunicorn on the same host gets the plain one only.
              id: "a Secure cookie set over https is not sent after a redirect to plain http",
              url: redirectTo(`${GUNICORN.base}/cookies`),
              session: { before: [set("s=1; Secure; Path=/", "plain=1; Path=/")] },
            },
          ]),
      {
        id: "a cookie with Max-Age in the future is kept",
        url: `${base}/cookies`,
        session: { before: [set("a=1; Max-Age=3600; Path=/")] },
      },
      {
        id: "a cookie with Expires in the future is kept",
        url: `${base}/cookies`,
        session: { before: [set(`a=1; Expires=${FUTURE}; Path=/`)] },
      },
      {
        id: "an already expired Set-Cookie is never stored",
        url: `${base}/cookies`,
        session: { before: [set(`a=1; Expires=${PAST}; Path=/`)] },
      },
      {
        id: "setting a jar cookie to None (nq: delete) removes it",
        url: `${base}/cookies`,
        session: { before: [set("a=1; Path=/", "b=2; Path=/"), { deleteCookie: "a" }] },
      },
    ];

    const redirects: CallSpec[] = [
      {
        id: "a cookie set by a middle hop is stored and sent on the following hop",
        url: redirectTo("/cookies/set?a=1"),
        session: {},
      },
      {
        id: "a hop's Set-Cookie replaces an older value before the next hop is sent",
        url: `${base}/cookies/set?a=new`,
        session: { before: [set("a=old; Path=/")] },
      },
      {
        id: "session cookies are sent on every same-host hop",
        url: redirectTo("/redirect-to?url=/cookies"),
        session: { before: [set("a=1; Path=/")] },
      },
      {
        id: "session cookies are not sent to another host after a redirect",
        url: redirectTo(`${otherHost}/cookies`),
        session: { before: [set("a=1; Path=/")] },
      },
      {
        id: "a cookie another host set is sent back to that host only",
        url: `${otherHost}/cookies`,
        session: { before: [setOn(otherHost, "elsewhere=1; Path=/"), set("here=1; Path=/")] },
      },
      {
        id: "cookies of the first host are sent again when a redirect comes back to it",
        url: redirectTo(redirectTo(`${base}/cookies`, 302, otherHost)),
        session: { before: [set("here=1; Path=/")] },
      },
    ];

    const perRequest: CallSpec[] = [
      {
        id: "per-request cookies are sent",
        url: `${base}/cookies`,
        cookies: { c: "1", d: "two" },
        session: {},
      },
      {
        id: "per-request cookies are not persisted in the session",
        url: `${base}/cookies`,
        session: { before: [{ call: { url: `${base}/cookies`, cookies: { c: "1" } } }] },
      },
      {
        id: "per-request cookies are sent along with the session's",
        url: `${base}/cookies`,
        cookies: { r: "2" },
        session: { cookies: [{ name: "s", value: "1" }] },
      },
      {
        id: "a per-request cookie overrides a same-name session cookie set on the jar",
        url: `${base}/cookies`,
        cookies: { a: "request" },
        session: { cookies: [{ name: "a", value: "session" }] },
      },
      {
        id: "per-request cookies are sent on a same-host redirect hop",
        url: redirectTo("/cookies"),
        cookies: { c: "1" },
        session: {},
      },
    ];

    const attributes: CallSpec[] = [
      {
        id: "a cookie with a Path is not sent outside that path",
        url: `${base}/cookies`,
        session: { before: [set("p=1; Path=/anything")] },
      },
      {
        id: "a cookie with a Path is sent under that path",
        url: `${base}/anything/below`,
        session: { before: [set("p=1; Path=/anything")] },
      },
      {
        id: "a cookie without Path from /response-headers gets the default path / and reaches /cookies",
        url: `${base}/cookies`,
        session: { before: [set("d=1")] },
      },
      {
        id: "a cookie for another domain is refused",
        url: `${base}/cookies`,
        session: { before: [set("x=1; Domain=example.com; Path=/")] },
      },
      {
        id: "a quoted cookie value is stored and sent verbatim",
        url: `${base}/headers`,
        session: { before: [set('q="bar:baz"; Path=/')] },
      },
      {
        id: "an HttpOnly cookie is still sent by a client",
        url: `${base}/cookies`,
        session: { before: [set("h=1; HttpOnly; Path=/")] },
      },
    ];

    const jar: CallSpec[] = [
      {
        id: "a cookie set on the jar without a domain is sent to every host",
        url: redirectTo(`${otherHost}/cookies`),
        session: { before: [{ setCookie: { name: "j", value: "1" } }] },
      },
      {
        id: "a cookie set on the jar with a domain is sent to that domain",
        url: `${base}/cookies`,
        session: { cookies: [{ name: "j", value: "1", domain: "127.0.0.1" }] },
      },
      {
        id: "a cookie set on the jar with a domain is not sent to another host",
        url: `${otherHost}/cookies`,
        session: { cookies: [{ name: "j", value: "1", domain: "127.0.0.1" }] },
      },
      {
        id: "a cookie set on the jar with a path is sent only under it",
        url: `${base}/cookies`,
        session: { cookies: [{ name: "j", value: "1", domain: "127.0.0.1", path: "/anything" }] },
      },
    ];

    const responseCookies: CallSpec[] = [
      {
        id: "response.cookies holds what that response set",
        url: setCookies(["x=1; Path=/", "y=2; Path=/"]),
      },
      { id: "response.cookies is empty when the response set none", url: `${base}/get` },
      {
        id: "each hop's response.cookies holds what that hop set",
        url: redirectTo("/cookies/set?a=1"),
      },
    ];

    const header: CallSpec[] = [
      {
        id: "a hand-set Cookie header is sent as it is",
        url: `${base}/cookies`,
        headers: { Cookie: "h=1; i=2" },
      },
      {
        id: "a hand-set Cookie header replaces the session's cookies",
        url: `${base}/cookies`,
        headers: { Cookie: "h=1" },
        session: { cookies: [{ name: "a", value: "1" }] },
      },
      {
        id: "a hand-set Cookie header is not carried to the next redirect hop",
        url: redirectTo("/cookies"),
        headers: { Cookie: "h=1" },
        session: {},
      },
    ];

    // Observed through /headers: an echo, so only the Cookie field has to be edited where nq differs.
    const crossHostPerRequest: CallSpec = {
      id: "per-request cookies are not sent to another host after a redirect",
      url: redirectTo(`${otherHost}/headers`),
      cookies: { c: "1" },
      session: {},
    };
    const localhostDomain: CallSpec = {
      id: "Domain=localhost is accepted from localhost and sent back to it",
      url: `${otherHost}/headers`,
      session: { before: [setOn(otherHost, "d=1; Domain=localhost; Path=/")] },
    };

    const batch = new OracleBatch(
      [
        ...persistence,
        ...deletion,
        ...redirects,
        ...perRequest,
        ...attributes,
        ...jar,
        ...responseCookies,
        ...header,
        crossHostPerRequest,
        localhostDomain,
      ],
      pass,
    );

    describe("cookie persistence on a Session, as Python Requests keeps them", () => {
      for (const { id } of persistence) it(id, () => batch.expectSame(id));

      it("sends the cookie /cookies/set stored and keeps it in session.cookies", async () => {
        const mine = await batch.expectSame(
          "/cookies/set stores the cookies and sends them on the redirect to /cookies",
        );
        expect(echoOf(mine).cookies).toEqual({ a: "1", b: "2" });
        expect(mine.session?.cookies).toEqual({ a: "1", b: "2" });
      });
    });

    /** Where nq is stricter than Requests, on purpose: Requests' observation, edited. */
    const stricter: Record<string, (expected: Draft<Normalised>) => void> = {
      // RFC 6265bis (tough-cookie): a Secure cookie set over plain http is refused, so it is not
      // stored at all; Python's cookie jar stores it and, like nq, never sends it over http.
      "a Secure cookie is not sent over plain http, not even to loopback": (expected) => {
        const drop = (cookies: Record<string, string> | undefined) => {
          if (cookies) delete cookies.s;
        };
        drop(expected.session?.cookies as Record<string, string> | undefined);
        for (const step of expected.session?.before ?? []) {
          drop((step as { response?: { cookies?: Record<string, string> } }).response?.cookies);
        }
      },
    };

    describe("cookie deletion and expiry", () => {
      for (const { id } of deletion) it(id, () => batch.expectSame(id, stricter[id]));

      // What is sent after a Max-Age=0 field, checked on its own.
      it("a Set-Cookie with Max-Age=0 stops the stored cookie being sent", async () => {
        await using s = api.session();
        await s.get(setCookies(["a=1; Path=/", "b=2; Path=/"]));
        await s.get(setCookies(["a=gone; Max-Age=0; Path=/"]));
        expect(jsonOf(await s.get(`${base}/cookies`)).cookies).toEqual({ b: "2" });
      });

      it("leaves only the other cookie after /cookies/delete", async () => {
        const mine = await batch.expectSame("/cookies/delete?a removes that cookie and keeps the others");
        expect(echoOf(mine).cookies).toEqual({ b: "2" });
        expect(mine.session?.cookies).toEqual({ b: "2" });
      });
    });

    describe("cookies across a redirect chain", () => {
      for (const { id } of redirects) it(id, () => batch.expectSame(id));

      it("stores the middle hop's cookie and shows it in that hop's response.cookies", async () => {
        const mine = await batch.expectSame(
          "a cookie set by a middle hop is stored and sent on the following hop",
        );
        expect(echoOf(mine).cookies).toEqual({ a: "1" });
        expect(mine.response?.historyCookies).toEqual([{}, { a: "1" }]);
      });
    });

    describe("per-request cookies", () => {
      for (const { id } of perRequest) it(id, () => batch.expectSame(id));

      it("sends the request's value over the session's and leaves the session's in the jar", async () => {
        const mine = await batch.expectSame(
          "a per-request cookie overrides a same-name session cookie set on the jar",
        );
        expect(echoOf(mine).cookies).toEqual({ a: "request" });
        expect(mine.session?.cookies).toEqual({ a: "session" });
      });

      // Requests puts per-request cookies into a jar without a domain, so every hop of the chain
      // receives them, whatever its host. nq keeps them to the host of the original request (the
      // session README: "Per-request cookies stay on their host").
      it(crossHostPerRequest.id, async () => {
        const mine = await batch.expectSame(crossHostPerRequest.id, (expected) =>
          editEcho(expected, (echo) => {
            delete (echo.headers as Record<string, string>).Cookie;
          }),
        );
        expect(echoOf(mine).headers?.Cookie).toBeUndefined();
        const theirs = await batch.requests(crossHostPerRequest.id);
        expect(echoOf(theirs).headers?.Cookie).toBe("c=1");
      });
    });

    describe("cookie attributes: path, domain, quoting", () => {
      for (const { id } of attributes) it(id, () => batch.expectSame(id));

      // Python's http.cookiejar stores a Domain=localhost cookie but never returns it (its
      // return_ok_domain compares with "localhost.local"); niquests 3.6.5 made its policy accept
      // and send it, and nq follows niquests (the cookies README).
      it(localhostDomain.id, async () => {
        const mine = await batch.expectSame(localhostDomain.id, (expected) =>
          editEcho(expected, (echo) => {
            (echo.headers as Record<string, string>).Cookie = "d=1";
          }),
        );
        expect(echoOf(mine).headers?.Cookie).toBe("d=1");
      });
    });

    describe("cookies set on session.cookies by hand", () => {
      for (const { id } of jar) it(id, () => batch.expectSame(id));
    });

    describe("response.cookies", () => {
      for (const { id } of responseCookies) it(id, () => batch.expectSame(id));
    });

    describe("a Cookie header set by hand", () => {
      for (const { id } of header) it(id, () => batch.expectSame(id));
    });

    describe("session.cookies API (nq's RequestsCookieJar, checked against what httpbin set)", () => {
      it("get, toDict, has and delete see the cookies a response stored", async () => {
        await using s = api.session();
        await s.get(setCookies(["a=1; Path=/", "b=2; Path=/"]));
        expect(s.cookies.get("a")).toBe("1");
        expect(s.cookies.get("a", { domain: "127.0.0.1" })).toBe("1");
        expect(s.cookies.get("a", { domain: "localhost" })).toBeUndefined();
        expect(s.cookies.toDict()).toEqual({ a: "1", b: "2" });
        expect(s.cookies.delete("a")).toBe(true);
        expect(s.cookies.has("a")).toBe(false);
        expect(jsonOf(await s.get(`${base}/cookies`)).cookies).toEqual({ b: "2" });
      });

      it("set(name, null) deletes, as Requests' jar.set(name, None)", async () => {
        await using s = api.session();
        s.cookies.set("a", "1");
        s.cookies.set("a", null);
        expect(s.cookies.size).toBe(0);
        expect(jsonOf(await s.get(`${base}/cookies`)).cookies).toEqual({});
      });

      it("cookies given to the Session constructor are sent (niquests' Session(cookies=))", async () => {
        await using s = api.session({ cookies: { given: "1" } });
        expect(jsonOf(await s.get(`${base}/cookies`)).cookies).toEqual({ given: "1" });
      });
    });

    // niquests only: Requests' Session has no allow_incoming_cookies.
    describe("allowIncomingCookies: false", () => {
      it("does not store what the server sets, yet response.cookies shows it", async () => {
        await using s = api.session({ allowIncomingCookies: false });
        const r = await s.get(setCookies(["a=1; Path=/"]));
        expect(r.cookies.toDict()).toEqual({ a: "1" });
        expect(s.cookies.size).toBe(0);
        expect(jsonOf(await s.get(`${base}/cookies`)).cookies).toEqual({});
      });

      it("does not store a redirect hop's cookie either, so the next hop goes without it", async () => {
        await using s = api.session({ allowIncomingCookies: false });
        const r = await s.get(`${base}/cookies/set?a=1`);
        expect(jsonOf(r).cookies).toEqual({});
        expect(r.history[0]?.cookies.toDict()).toEqual({ a: "1" });
        expect(s.cookies.size).toBe(0);
      });

      it("still sends cookies the user put into the jar", async () => {
        await using s = api.session({ allowIncomingCookies: false });
        s.cookies.set("mine", "1");
        await s.get(setCookies(["theirs=1; Path=/"]));
        expect(jsonOf(await s.get(`${base}/cookies`)).cookies).toEqual({ mine: "1" });
      });

      it("can be switched on later on the same session", async () => {
        await using s = api.session({ allowIncomingCookies: false });
        await s.get(setCookies(["a=1; Path=/"]));
        s.allowIncomingCookies = true;
        await s.get(setCookies(["b=2; Path=/"]));
        expect(s.cookies.toDict()).toEqual({ b: "2" });
      });
    });

    describe("module functions", () => {
      it("keep no cookie from one call to the next (each uses a short-lived Session)", async () => {
        await api.get(`${base}/cookies/set?a=1`);
        expect(jsonOf(await api.get(`${base}/cookies`)).cookies).toEqual({});
      });
    });
  });
}
