import { describe, expect, it } from "vitest";
import { prepareUrl, prepareUrlFully } from "./url.js";

// The fast path must never change what preparation returns: each URL goes through both.
const urls = [
  "http://example.com/",
  "https://example.com/a/b?c=d&e=f",
  "http://127.0.0.1:8080/get?x=1",
  "http://localhost:65535/x",
  "http://localhost:65536/x",
  "http://localhost:0/x",
  "http://h/a/./b",
  "http://h/a/../b",
  "http://h/a/..",
  "http://h/.hidden/file",
  "http://h/a/b/.?q=1",
  "http://h/path?q=a/../b",
  "http://Example.com/",
  "HTTP://example.com/",
  "http://example.com",
  "http://example.com?x=1",
  "http://example.com/?",
  "http://example.com/??",
  "http://example.com/#frag",
  "http://example.com/%7Euser",
  "http://example.com/a b",
  "http://example.com/ü",
  "http://xn--ida.com/",
  "http://exa_mple.com/",
  "http://-bad.com/",
  "http://a.b.c.d.example/x:y@z;p=1",
  "http://user:pass@example.com/",
  "http://[::1]:8000/",
  "https://api.example.org/v1/users?page=2&per_page=100&sort=name,-date",
  "http://h/~tilde/(paren)/!bang/*star/'quote'",
];

describe("prepareUrl's fast path", () => {
  it.each(urls)("returns what full preparation returns for %s", (url) => {
    let full: string | Error;
    try {
      full = prepareUrlFully(url);
    } catch (error) {
      full = error as Error;
    }
    if (full instanceof Error) expect(() => prepareUrl(url)).toThrow(full.constructor as ErrorConstructor);
    else expect(prepareUrl(url)).toBe(full);
  });
});
