import { sensitiveHeaders } from "node:http2";
import { describe, expect, it } from "vitest";
import { outgoingHeaders } from "./request-headers.js";

describe("outgoingHeaders", () => {
  it("puts the pseudo-headers first and lowercases fields, keeping repeats in order", () => {
    const headers = outgoingHeaders("POST", new URL("https://example.org:8443/a?b=1"), "/a?b=1", [
      "X-Repeat",
      "one",
      "User-Agent",
      "nq",
      "x-repeat",
      "two",
    ]);
    expect(Object.keys(headers).slice(0, 4)).toEqual([":method", ":scheme", ":authority", ":path"]);
    expect(headers).toMatchObject({
      ":method": "POST",
      ":scheme": "https",
      ":authority": "example.org:8443",
      ":path": "/a?b=1",
      "x-repeat": ["one", "two"],
      "user-agent": "nq",
    });
  });

  it("drops connection-specific fields and turns Host into :authority", () => {
    const headers = outgoingHeaders("GET", new URL("http://127.0.0.1:1/"), "/", [
      "Connection",
      "keep-alive",
      "Keep-Alive",
      "timeout=5",
      "Transfer-Encoding",
      "chunked",
      "Upgrade",
      "h2c",
      "Host",
      "virtual.example",
      "Expect",
      "100-continue",
      "TE",
      "gzip",
      "Accept",
      "*/*",
    ]);
    expect(headers).toEqual({
      ":method": "GET",
      ":scheme": "http",
      ":authority": "virtual.example",
      ":path": "/",
      accept: "*/*",
    });
  });

  it("keeps TE: trailers, the one TE value HTTP/2 allows", () => {
    expect(outgoingHeaders("GET", new URL("https://a/"), "/", ["TE", "trailers"]).te).toBe("trailers");
  });

  it("marks credentials never-indexed", () => {
    const headers = outgoingHeaders("GET", new URL("https://a/"), "/", ["Authorization", "Bearer x"]);
    expect((headers as Record<symbol, unknown>)[sensitiveHeaders]).toEqual(["authorization"]);
  });
});
