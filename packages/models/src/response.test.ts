import { describe, expect, it, vi } from "vitest";
import {
  ChunkedEncodingError,
  HTTPError,
  JSONDecodeError,
  RequestException,
  StreamConsumedError,
  TransportError,
} from "./errors.js";
import { Headers } from "./headers.js";
import { PreparedRequest } from "./request.js";
import { Response, type ResponseInit } from "./response.js";

const encoder = new TextEncoder();
const request = () => new PreparedRequest().prepare({ method: "GET", url: "http://example.com/r" });

function response(init: Partial<ResponseInit> = {}): Response {
  return new Response({ request: request(), statusCode: 200, ...init });
}

async function* chunks(...parts: (string | Uint8Array)[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield typeof part === "string" ? encoder.encode(part) : part;
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe("Response status", () => {
  it("derives ok, the reason phrase and redirect flags", () => {
    expect(response({ statusCode: 404 }).ok).toBe(false);
    expect(response({ statusCode: 399 }).ok).toBe(true);
    expect(response({ statusCode: 404 }).reason).toBe("Not Found");
    const moved = response({ statusCode: 301, headers: { Location: "/x" } });
    expect(moved.isRedirect).toBe(true);
    expect(moved.isPermanentRedirect).toBe(true);
    expect(response({ statusCode: 302 }).isRedirect).toBe(false);
    expect(response({ statusCode: 307, headers: { Location: "/x" } }).isPermanentRedirect).toBe(false);
  });

  it("raiseForStatus throws Requests' message and returns the response otherwise", () => {
    const ok = response();
    expect(ok.raiseForStatus()).toBe(ok);
    const error = (() => {
      try {
        response({ statusCode: 503, reason: "Busy" }).raiseForStatus();
      } catch (e) {
        return e as HTTPError;
      }
    })();
    expect(error).toBeInstanceOf(HTTPError);
    expect(error!.message).toBe("503 Server Error: Busy for url: http://example.com/r");
    expect(error!.response!.statusCode).toBe(503);
  });
});

describe("Response text and JSON", () => {
  it("decodes with the Content-Type charset, or JSON's UTF-8, or the apparent encoding", () => {
    const latin = response({
      headers: { "Content-Type": "text/plain; charset=ISO-8859-1" },
      body: Uint8Array.of(0x63, 0x61, 0x66, 0xe9),
    });
    expect(latin.encoding).toBe("iso-8859-1");
    expect(latin.text).toBe("café");
    const json = response({
      headers: { "Content-Type": "application/json" },
      body: encoder.encode('{"é":1}'),
    });
    expect(json.encoding).toBe("utf-8");
    expect(json.json()).toEqual({ é: 1 });
    const unknown = response({ headers: { "Content-Type": "text/plain" }, body: encoder.encode("naïve") });
    expect(unknown.encoding).toBeNull();
    expect(unknown.apparentEncoding).toBe("utf-8");
    expect(unknown.text).toBe("naïve");
  });

  it("lets the caller override the encoding", () => {
    const r = response({ body: Uint8Array.of(0xe9) });
    r.encoding = "iso-8859-1";
    expect(r.text).toBe("é");
  });

  it("decodes UTF-16 JSON with a BOM and no charset, and raises JSONDecodeError on bad JSON", () => {
    const utf16 = Uint8Array.of(0xff, 0xfe, ...[...'{"a":1}'].flatMap((c) => [c.charCodeAt(0), 0]));
    expect(response({ body: utf16 }).json()).toEqual({ a: 1 });
    const bad = response({ body: encoder.encode("{nope") });
    expect(() => bad.json()).toThrow(JSONDecodeError);
    expect(() => bad.json()).toThrow(RequestException);
    expect(() => response({ body: new Uint8Array() }).json()).toThrow(JSONDecodeError);
  });

  it("parses Link headers keyed by rel", () => {
    const r = response({
      headers: { Link: '<https://api/x?page=2>; rel="next", <https://api/x?page=9>; rel="last"' },
    });
    expect(r.links.next?.url).toBe("https://api/x?page=2");
    expect(r.links.last?.url).toBe("https://api/x?page=9");
  });
});

describe("Response streaming", () => {
  it("refuses content before read() on a streamed body, then has it after", async () => {
    const r = response({ body: chunks("a", "b") });
    expect(() => r.content).toThrow(/await response.read\(\)/);
    expect(new TextDecoder().decode(await r.read())).toBe("ab");
    expect(r.text).toBe("ab");
    expect(r.isRead).toBe(true);
  });

  it("iterates chunks as they arrive or re-chunked, and refuses a second pass", async () => {
    const r = response({ body: chunks("abc", "defg") });
    const sized = await collect(r.iterContent(3));
    expect(sized.map((c) => new TextDecoder().decode(c))).toEqual(["abc", "def", "g"]);
    await expect(collect(r.iterContent())).rejects.toBeInstanceOf(StreamConsumedError);
    expect(() => r.content).toThrow(StreamConsumedError);
  });

  it("rejects a chunk size that is not a positive integer", async () => {
    const r = response({ body: chunks("abc") });
    await expect(collect(r.iterContent(1.5))).rejects.toBeInstanceOf(TypeError);
    await expect(collect(r.iterContent(0))).rejects.toBeInstanceOf(TypeError);
  });

  it("splits lines across chunk boundaries, \\r\\n split included", async () => {
    const r = response({ body: chunks("one\ntw", "o\r", "\nthree\rfour") });
    expect(await collect(r.iterLines())).toEqual(["one", "two", "three", "four"]);
    const custom = response({ body: chunks("a|b", "|c") });
    expect(await collect(custom.iterLines({ delimiter: "|" }))).toEqual(["a", "b", "c"]);
  });

  it("keeps the bytes received before a body error and maps the error", async () => {
    async function* broken(): AsyncGenerator<Uint8Array> {
      yield encoder.encode("partial");
      throw new TransportError("cut", { kind: "reset", phase: "body", retryable: false });
    }
    const r = response({ body: broken() });
    const error = await r.read().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChunkedEncodingError);
    expect((error as ChunkedEncodingError).response).toBe(r);
    expect(r.text).toBe("partial");
  });

  it("collects trailers at the end of the body", async () => {
    const r = response({ body: chunks("x"), trailers: Promise.resolve(new Headers({ "X-Checksum": "1" })) });
    await r.read();
    expect(r.trailers.get("x-checksum")).toBe("1");
  });

  it("cancels an unread body on close, and when iteration stops early", async () => {
    const cancel = vi.fn();
    await response({ body: chunks("a"), cancel }).close();
    expect(cancel).toHaveBeenCalledTimes(1);
    const early = vi.fn();
    const r = response({ body: chunks("a", "b", "c"), cancel: early });
    for await (const _ of r.iterContent()) break;
    expect(early).toHaveBeenCalledTimes(1);
    const read = vi.fn();
    const done = response({ body: chunks("a"), cancel: read });
    await done.read();
    await done.close();
    expect(read).not.toHaveBeenCalled();
  });
});
