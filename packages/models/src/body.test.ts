import { describe, expect, it } from "vitest";
import { encodeBody, isReplayable, ReplayableBody, type RequestBody } from "./body.js";
import { InvalidJSONError } from "./errors.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

async function collect(body: RequestBody | null): Promise<string> {
  if (body === null) return "";
  if (body instanceof Uint8Array) return decoder.decode(body);
  let text = "";
  for await (const chunk of body) {
    expect(chunk).toBeInstanceOf(Uint8Array);
    expect(chunk.length).toBeGreaterThan(0);
    text += decoder.decode(chunk, { stream: true });
  }
  return text + decoder.decode();
}

describe("encodeBody: json", () => {
  it("serialises as UTF-8 application/json", () => {
    const { body, contentType, length } = encodeBody({ json: { a: [1, "é"], b: null } });
    expect(contentType).toBe("application/json");
    expect(decoder.decode(body as Uint8Array)).toBe('{"a":[1,"é"],"b":null}');
    expect(length).toBe(encoder.encode('{"a":[1,"é"],"b":null}').length);
  });

  it("is used only when data is empty as Python sees it", () => {
    for (const data of [null, undefined, "", new Uint8Array(), {}, [], new URLSearchParams(), new Map()]) {
      expect(encodeBody({ data, json: [1] }).contentType).toBe("application/json");
    }
    expect(encodeBody({ data: "x", json: [1] }).contentType).toBeNull();
    expect(encodeBody({ data: { a: "b" }, json: [1] }).contentType).toBe("application/x-www-form-urlencoded");
    // Data wins without looking at json, so an unserialisable json does not matter then.
    expect(encodeBody({ data: "x", json: Number.NaN }).contentType).toBeNull();
  });

  it("treats json null as no json, like Python's None", () => {
    expect(encodeBody({ json: null })).toEqual({ body: null, contentType: null, length: 0 });
  });

  it("refuses NaN and Infinity anywhere, as allow_nan=False does", () => {
    expect(() => encodeBody({ json: Number.NaN })).toThrow(InvalidJSONError);
    expect(() => encodeBody({ json: { a: [1, Number.POSITIVE_INFINITY] } })).toThrow(
      "Out of range float values are not JSON compliant: inf",
    );
    expect(() => encodeBody({ json: { a: Number.NEGATIVE_INFINITY } })).toThrow(InvalidJSONError);
    expect(() => encodeBody({ json: [new Number(Number.NaN)] })).toThrow(InvalidJSONError);
  });

  it("refuses what JSON.stringify cannot write", () => {
    const cycle: { self?: unknown } = {};
    cycle.self = cycle;
    expect(() => encodeBody({ json: cycle })).toThrow(InvalidJSONError);
    expect(() => encodeBody({ json: { n: 1n } })).toThrow(InvalidJSONError);
    expect(() => encodeBody({ json: () => 1 })).toThrow(InvalidJSONError);
    expect(() => encodeBody({ json: Symbol("x") })).toThrow(InvalidJSONError);
  });
});

describe("encodeBody: text and bytes", () => {
  it("sends text as UTF-8 with no content type", () => {
    const { body, contentType, length } = encodeBody({ data: "héllo" });
    expect(contentType).toBeNull();
    expect(body).toEqual(encoder.encode("héllo"));
    expect(length).toBe(6);
  });

  it("has no body for empty text or bytes", () => {
    expect(encodeBody({ data: "" }).body).toBeNull();
    expect(encodeBody({ data: new Uint8Array() }).body).toBeNull();
    expect(encodeBody({ data: new ArrayBuffer(0) }).body).toBeNull();
  });

  it("views binary data without copying it", () => {
    const buffer = new ArrayBuffer(8);
    const bytes = new Uint8Array(buffer);
    expect(encodeBody({ data: bytes }).body).toBe(bytes);
    const fromBuffer = encodeBody({ data: buffer }).body as Uint8Array;
    expect(fromBuffer.buffer).toBe(buffer);
    const view = new DataView(buffer, 2, 4);
    const fromView = encodeBody({ data: view });
    expect((fromView.body as Uint8Array).buffer).toBe(buffer);
    expect((fromView.body as Uint8Array).byteOffset).toBe(2);
    expect(fromView.length).toBe(4);
    expect(encodeBody({ data: new Uint16Array([1, 2]) }).length).toBe(4);
  });

  it("rejects data of no supported kind", () => {
    expect(() => encodeBody({ data: 42 as unknown as string })).toThrow(TypeError);
  });
});

describe("encodeBody: forms", () => {
  it("URL-encodes like Requests (values stringified, lists repeat, null dropped)", () => {
    const { body, contentType, length } = encodeBody({ data: { a: " b&c=d", ü: ["ö", 1, true, null] } });
    expect(contentType).toBe("application/x-www-form-urlencoded");
    expect(decoder.decode(body as Uint8Array)).toBe("a=+b%26c%3Dd&%C3%BC=%C3%B6&%C3%BC=1&%C3%BC=true");
    expect(length).toBe(47);
  });

  it("takes pairs, maps and URLSearchParams in order, bytes decoded", () => {
    const pairs = encodeBody({
      data: [
        ["b", "1"],
        ["a", encoder.encode("x y")],
        ["b", "2"],
      ],
    });
    expect(decoder.decode(pairs.body as Uint8Array)).toBe("b=1&a=x+y&b=2");
    const map = encodeBody({ data: new Map([["k", "v"]]) });
    expect(decoder.decode(map.body as Uint8Array)).toBe("k=v");
    const search = encodeBody({ data: new URLSearchParams("a=1&a=2") });
    expect(decoder.decode(search.body as Uint8Array)).toBe("a=1&a=2");
  });

  it("has no body for an empty form, and still a type when every field was null", () => {
    expect(encodeBody({ data: {} })).toEqual({ body: null, contentType: null, length: 0 });
    expect(encodeBody({ data: { a: null } })).toEqual({
      body: null,
      contentType: "application/x-www-form-urlencoded",
      length: 0,
    });
  });
});

describe("encodeBody: Blob", () => {
  it("streams the Blob, replayably, with its size and type", async () => {
    const blob = new Blob(["hello ", "blob"], { type: "text/plain" });
    const { body, contentType, length } = encodeBody({ data: blob });
    expect(body).toBeInstanceOf(ReplayableBody);
    expect((body as ReplayableBody).length).toBe(10);
    expect(length).toBe(10);
    expect(contentType).toBe("text/plain");
    expect(await collect(body)).toBe("hello blob");
    expect(await collect(body)).toBe("hello blob");
    expect(isReplayable(body)).toBe(true);
  });

  it("has no content type for an untyped Blob", () => {
    expect(encodeBody({ data: new Blob(["x"]) }).contentType).toBeNull();
  });
});

describe("encodeBody: streams", () => {
  it("sends a generator chunked, strings as UTF-8, empty chunks skipped", async () => {
    function* gen() {
      yield "a";
      yield new Uint8Array();
      yield encoder.encode("é");
    }
    const { body, contentType, length } = encodeBody({ data: gen() });
    expect(length).toBeNull();
    expect(contentType).toBeNull();
    expect(isReplayable(body)).toBe(false);
    expect(await collect(body)).toBe("aé");
  });

  it("sends async iterables and ReadableStreams", async () => {
    async function* gen() {
      yield "x";
      yield encoder.encode("y");
    }
    expect(await collect(encodeBody({ data: gen() }).body)).toBe("xy");
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode("r"));
        controller.enqueue(encoder.encode("s"));
        controller.close();
      },
    });
    const encoded = encodeBody({ data: stream });
    expect(encoded.length).toBeNull();
    expect(await collect(encoded.body)).toBe("rs");
  });

  it("cancels a ReadableStream when the consumer stops early", async () => {
    let cancelled = false;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(encoder.encode("chunk"));
      },
      cancel() {
        cancelled = true;
      },
    });
    const { body } = encodeBody({ data: stream });
    for await (const _ of body as AsyncIterable<Uint8Array>) break;
    expect(cancelled).toBe(true);
  });

  it("fails on a chunk that is neither bytes nor text", async () => {
    function* gen() {
      yield 1 as unknown as string;
    }
    await expect(collect(encodeBody({ data: gen() }).body)).rejects.toThrow(TypeError);
  });
});

describe("isReplayable", () => {
  it("is true for no body, bytes and ReplayableBody only", async () => {
    expect(isReplayable(null)).toBe(true);
    expect(isReplayable(new Uint8Array([1]))).toBe(true);
    expect(isReplayable(new ReplayableBody(async function* () {}, 0))).toBe(true);
    expect(isReplayable((async function* () {})())).toBe(false);
  });
});
