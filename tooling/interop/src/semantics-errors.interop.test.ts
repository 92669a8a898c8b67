import { createServer } from "node:net";
import * as nq from "niquests";
import { describe, expect, it } from "vitest";
import type { CallSpec, SpecRetries } from "./call-spec.js";
import type { Normalised } from "./normalise.js";
import { type Draft, OracleBatch } from "./oracle.js";
import { client, PASSES } from "./passes.js";
import { rejection, urls } from "./semantics-support.js";

/** A loopback port nothing listens on: bound by the kernel, then released. */
const closedPort = await new Promise<number>((resolve, reject) => {
  const server = createServer();
  server.once("error", reject);
  server.listen(0, "127.0.0.1", () => {
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("no TCP address");
    server.close(() => resolve(address.port));
  });
});

for (const pass of PASSES) {
  describe(pass.name, () => {
    const { base, redirectTo } = urls(pass);
    const api = client(pass);
    const headerErrors: CallSpec[] = [
      {
        id: "a header value with a newline raises InvalidHeader",
        url: `${base}/headers`,
        headers: { "X-Bad": "a\nb" },
      },
      {
        id: "a header value with leading whitespace raises InvalidHeader",
        url: `${base}/headers`,
        headers: { "X-Bad": " lead" },
      },
      {
        id: "a header value with trailing whitespace is sent",
        url: `${base}/headers`,
        headers: { "X-Trail": "v " },
      },
    ];

    const connection: CallSpec[] = [
      {
        id: "a closed port raises ConnectionError",
        url: `${pass.scheme}://127.0.0.1:${closedPort}/`,
        timeout: 5_000,
      },
      {
        id: "a redirect to a closed port raises ConnectionError",
        url: redirectTo(`${pass.scheme}://127.0.0.1:${closedPort}/get`),
        timeout: 5_000,
      },
    ];

    const statuses: CallSpec[] = [400, 401, 403, 405, 410, 429, 502, 504].map((status) => ({
      id: `raiseForStatus on ${status}`,
      url: `${base}/status/${status}`,
      raiseForStatus: true,
    }));
    const raiseCases: CallSpec[] = [
      ...statuses,
      {
        id: "raiseForStatus names the final URL after a redirect",
        url: redirectTo("/status/404"),
        raiseForStatus: true,
      },
      {
        id: "raiseForStatus keeps the query in the URL",
        url: `${base}/status/418?x=1&y=2`,
        raiseForStatus: true,
      },
      {
        id: "raiseForStatus does nothing on a 3xx not followed",
        url: `${base}/redirect/1`,
        allowRedirects: false,
        raiseForStatus: true,
      },
    ];

    const fast: Omit<SpecRetries, "total"> = { backoffFactor: 10 };
    const retries: CallSpec[] = [
      {
        id: "a GET answered 500 in statusForcelist raises RetryError when retries run out",
        url: `${base}/status/500`,
        session: { retries: { total: 2, statusForcelist: [500], ...fast } },
      },
      {
        id: "with raiseOnStatus false the last 500 is returned instead",
        url: `${base}/status/500`,
        session: { retries: { total: 2, statusForcelist: [500], raiseOnStatus: false, ...fast } },
      },
      {
        id: "a POST is not retried on a forced status: its 500 is returned",
        method: "POST",
        url: `${base}/status/500`,
        session: { retries: { total: 2, statusForcelist: [500], ...fast } },
      },
      {
        id: "allowedMethods null retries a POST too",
        method: "POST",
        url: `${base}/status/500`,
        session: { retries: { total: 1, statusForcelist: [500], allowedMethods: null, ...fast } },
      },
      {
        id: "a 503 without Retry-After is not retried by default",
        url: `${base}/status/503`,
        session: { retries: { total: 3, ...fast } },
      },
      {
        id: "a 429 without Retry-After is not retried by default",
        url: `${base}/status/429`,
        session: { retries: { total: 3, ...fast } },
      },
      {
        id: "a status outside statusForcelist is returned",
        url: `${base}/status/500`,
        session: { retries: { total: 2, statusForcelist: [502], ...fast } },
      },
      {
        id: "a 4xx in statusForcelist is retried as well",
        url: `${base}/status/404`,
        session: { retries: { total: 1, statusForcelist: [404], ...fast } },
      },
      {
        id: "total 0 with a forced status raises RetryError at once",
        url: `${base}/status/500`,
        session: { retries: { total: 0, statusForcelist: [500] } },
      },
      {
        id: "retries do not change a request that succeeds",
        url: `${base}/get`,
        session: { retries: { total: 3, statusForcelist: [500], ...fast } },
      },
      {
        id: "a closed port with retries left still raises ConnectionError at the end",
        url: `${pass.scheme}://127.0.0.1:${closedPort}/`,
        session: { retries: { total: 2, ...fast } },
      },
    ];

    const batch = new OracleBatch([...headerErrors, ...connection, ...raiseCases, ...retries], pass);

    // KNOWN DIFFERENCE: Requests (and niquests) raise RetryError with the request only; nq also
    // attaches the last response, as DESIGN.md asks of every error that has one. An extra field,
    // so harmless: the class and the outcome are still compared.
    function withLastResponse(status: number): (expected: Draft<Normalised>) => void {
      return (expected) => {
        if (expected.error?.type === "RetryError") expected.error.responseStatus = status;
      };
    }
    const retryStatus: Record<string, number> = {
      "a GET answered 500 in statusForcelist raises RetryError when retries run out": 500,
      "allowedMethods null retries a POST too": 500,
      "a 4xx in statusForcelist is retried as well": 404,
      "total 0 with a forced status raises RetryError at once": 500,
    };

    describe("header validation", () => {
      for (const { id } of headerErrors) it(id, () => batch.expectSame(id));
    });

    describe("connection failures", () => {
      for (const { id } of connection) it(id, () => batch.expectSame(id));

      it("ConnectionError carries the request and the low-level cause", async () => {
        const error = (await rejection(() =>
          api.get(`${pass.scheme}://127.0.0.1:${closedPort}/x`),
        )) as nq.ConnectionError;
        expect(error).toBeInstanceOf(nq.ConnectionError);
        expect(error).not.toBeInstanceOf(nq.Timeout);
        expect(error.request?.url).toBe(`${pass.scheme}://127.0.0.1:${closedPort}/x`);
        expect(error.cause).toBeDefined();
      });
    });

    describe("raiseForStatus, with Requests' messages", () => {
      for (const { id } of raiseCases) it(id, () => batch.expectSame(id));

      it("returns the response itself when the status is not an error, for chaining", async () => {
        const r = await api.get(`${base}/status/201`);
        expect(r.raiseForStatus()).toBe(r);
      });

      it("HTTPError carries the response and the request", async () => {
        const r = await api.get(`${base}/status/409`);
        let error: unknown;
        try {
          r.raiseForStatus();
        } catch (caught) {
          error = caught;
        }
        expect(error).toBeInstanceOf(nq.HTTPError);
        expect((error as nq.HTTPError).response).toBe(r);
        expect((error as nq.HTTPError).request?.url).toBe(`${base}/status/409`);
      });
    });

    describe("retries against httpbin, as urllib3's Retry mounted in Requests behaves", () => {
      for (const { id } of retries) {
        const status = retryStatus[id];
        it(id, () => batch.expectSame(id, status === undefined ? undefined : withLastResponse(status)));
      }

      it("RetryError names the status that exhausted the budget", async () => {
        await using s = api.session({ retries: { total: 1, statusForcelist: [500], backoffFactor: 10 } });
        const error = await rejection(() => s.get(`${base}/status/500`));
        expect(error).toBeInstanceOf(nq.RetryError);
        expect(error).toBeInstanceOf(nq.RequestException);
        expect((error as Error).message).toContain("too many 500 error responses");
      });

      // niquests takes retries per call on the module functions; nq on every request.
      it("a per-request retries option applies without a session setting", async () => {
        const error = await rejection(() =>
          api.get(`${base}/status/502`, { retries: { total: 1, statusForcelist: [502], backoffFactor: 10 } }),
        );
        expect(error).toBeInstanceOf(nq.RetryError);
      });

      it("a RetryConfiguration instance is accepted as the session's retries", async () => {
        const retry = new nq.RetryConfiguration({ total: 1, statusForcelist: [503], backoffFactor: 10 });
        await using s = api.session({ retries: retry });
        expect(await rejection(() => s.get(`${base}/status/503`))).toBeInstanceOf(nq.RetryError);
      });
    });
  });
}

// Each spec raises before any I/O, so no server takes part: checked once, not per pass. The
// error class is compared.
const urlErrors: CallSpec[] = [
  { id: "a URL without a scheme raises MissingSchema", url: "127.0.0.1/get" },
  { id: "a bare word raises MissingSchema", url: "hiwpefhipowhefopw" },
  { id: "host:port without a scheme raises InvalidSchema", url: "localhost:3128" },
  { id: "an unsupported scheme raises InvalidSchema", url: "ftp://127.0.0.1/" },
  { id: "http:// without a host raises InvalidURL", url: "http://" },
  { id: "http:///path without a host raises InvalidURL", url: "http:///get" },
  { id: "a host starting with * raises InvalidURL", url: "http://*example.org" },
  { id: "a host starting with . raises InvalidURL", url: "http://.example.org" },
  { id: "a negative port raises InvalidURL", url: "http://127.0.0.1:-1/" },
  { id: "a port above 65535 raises InvalidURL", url: "http://127.0.0.1:99999/" },
  { id: "an unclosed IPv6 bracket raises InvalidURL", url: "http://[::1/" },
  { id: "an unbracketed IPv6 address raises InvalidURL", url: "http://fe80::5054:ff:fe5a:fc0" },
];

const urlBatch = new OracleBatch(urlErrors);

describe("URL errors, raised before any I/O as Python Requests raises them", () => {
  for (const { id } of urlErrors) it(id, () => urlBatch.expectSame(id));

  it("MissingSchema suggests a scheme and is a RequestException", async () => {
    const error = await rejection(() => nq.get("127.0.0.1/get"));
    expect(error).toBeInstanceOf(nq.MissingSchema);
    expect(error).toBeInstanceOf(nq.RequestException);
    expect((error as Error).message).toMatch(/Perhaps you meant https?:\/\/127\.0\.0\.1\/get/);
  });
});
