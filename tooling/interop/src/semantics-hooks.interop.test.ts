import * as nq from "niquests";
import { describe, expect, it } from "vitest";
import { client, PASSES } from "./passes.js";
import { jsonOf, rejection, urls } from "./semantics-support.js";

for (const pass of PASSES) {
  describe(pass.name, () => {
    const { base } = urls(pass);
    const api = client(pass);
    // Hooks take functions, which the oracle cannot carry: asserted on nq directly, following
    // Requests' and niquests' rules (request hooks replace the session's for the same event).
    describe("hooks", () => {
      it("a session response hook runs for every request of the session", async () => {
        const seen: number[] = [];
        await using s = api.session({ hooks: { response: (r) => void seen.push(r.statusCode) } });
        await s.get(`${base}/status/201`);
        await s.get(`${base}/status/202`);
        expect(seen).toEqual([201, 202]);
      });

      it("a request response hook replaces the session's for that event", async () => {
        const seen: string[] = [];
        await using s = api.session({ hooks: { response: () => void seen.push("session") } });
        await s.get(`${base}/get`, { hooks: { response: () => void seen.push("request") } });
        expect(seen).toEqual(["request"]);
      });

      it("the session's hooks for other events still run beside a request's hooks", async () => {
        const seen: string[] = [];
        await using s = api.session({ hooks: { preRequest: () => void seen.push("session preRequest") } });
        await s.get(`${base}/get`, { hooks: { response: () => void seen.push("request response") } });
        expect(seen).toEqual(["session preRequest", "request response"]);
      });

      it("a response hook's return value replaces the response", async () => {
        const r = await api.get(`${base}/get`, {
          hooks: {
            response: (response) => {
              response.statusCode = 299;
              return response;
            },
          },
        });
        expect(r.statusCode).toBe(299);
      });

      it("a preRequest hook can change the request before it is sent", async () => {
        const r = await api.get(`${base}/headers`, {
          hooks: {
            preRequest: (request) => {
              request.headers.set("X-Hooked", "yes");
              return request;
            },
          },
        });
        expect(jsonOf(r).headers?.["X-Hooked"]).toBe("yes");
      });

      it("the response hook runs for each hop of a redirect chain, oldest first", async () => {
        const seen: number[] = [];
        await api.get(`${base}/redirect/2`, { hooks: { response: (r) => void seen.push(r.statusCode) } });
        expect(seen).toEqual([302, 302, 200]);
      });

      it("preRequest runs once per call, redirects included", async () => {
        let calls = 0;
        await api.get(`${base}/redirect/2`, { hooks: { preRequest: () => void calls++ } });
        expect(calls).toBe(1);
      });

      it("several hooks for one event run in order, each given what the previous returned", async () => {
        const order: string[] = [];
        await api.get(`${base}/get`, {
          hooks: {
            response: [
              () => void order.push("first"),
              async () => {
                await new Promise((resolve) => setTimeout(resolve, 10));
                order.push("second, async");
              },
              () => void order.push("third"),
            ],
          },
        });
        expect(order).toEqual(["first", "second, async", "third"]);
      });

      it("an error thrown by a hook rejects the call with that error", async () => {
        const boom = new Error("hook failed");
        const error = await rejection(() =>
          api.get(`${base}/get`, {
            hooks: {
              response: () => {
                throw boom;
              },
            },
          }),
        );
        expect(error).toBe(boom);
      });

      it("onUpload reports progress up to the whole body", async () => {
        const progress: Array<nq.TransferProgress | undefined> = [];
        const body = new Uint8Array(64 * 1024).fill(120);
        await api.post(`${base}/post`, {
          data: body,
          hooks: {
            onUpload: (request) =>
              void progress.push(request.uploadProgress && { ...request.uploadProgress }),
          },
        });
        expect(progress.length).toBeGreaterThan(0);
        expect(progress.at(-1)).toMatchObject({ isCompleted: true, contentLength: body.length });
      });
    });

    describe("hooks: dispatch details", () => {
      it("a single function is accepted in place of a list", async () => {
        let seen = 0;
        await api.get(`${base}/get`, { hooks: { response: () => void seen++ } });
        expect(seen).toBe(1);
      });

      it("preRequest runs before preSend, and both before the response hook", async () => {
        const order: string[] = [];
        await api.get(`${base}/get`, {
          hooks: {
            response: () => void order.push("response"),
            preSend: () => void order.push("preSend"),
            preRequest: () => void order.push("preRequest"),
          },
        });
        expect(order).toEqual(["preRequest", "preSend", "response"]);
      });

      it("the response hook sees the request that produced each response", async () => {
        const urls: string[] = [];
        await api.get(`${base}/redirect/1`, { hooks: { response: (r) => void urls.push(r.request.url) } });
        expect(urls).toEqual([`${base}/redirect/1`, `${base}/get`]);
      });

      it("a response hook that returns nothing leaves the response as it was", async () => {
        const r = await api.get(`${base}/status/202`, { hooks: { response: () => undefined } });
        expect(r.statusCode).toBe(202);
      });

      it("a request's hooks do not stay on the session", async () => {
        const seen: string[] = [];
        await using s = api.session();
        await s.get(`${base}/get`, { hooks: { response: () => void seen.push("once") } });
        await s.get(`${base}/get`);
        expect(seen).toEqual(["once"]);
      });
    });

    // niquests' limiters are preRequest hooks that wait; the rates are checked with fake timers in
    // @nq/retry, this only shows one spacing real requests to a real server.
    describe("rate limiter hooks on a session", () => {
      it("LeakyBucketLimiter spaces requests at least 1/rate apart", async () => {
        await using s = api.session({ hooks: new nq.LeakyBucketLimiter({ rate: 20 }) });
        const started = performance.now();
        await Promise.all([s.get(`${base}/get`), s.get(`${base}/get`), s.get(`${base}/get`)]);
        // Three requests at 20/s: the third may not start before 2 × 50 ms.
        expect(performance.now() - started).toBeGreaterThanOrEqual(95);
      });
    });
  });
}
