import { startHttpServer } from "@nq/testkit";
import { describe, expect, it } from "vitest";

// The other tests run the TypeScript sources through vitest's transpiler; users run tsc's output.
// Emit differences (class static blocks, private fields) only show here.
describe("the built package", () => {
  it("imports from dist and makes a request", async () => {
    const nq = (await import(
      new URL("../dist/index.js", import.meta.url).href
    )) as typeof import("./index.js");
    await using server = await startHttpServer((req, res) => {
      res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ url: req.url }));
    });
    const r = await nq.get(`${server.url}dist`, { params: { built: "yes" } });
    expect(r.json()).toEqual({ url: "/dist?built=yes" });
    expect(new nq.Headers({ A: "1" }).get("a")).toBe("1");
    expect(nq.Headers.isHeaders(r.headers)).toBe(true);
    expect(new nq.ConnectTimeout("x")).toBeInstanceOf(nq.Timeout);
    expect(nq.RequestsCookieJar.isJar(new nq.RequestsCookieJar())).toBe(true);
  });
});
