import { describe, expect, it } from "vitest";
import { ReplayableBody } from "./body.js";
import { PreparedRequest, Request } from "./request.js";

const prepare = (init: Parameters<PreparedRequest["prepare"]>[0]) => new PreparedRequest().prepare(init);

describe("PreparedRequest Content-Length, as Requests sets it", () => {
  it("sends none on a body-less GET or HEAD, 0 on other body-less methods", () => {
    expect(prepare({ method: "GET", url: "http://h/" }).headers.has("content-length")).toBe(false);
    expect(prepare({ method: "head", url: "http://h/" }).headers.has("content-length")).toBe(false);
    for (const method of ["POST", "PUT", "PATCH", "OPTIONS", "DELETE"]) {
      expect(prepare({ method, url: "http://h/" }).headers.get("content-length")).toBe("0");
      expect(prepare({ method, url: "http://h/", data: "" }).headers.get("content-length")).toBe("0");
    }
  });

  it("keeps a caller's Content-Length on a body-less request", () => {
    const p = prepare({ method: "POST", url: "http://h/", headers: { "Content-Length": "10" } });
    expect(p.headers.get("content-length")).toBe("10");
  });

  it("sets the length of a known body and sends a stream chunked, never both", () => {
    expect(prepare({ method: "POST", url: "http://h/", data: "abc" }).headers.get("content-length")).toBe(
      "3",
    );
    async function* stream() {
      yield new Uint8Array([1]);
    }
    const chunked = prepare({ method: "POST", url: "http://h/", data: stream() });
    expect(chunked.headers.get("transfer-encoding")).toBe("chunked");
    expect(chunked.headers.has("content-length")).toBe(false);
    const sized = prepare({ method: "POST", url: "http://h/", data: new Blob(["abcd"]) });
    expect(sized.headers.get("content-length")).toBe("4");
    expect(sized.headers.has("transfer-encoding")).toBe(false);
    expect(sized.body).toBeInstanceOf(ReplayableBody);
  });

  it("replaces the caller's multipart Content-Type with the one carrying the boundary", () => {
    const p = prepare({
      method: "POST",
      url: "http://h/",
      headers: { "Content-Type": "multipart/form-data" },
      data: { a: "1" },
    });
    expect(p.headers.get("content-type")).toMatch(/^multipart\/form-data; boundary=[0-9a-f]{32}$/);
  });
});

describe("PreparedRequest", () => {
  it("upper-cases the method, keeps the fragment in url but not in pathUrl", () => {
    const p = prepare({ method: "patch", url: "http://h/a b?x=1#frag", params: { y: "2" } });
    expect(p.method).toBe("PATCH");
    expect(p.url).toBe("http://h/a%20b?x=1&y=2#frag");
    expect(p.pathUrl).toBe("/a%20b?x=1&y=2");
  });

  it("sets the Cookie header only when the caller set none", () => {
    const p = prepare({ method: "GET", url: "http://h/" });
    p.prepareCookies("a=1");
    expect(p.headers.get("cookie")).toBe("a=1");
    const own = prepare({ method: "GET", url: "http://h/", headers: { Cookie: "mine=1" } });
    own.prepareCookies("a=1");
    expect(own.headers.get("cookie")).toBe("mine=1");
  });

  it("copies with independent headers", () => {
    const p = prepare({ method: "POST", url: "http://h/", data: "x" });
    const copy = p.copy();
    copy.headers.set("X", "1");
    expect(p.headers.has("x")).toBe(false);
    expect(copy.body).toBe(p.body);
  });

  it("Request.prepare works without a session", () => {
    const p = new Request({ method: "post", url: "http://h/", json: { a: 1 } }).prepare();
    expect(p.headers.get("content-type")).toBe("application/json");
    expect(new TextDecoder().decode(p.body as Uint8Array)).toBe('{"a":1}');
  });
});
