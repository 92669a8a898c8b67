import { describe, expect, it } from "vitest";
import type { CallSpec } from "./call-spec.js";
import { OracleBatch } from "./oracle.js";
import { PASSES, type Pass } from "./passes.js";

function specsFor({ base, otherHost }: Pass) {
  // otherHost: the same server under another host name, so a redirect there is a cross-host redirect.
  const redirectTo = (url: string, status: number): string =>
    `${base}/redirect-to?${new URLSearchParams({ url, status_code: String(status) })}`;

  const chains: CallSpec[] = [
    { id: "/redirect/3", url: `${base}/redirect/3` },
    { id: "/relative-redirect/3", url: `${base}/relative-redirect/3` },
    { id: "/absolute-redirect/3", url: `${base}/absolute-redirect/3` },
    { id: "/redirect/1 keeps the fragment", url: `${base}/redirect/1#kept` },
    { id: "/redirect-to an absolute URL", url: redirectTo(`${base}/get?from=redirect`, 302) },
    { id: "HEAD through a 302", method: "HEAD", url: redirectTo("/get", 302) },
  ];

  const statuses = [301, 302, 303, 307, 308];
  const postRedirects: CallSpec[] = statuses.flatMap((status): CallSpec[] => [
    {
      id: `POST form through ${status}`,
      method: "POST",
      url: redirectTo("/anything", status),
      data: { a: "1" },
    },
    {
      id: `POST json through ${status}`,
      method: "POST",
      url: redirectTo("/anything", status),
      json: { a: 1 },
    },
  ]);
  const otherMethodRedirects: CallSpec[] = [301, 302, 303, 307].map((status) => ({
    id: `PUT form through ${status}`,
    method: "PUT",
    url: redirectTo("/anything", status),
    data: { a: "1" },
  }));

  const notFollowed: CallSpec[] = [
    { id: "allowRedirects false on /redirect/1", url: `${base}/redirect/1`, allowRedirects: false },
    {
      id: "allowRedirects false on a POST 307",
      method: "POST",
      url: redirectTo("/anything", 307),
      data: "x",
      allowRedirects: false,
    },
    {
      id: "allowRedirects false on a POST 303",
      method: "POST",
      url: redirectTo("/anything", 303),
      data: "x",
      allowRedirects: false,
    },
    { id: "allowRedirects false on a 301", url: redirectTo("/get", 301), allowRedirects: false },
  ];

  const limits: CallSpec[] = [
    { id: "maxRedirects 3 with 3 redirects", url: `${base}/redirect/3`, session: { maxRedirects: 3 } },
    { id: "maxRedirects 3 with 5 redirects", url: `${base}/redirect/5`, session: { maxRedirects: 3 } },
    { id: "maxRedirects 3 with 4 redirects", url: `${base}/redirect/4`, session: { maxRedirects: 3 } },
  ];

  const auth: CallSpec[] = [
    {
      id: "Authorization kept on a same-host redirect",
      url: redirectTo("/headers", 302),
      auth: ["user", "passwd"],
    },
    {
      id: "Authorization dropped on a cross-host redirect",
      url: redirectTo(`${otherHost}/headers`, 302),
      auth: ["user", "passwd"],
    },
    { id: "cookie set on a redirect is sent to its target", url: `${base}/cookies/set?flavour=oat` },
  ];

  return { chains, postRedirects, otherMethodRedirects, notFollowed, limits, auth };
}

for (const pass of PASSES) {
  describe(pass.name, () => {
    const { chains, postRedirects, otherMethodRedirects, notFollowed, limits, auth } = specsFor(pass);
    const { base } = pass;
    const batch = new OracleBatch(
      [...chains, ...postRedirects, ...otherMethodRedirects, ...notFollowed, ...limits, ...auth],
      pass,
    );

    describe("redirect chains and history, as Python Requests follows them", () => {
      for (const { id } of chains) it(id, () => batch.expectSame(id));

      it("records every hop in history, oldest first", async () => {
        const mine = await batch.expectSame("/redirect/3");
        expect(mine.response?.history.map(([status]) => status)).toEqual([302, 302, 302]);
        expect(mine.response?.history[0]?.[1]).toBe(`${base}/redirect/3`);
        expect(mine.response?.url).toBe(`${base}/get`);
      });
    });

    describe("method and body after a redirect of a POST, as Python Requests rebuilds them", () => {
      for (const { id } of [...postRedirects, ...otherMethodRedirects]) it(id, () => batch.expectSame(id));
    });

    describe("allowRedirects: false", () => {
      for (const { id } of notFollowed) it(id, () => batch.expectSame(id));

      it("returns the 302 itself, with isRedirect and next", async () => {
        const mine = await batch.expectSame("allowRedirects false on /redirect/1");
        expect(mine.response?.statusCode).toBe(302);
        expect(mine.response?.isRedirect).toBe(true);
        expect(mine.response?.next).toEqual({ method: "GET", url: `${base}/get` });
      });
    });

    describe("maxRedirects on a Session", () => {
      for (const { id } of limits) it(id, () => batch.expectSame(id));

      it("throws TooManyRedirects carrying the last redirect", async () => {
        const mine = await batch.expectSame("maxRedirects 3 with 5 redirects");
        expect(mine.error).toMatchObject({ type: "TooManyRedirects", responseStatus: 302 });
      });
    });

    describe("credentials and cookies across redirects", () => {
      for (const { id } of auth) it(id, () => batch.expectSame(id));
    });
  });
}
