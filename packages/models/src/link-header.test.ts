import { describe, expect, it } from "vitest";
import { parseLinkHeader } from "./link-header.js";

describe("parseLinkHeader", () => {
  it("parses the example of Requests' parse_header_links", () => {
    expect(
      parseLinkHeader(
        '<http:/.../front.jpeg>; rel=front; type="image/jpeg",<http://.../back.jpeg>; rel=back;type="image/jpeg"',
      ),
    ).toEqual([
      { url: "http:/.../front.jpeg", rel: "front", type: "image/jpeg" },
      { url: "http://.../back.jpeg", rel: "back", type: "image/jpeg" },
    ]);
  });

  it("does not split on commas or semicolons inside <…> or quotes", () => {
    expect(
      parseLinkHeader(
        '<http://example.com/a,b;c>; rel="next last"; title="x, y; z", <http://e.com/2>; rel=prev',
      ),
    ).toEqual([
      { url: "http://example.com/a,b;c", rel: "next last", title: "x, y; z" },
      { url: "http://e.com/2", rel: "prev" },
    ]);
  });

  it("lower-cases parameter names, unescapes quoted values, keeps the first of a repeat", () => {
    expect(parseLinkHeader('<a>; REL="next"; Title="say \\"hi\\""; rel=other; crossorigin')).toEqual([
      { url: "a", rel: "next", title: 'say "hi"', crossorigin: "" },
    ]);
  });

  it("keeps an extended parameter as written, and strips single quotes like Requests", () => {
    expect(parseLinkHeader("</d>; title*=UTF-8'de'n%c3%a4chstes; rel='next'")).toEqual([
      { url: "/d", "title*": "UTF-8'de'n%c3%a4chstes", rel: "next" },
    ]);
  });

  it("skips malformed links and tolerates empty input", () => {
    expect(parseLinkHeader("")).toEqual([]);
    expect(parseLinkHeader("   ")).toEqual([]);
    expect(parseLinkHeader('garbage; rel="x, y", <http://ok>; rel=next')).toEqual([
      { url: "http://ok", rel: "next" },
    ]);
    // An unquoted value runs to the next `;` or `,`, spaces and all, as in Requests.
    expect(parseLinkHeader("<http://a>; rel=next last, <http://b>")).toEqual([
      { url: "http://a", rel: "next last" },
      { url: "http://b" },
    ]);
  });
});
