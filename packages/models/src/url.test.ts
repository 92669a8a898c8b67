import { describe, expect, it } from "vitest";
import { InvalidURL, MissingSchema } from "./errors.js";
import {
  encodeParams,
  joinBaseUrl,
  prepareUrl,
  redecodeLatin1,
  requoteUri,
  resolveLocation,
  unquoteUnreserved,
  urlPath,
} from "./url.js";

// Expected values are what requests 2.34 / urllib3 2.7 produce for the same input.

describe("encodeParams", () => {
  it("encodes like urlencode(doseq=True) with quote_plus", () => {
    expect(encodeParams({ a: ["1", "2"], b: null, c: true, d: 1.5, e: "x y", f: "a+b/c~*'" })).toBe(
      "a=1&a=2&c=true&d=1.5&e=x+y&f=a%2Bb%2Fc~%2A%27",
    );
  });

  it("encodes unicode as UTF-8", () => {
    expect(encodeParams({ ü: "ö" })).toBe("%C3%BC=%C3%B6");
  });

  it("keeps the order of pairs, maps and URLSearchParams, and repeats keys", () => {
    expect(
      encodeParams([
        ["b", "1"],
        ["a", "2"],
        ["b", "3"],
      ]),
    ).toBe("b=1&a=2&b=3");
    expect(encodeParams(new Map([["k", ["1", "2"]]]))).toBe("k=1&k=2");
    // quote_plus, not WHATWG: `*` is encoded and `~` is not.
    expect(encodeParams(new URLSearchParams([["q", "a b*~"]]))).toBe("q=a+b%2A~");
  });

  it("drops null inside lists, stringifies bigint and booleans, sends bytes raw", () => {
    expect(encodeParams({ a: ["1", null, "2"], n: 10n, f: false })).toBe("a=1&a=2&n=10&f=false");
    expect(encodeParams({ b: new Uint8Array([0x78, 0x20, 0xff]) })).toBe("b=x+%FF");
    expect(encodeParams([[new TextEncoder().encode("k y"), "v"]])).toBe("k+y=v");
  });

  it("uses strings verbatim and decodes bytes", () => {
    expect(encodeParams("a=b c")).toBe("a=b c");
    expect(encodeParams(new TextEncoder().encode("test=foo"))).toBe("test=foo");
  });

  it("rejects pairs that are not pairs", () => {
    expect(() => encodeParams([["a", "b", "c"]] as unknown as [string, string][])).toThrow(TypeError);
  });
});

describe("prepareUrl", () => {
  const cases: [string, string][] = [
    ["http://example.com", "http://example.com/"],
    ["HTTP://Example.COM:080/A/./b/../c?x=1", "http://example.com:80/A/c?x=1"],
    ["http://example.com/?", "http://example.com/"],
    ["http://example.com/#", "http://example.com/"],
    ["http://x/a%2fb%zz", "http://x/a%252Fb%25zz"],
    ["http://x/a%7Eb%2f", "http://x/a~b%2F"],
    ["http://x/%", "http://x/%25"],
    ["http://x/a b?c d#e f", "http://x/a%20b?c%20d#e%20f"],
    ['http://x/{}|^`"<>', "http://x/%7B%7D%7C%5E%60%22%3C%3E"],
    ["http://x/?q={}|^'", "http://x/?q=%7B%7D%7C%5E'"],
    ["http://x\\path", "http://x/%5Cpath"],
    ["http://user:p@ss@host/x", "http://user:p%40ss@host/x"],
    ["http://us er@host/x", "http://us%20er@host/x"],
    ["http://a:b@x/", "http://a:b@x/"],
    ["http://host:0/x", "http://host/x"],
    ["http://host:/x", "http://host/x"],
    ["http://[::1]:8080/", "http://[::1]:8080/"],
    ["http://[FE80::1%25eth0]/", "http://[fe80::1%25eth0]/"],
    ["  http://example.com/x", "http://example.com/x"],
    ["http://ジェーピーニック.jp", "http://xn--hckqz9bzb1cyrb.jp/"],
    ["http://Straße.de/", "http://xn--strae-oqa.de/"],
    ["http://exa mple.com/", "http://exa%20mple.com/"],
    ["http://example.com/get/test case", "http://example.com/get/test%20case"],
    ["http://example.com/~%7E", "http://example.com/~~"],
    ["http://x/a/b/..", "http://x/a/"],
    ["http://x/../../a", "http://x/a"],
    ["http://x?a=1", "http://x/?a=1"],
    ["http://x#f", "http://x/#f"],
    ["http://x/ä?ü=ö#ß", "http://x/%C3%A4?%C3%BC=%C3%B6#%C3%9F"],
    ["http://x/%E4%zz", "http://x/%25E4%25zz"],
    ["http://x/a%2Gb", "http://x/a%252Gb"],
    ["http://x/p?a=b&c=%7e", "http://x/p?a=b&c=~"],
    ["wss://Example.com/socket", "wss://example.com/socket"],
    ["sse://example.com/a/../events", "sse://example.com/events"],
  ];
  it.each(cases)("prepares %s", (input, expected) => {
    expect(prepareUrl(input)).toBe(expected);
  });

  it("appends params after the query and before the fragment", () => {
    expect(prepareUrl("http://example.com/path?key=value#fragment", { a: "b" })).toBe(
      "http://example.com/path?key=value&a=b#fragment",
    );
    expect(prepareUrl("http://example.com/?", { a: "b" })).toBe("http://example.com/?a=b");
    expect(prepareUrl("http://example.com/a", { ü: "ö" })).toBe("http://example.com/a?%C3%BC=%C3%B6");
    expect(prepareUrl("http://example.com/a", { a: ["1", "2"], b: null })).toBe(
      "http://example.com/a?a=1&a=2",
    );
    expect(prepareUrl("http://example.com/a", "test=foo bar")).toBe("http://example.com/a?test=foo%20bar");
    expect(prepareUrl("http://example.com/a", new TextEncoder().encode("test=foo"))).toBe(
      "http://example.com/a?test=foo",
    );
    expect(prepareUrl("http://example.com/a?x", {})).toBe("http://example.com/a?x");
    expect(prepareUrl("http://example.com/pa%20th", { a: "b" })).toBe("http://example.com/pa%20th?a=b");
  });

  it("does not let WHATWG re-encode: `'` stays, `{` `|` `^` are encoded", () => {
    expect(prepareUrl("http://x/p", { q: "'" })).toBe("http://x/p?q=%27");
    expect(prepareUrl("http://x/p?a='{|^}")).toBe("http://x/p?a='%7B%7C%5E%7D");
  });

  it("leaves other schemes alone and ignores params for them", () => {
    expect(prepareUrl("mailto:a@b.c", { a: "b" })).toBe("mailto:a@b.c");
    expect(prepareUrl("data:text/plain,hi there")).toBe("data:text/plain,hi there");
    expect(prepareUrl("file:///etc/hosts")).toBe("file:///etc/hosts");
    // Like Requests: `host:port` reads as a scheme, so the session reports no adapter for it.
    expect(prepareUrl("localhost:8080")).toBe("localhost:8080");
  });

  it("keeps the host of +unix URLs as written (a socket path)", () => {
    expect(prepareUrl("http+unix://%2Fvar%2Frun%2FDocker.sock/info/../x")).toBe(
      "http+unix://%2Fvar%2Frun%2FDocker.sock/info/../x",
    );
    expect(prepareUrl("ws+unix://%2Ftmp%2FS.sock/a b")).toBe("ws+unix://%2Ftmp%2FS.sock/a%20b");
  });

  it("raises MissingSchema without a scheme", () => {
    expect(() => prepareUrl("example.com/path")).toThrow(MissingSchema);
    expect(() => prepareUrl("example.com/path")).toThrow(
      "Invalid URL 'example.com/path': No scheme supplied. Perhaps you meant https://example.com/path?",
    );
    expect(() => prepareUrl("httpbin.org/get")).toThrow(MissingSchema);
    expect(() => prepareUrl("//example.com/x")).toThrow(MissingSchema);
  });

  it("raises InvalidURL without a host", () => {
    for (const url of ["http://", "http:example.com", "http://user@/x"]) {
      expect(() => prepareUrl(url)).toThrow(InvalidURL);
    }
    expect(() => prepareUrl("http://")).toThrow("Invalid URL 'http://': No host supplied");
  });

  it("raises InvalidURL for invalid labels, unbracketed IPv6 and bad ports", () => {
    for (const url of ["http://*", "http://*.example.com/", "http://.example.com/"]) {
      expect(() => prepareUrl(url)).toThrow("URL has an invalid label.");
    }
    for (const url of ["http://::1/", "http://host:-1/x", "http://host:abc/x", "http://host:65536/x"]) {
      expect(() => prepareUrl(url)).toThrow(InvalidURL);
    }
    expect(() => prepareUrl("http://host:-1/x")).toThrow("Failed to parse: http://host:-1/x");
  });

  it("does not mistake an error for MissingSchema when the URL is merely odd", () => {
    expect(() => prepareUrl("http://ü.1/")).toThrow(InvalidURL);
  });
});

describe("requoteUri / unquoteUnreserved", () => {
  it("unquotes unreserved escapes only", () => {
    expect(unquoteUnreserved("%7e%41%2F")).toBe("~A%2F");
    expect(() => unquoteUnreserved("%zz")).toThrow("Invalid percent-escape sequence: 'zz'");
  });

  it("quotes what is illegal, without double encoding", () => {
    expect(requoteUri("http://example.com/fiz?buz=%ppicture")).toBe("http://example.com/fiz?buz=%25ppicture");
    expect(requoteUri("http://example.com/fiz?buz=%25ppicture")).toBe(
      "http://example.com/fiz?buz=%25ppicture",
    );
    expect(requoteUri("http://x/a%2fb")).toBe("http://x/a%2fb");
    expect(requoteUri("http://x/é ~")).toBe("http://x/%C3%A9%20~");
  });

  it("falls back to quoting every % on an invalid escape", () => {
    expect(requoteUri("http://x/%7E%zz é")).toBe("http://x/%257E%25zz%20%C3%A9");
  });
});

describe("urlPath", () => {
  it("is path and query, no fragment", () => {
    expect(urlPath("http://example.com/path?key=value&a=b#fragment")).toBe("/path?key=value&a=b");
    expect(urlPath("http://example.com")).toBe("/");
    expect(urlPath("http://example.com?x=1")).toBe("/?x=1");
    expect(urlPath("http://example.com/a%20b?c=%7B")).toBe("/a%20b?c=%7B");
    expect(urlPath("http+unix://%2Fvar%2Frun%2Fdocker.sock/info")).toBe("/info");
  });
});

describe("joinBaseUrl", () => {
  it.each([
    ["http://example.com/api/v1", "/token", "http://example.com/api/v1/token"],
    ["http://example.com/api/v1/", "token", "http://example.com/api/v1/token"],
    ["http://example.com/api/v1/", "/token", "http://example.com/api/v1/token"],
    ["http://example.com/api/v1", "", "http://example.com/api/v1"],
    ["http://example.com/api/v1/", "", "http://example.com/api/v1"],
    ["http://a/b", "https://c/d", "https://c/d"],
    ["http://a/b", "sse+unix://sock/d", "sse+unix://sock/d"],
  ])("joins %s and %s", (base, url, expected) => {
    expect(joinBaseUrl(base, url)).toBe(expected);
  });
});

describe("resolveLocation", () => {
  it.each([
    ["http://example.com/a/b#frag", "//other:8080/š", "http://other:8080/%C5%A1#frag"],
    ["https://example.com/a/b", "//other/x?y", "https://other/x?y"],
    ["http://example.com/a/b#frag", "HTTP://Other.com/Path", "http://Other.com/Path#frag"],
    ["http://example.com/a/b#frag", "/c#new", "http://example.com/c#new"],
    ["http://example.com/a/b#frag", "c", "http://example.com/a/c#frag"],
    ["http://example.com/a/b/", "../c", "http://example.com/a/c"],
    ["http://example.com/a/b", "../../../c", "http://example.com/c"],
    ["http://example.com/a/b?q=1", "?r=2", "http://example.com/a/b?r=2"],
    ["http://example.com/a/b?q=1", "", "http://example.com/a/b?q=1"],
    ["http://example.com/a//b/c", "d", "http://example.com/a/b/d"],
    ["http://example.com/a/b", "./", "http://example.com/a/"],
    ["http://example.com/a/b", "..", "http://example.com/"],
    ["http://example.com/a/b", "/x y/ü?a b", "http://example.com/x%20y/%C3%BC?a%20b"],
    ["http://example.com/a/b", "https://x.org", "https://x.org"],
    ["http://example.com/a/b", "#only", "http://example.com/a/b#only"],
    ["http://example.com/a/b#f", "/p?", "http://example.com/p#f"],
    ["http://example.com/a/b", "/%7Euser/%zz", "http://example.com/%257Euser/%25zz"],
    ["sse://example.com/a/b", "c", "sse://example.com/a/c"],
  ])("from %s to %s", (current, location, expected) => {
    expect(resolveLocation(current, location)).toBe(expected);
  });
});

describe("redecodeLatin1", () => {
  it("re-reads Latin-1 decoded UTF-8", () => {
    expect(redecodeLatin1("/Ã¼")).toBe("/ü");
    expect(redecodeLatin1("/plain")).toBe("/plain");
  });

  it("leaves values that are not UTF-8 unchanged", () => {
    expect(redecodeLatin1("/\xfc")).toBe("/\xfc");
    expect(redecodeLatin1("/ü\u0100")).toBe("/ü\u0100");
  });
});
