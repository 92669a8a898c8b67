import { describe, expect, it } from "vitest";
import { RequestsCookieJar } from "./index.js";

describe("RequestsCookieJar", () => {
  it("round-trips through fromDict and toDict", () => {
    const jar = RequestsCookieJar.fromDict({ a: "1", b: "2", dropped: null });
    expect(jar.toDict()).toEqual({ a: "1", b: "2" });
  });

  it("works as a dict: set, get, delete, toDict, size", () => {
    const jar = new RequestsCookieJar({ a: "1" });
    jar.set("b", "2");
    expect(jar.get("a")).toBe("1");
    expect(jar.toDict()).toEqual({ a: "1", b: "2" });
    expect(jar.size).toBe(2);
    jar.set("a", null);
    expect(jar.has("a")).toBe(false);
    expect(jar.size).toBe(1);
  });

  it("sends hand-set cookies without a domain to every host", () => {
    const jar = new RequestsCookieJar({ token: "t" });
    expect(jar.cookieHeader("http://a.example/")).toBe("token=t");
    expect(jar.cookieHeader("https://b.example/x")).toBe("token=t");
  });

  it("scopes server cookies by domain and path (RFC 6265)", () => {
    const jar = new RequestsCookieJar();
    // Without a Path attribute the default path is the request path's directory, /app here.
    jar.extractCookies("http://example.com/app/login", ["sid=1", "lang=en; Path=/"]);
    expect(jar.cookieHeader("http://example.com/app/x")).toBe("sid=1; lang=en");
    expect(jar.cookieHeader("http://example.com/other")).toBe("lang=en");
    expect(jar.cookieHeader("http://other.example/app/x")).toBeNull();
  });

  it("refuses a cookie for a public suffix or an unrelated domain, accepts Domain=localhost", () => {
    const jar = new RequestsCookieJar();
    jar.extractCookies("http://www.example.com/", ["a=1; Domain=com", "b=2; Domain=evil.test"]);
    expect(jar.size).toBe(0);
    jar.extractCookies("http://localhost:8080/", ["c=3; Domain=localhost"]);
    expect(jar.get("c")).toBe("3");
  });

  it("deletes a cookie when the server sends it expired, and keeps quoted values verbatim", () => {
    const jar = new RequestsCookieJar();
    jar.extractCookies("http://example.com/", ['q="bar:baz"', "gone=1"]);
    expect(jar.get("q")).toBe('"bar:baz"');
    jar.extractCookies("http://example.com/", ["gone=; Expires=Thu, 01 Jan 1970 00:00:00 GMT"]);
    expect(jar.has("gone")).toBe(false);
  });

  it("does not send Secure cookies over http, not even to loopback", () => {
    const jar = new RequestsCookieJar();
    jar.extractCookies("https://example.com/", ["s=1; Secure"]);
    expect(jar.cookieHeader("https://example.com/")).toBe("s=1");
    expect(jar.cookieHeader("http://example.com/")).toBeNull();
    jar.extractCookies("http://127.0.0.1/", ["local=1; Secure"]);
    expect(jar.cookieHeader("http://127.0.0.1/")).toBeNull();
  });

  it("forgets a Max-Age=0 cookie at once", () => {
    const jar = new RequestsCookieJar();
    jar.extractCookies("http://example.com/", ["a=1"]);
    jar.extractCookies("http://example.com/", ["a=gone; Max-Age=0"]);
    expect(jar.has("a")).toBe(false);
    expect(jar.toDict()).toEqual({});
  });

  it("copies independently and updates from another jar keeping scope", () => {
    const jar = new RequestsCookieJar();
    jar.set("a", "1", { domain: "example.com", hostOnly: true });
    const copy = jar.copy();
    copy.set("b", "2");
    expect(jar.has("b")).toBe(false);
    expect(copy.cookieHeader("http://example.com/")).toBe("b=2; a=1");
    expect(copy.cookieHeader("http://sub.example.com/")).toBe("b=2");
    expect(copy.get("a", { domain: "example.com" })).toBe("1");
    expect(copy.get("a", { domain: "other.com" })).toBeUndefined();
  });
});
