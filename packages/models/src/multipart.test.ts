import { describe, expect, it } from "vitest";
import { encodeBody, ReplayableBody, type RequestBody } from "./body.js";
import { InvalidHeader } from "./errors.js";
import { boundaryFromContentType, encodeMultipart, type MultipartEncoding } from "./multipart.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

async function collect(body: RequestBody | null): Promise<Uint8Array> {
  if (body === null) return new Uint8Array();
  if (body instanceof Uint8Array) return body;
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

async function bytesOf(encoding: MultipartEncoding): Promise<Uint8Array> {
  return collect(new ReplayableBody(() => chunksOf(encoding), encoding.length));
}

async function* chunksOf(encoding: MultipartEncoding): AsyncGenerator<Uint8Array> {
  for (const segment of encoding.segments) {
    if (segment instanceof Uint8Array) yield segment;
    else if (segment instanceof Blob) yield new Uint8Array(await segment.arrayBuffer());
    else throw new Error("streams are not used in these tests");
  }
}

interface ParsedPart {
  headers: Record<string, string>;
  body: string;
}

/** A strict multipart/form-data reader, enough to check what a server would see. */
function parseMultipart(body: Uint8Array, boundary: string): ParsedPart[] {
  const text = decoder.decode(body);
  const delimiter = `--${boundary}`;
  expect(text.endsWith(`${delimiter}--\r\n`)).toBe(true);
  const sections = text.slice(0, -`${delimiter}--\r\n`.length).split(`${delimiter}\r\n`);
  expect(sections.shift()).toBe("");
  return sections.map((section) => {
    expect(section.endsWith("\r\n")).toBe(true);
    const [head, ...rest] = section.slice(0, -2).split("\r\n\r\n");
    const headers: Record<string, string> = {};
    for (const line of head!.split("\r\n")) {
      const colon = line.indexOf(":");
      headers[line.slice(0, colon)] = line.slice(colon + 1).trim();
    }
    return { headers, body: rest.join("\r\n\r\n") };
  });
}

describe("encodeMultipart", () => {
  it("writes fields then files exactly as Requests does", async () => {
    const encoding = encodeMultipart(
      [
        ["field", "v1"],
        [encoder.encode("stuff"), ["a", encoder.encode("b")]],
        ["n", 1],
        ["skip", null],
      ],
      [
        [
          "f1",
          ["a.txt", encoder.encode("hello"), "text/plain", { "X-Custom": "1", "Content-Type": "ignored/x" }],
        ],
        ["f2", ['we"ird\r\nname.bin', "ü text"]],
        ["f3", encoder.encode("raw")],
        ["f4", [null, "nofn"]],
        ["f5", null],
      ],
      "BOUNDARY",
    );
    expect(encoding.contentType).toBe("multipart/form-data; boundary=BOUNDARY");
    const body = await bytesOf(encoding);
    // The exact bytes of requests' _encode_files with urllib3's boundary fixed to BOUNDARY.
    expect(decoder.decode(body)).toBe(
      '--BOUNDARY\r\nContent-Disposition: form-data; name="field"\r\n\r\nv1\r\n' +
        '--BOUNDARY\r\nContent-Disposition: form-data; name="stuff"\r\n\r\na\r\n' +
        '--BOUNDARY\r\nContent-Disposition: form-data; name="stuff"\r\n\r\nb\r\n' +
        '--BOUNDARY\r\nContent-Disposition: form-data; name="n"\r\n\r\n1\r\n' +
        '--BOUNDARY\r\nContent-Disposition: form-data; name="f1"; filename="a.txt"\r\nContent-Type: text/plain\r\nX-Custom: 1\r\n\r\nhello\r\n' +
        '--BOUNDARY\r\nContent-Disposition: form-data; name="f2"; filename="we%22ird%0D%0Aname.bin"\r\n\r\nü text\r\n' +
        '--BOUNDARY\r\nContent-Disposition: form-data; name="f3"; filename="f3"\r\n\r\nraw\r\n' +
        '--BOUNDARY\r\nContent-Disposition: form-data; name="f4"\r\n\r\nnofn\r\n' +
        "--BOUNDARY--\r\n",
    );
    expect(encoding.length).toBe(body.length);
  });

  it("names bare File content after the file, and uses its type", async () => {
    const file = new File(["<svg/>"], "dir/pic.svg", { type: "image/svg+xml" });
    const encoding = encodeMultipart(null, { upload: file, blob: new Blob(["x"]) }, "B");
    const parts = parseMultipart(await bytesOf(encoding), "B");
    expect(parts).toEqual([
      {
        headers: {
          "Content-Disposition": 'form-data; name="upload"; filename="pic.svg"',
          "Content-Type": "image/svg+xml",
        },
        body: "<svg/>",
      },
      { headers: { "Content-Disposition": 'form-data; name="blob"; filename="blob"' }, body: "x" },
    ]);
    expect(encoding.length).toBe((await bytesOf(encoding)).length);
  });

  it("takes a Content-Type from the extra headers when no type is given", async () => {
    const encoding = encodeMultipart(
      null,
      { f: ["a.bin", "x", null, [["content-type", "application/x-a"]]] },
      "B",
    );
    const [part] = parseMultipart(await bytesOf(encoding), "B");
    expect(part!.headers["Content-Type"]).toBe("application/x-a");
  });

  it("refuses header injection in extra headers and content types", () => {
    expect(() => encodeMultipart(null, { f: ["a", "x", null, { "X-A": "1\r\nX-B: 2" }] })).toThrow(
      InvalidHeader,
    );
    expect(() => encodeMultipart(null, { f: ["a", "x", "text/plain\r\nX-B: 2"] })).toThrow(TypeError);
  });

  it("rejects malformed specs with a TypeError", () => {
    expect(() => encodeMultipart(null, { f: ["only-name"] as unknown as [string, string] })).toThrow(
      /Invalid file spec for field "f"/,
    );
    expect(() => encodeMultipart(null, { f: 42 as unknown as string })).toThrow(/Unsupported content/);
    expect(() => encodeMultipart(null, { f: [3, "x"] as unknown as [string, string] })).toThrow(
      /Invalid filename/,
    );
    expect(() => encodeMultipart(null, [["a", "b", "c"]] as unknown as [string, string][])).toThrow(
      TypeError,
    );
  });

  it("has no known length when a part is a stream", () => {
    async function* chunks() {
      yield "x";
    }
    expect(encodeMultipart(null, { f: ["a", chunks()] }).length).toBeNull();
  });

  it("draws a fresh 32-hex-digit boundary", () => {
    const a = encodeMultipart({ a: "1" }, null).boundary;
    const b = encodeMultipart({ a: "1" }, null).boundary;
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(a).not.toBe(b);
  });
});

describe("boundaryFromContentType", () => {
  it("reads one boundary of a multipart/form-data type", () => {
    expect(boundaryFromContentType("multipart/form-data; boundary=XYZ")).toBe("XYZ");
    expect(boundaryFromContentType('Multipart/Form-Data; charset=utf-8; boundary="a;b"')).toBe("a;b");
    expect(boundaryFromContentType("multipart/form-data")).toBeNull();
    expect(boundaryFromContentType("multipart/form-data; boundary=a; boundary=b")).toBeNull();
    expect(boundaryFromContentType("multipart/mixed; boundary=a")).toBeNull();
  });
});

describe("encodeBody with files", () => {
  it("is replayable with an exact length, streaming Blob parts", async () => {
    const blob = new Blob([new Uint8Array(100_000).fill(0x61)], { type: "text/plain" });
    const { body, contentType, length } = encodeBody({ data: { k: "v" }, files: { f: ["a.txt", blob] } });
    expect(body).toBeInstanceOf(ReplayableBody);
    const boundary = contentType!.split("boundary=")[1]!;
    const first = await collect(body);
    expect(first.length).toBe(length);
    expect(decoder.decode(await collect(body))).toBe(decoder.decode(first));
    const parts = parseMultipart(first, boundary);
    expect(parts.map((p) => p.headers["Content-Disposition"])).toEqual([
      'form-data; name="k"',
      'form-data; name="f"; filename="a.txt"',
    ]);
    expect(parts[1]!.headers["Content-Type"]).toBe("text/plain");
    expect(parts[1]!.body).toBe("a".repeat(100_000));
  });

  it("is a one-shot stream of unknown length with a stream part", async () => {
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode("streamed"));
        controller.close();
      },
    });
    const { body, contentType, length } = encodeBody({ files: { f: ["s.bin", stream] } });
    expect(length).toBeNull();
    expect(body).not.toBeInstanceOf(ReplayableBody);
    const parts = parseMultipart(await collect(body), contentType!.split("boundary=")[1]!);
    expect(parts[0]!.body).toBe("streamed");
  });

  it("refuses text, bytes or streams as data alongside files", () => {
    expect(() => encodeBody({ data: "a=b", files: { f: "x" } })).toThrow("Data must not be a string.");
    expect(() => encodeBody({ data: "", files: { f: "x" } })).toThrow("Data must not be a string.");
    expect(() => encodeBody({ data: encoder.encode("x"), files: { f: "x" } })).toThrow(TypeError);
    function* gen() {
      yield "x";
    }
    expect(() => encodeBody({ data: gen(), files: { f: "x" } })).toThrow(
      "Streamed bodies and files are mutually exclusive.",
    );
    expect(() => encodeBody({ data: new Blob(["x"]), files: { f: "x" } })).toThrow(TypeError);
  });

  it("wins over json, as in Requests", async () => {
    const { contentType } = encodeBody({ json: { a: 1 }, files: { f: "x" } });
    expect(contentType).toMatch(/^multipart\/form-data; boundary=/);
  });

  it("ignores an empty files object", () => {
    expect(encodeBody({ data: { a: "b" }, files: {} }).contentType).toBe("application/x-www-form-urlencoded");
  });
});

describe("encodeBody with a multipart Content-Type and a form", () => {
  it("reuses the caller's boundary and keeps the caller's header", async () => {
    const contentType = "multipart/form-data; boundary=XYZ";
    const encoded = encodeBody({ data: { a: "1", b: ["2", "3"] }, contentType });
    expect(encoded.contentType).toBe(contentType);
    const parts = parseMultipart(await collect(encoded.body), "XYZ");
    expect(parts.map((p) => [p.headers["Content-Disposition"], p.body])).toEqual([
      ['form-data; name="a"', "1"],
      ['form-data; name="b"', "2"],
      ['form-data; name="b"', "3"],
    ]);
  });

  it("draws a boundary when the caller named none", async () => {
    const encoded = encodeBody({ data: [["a", "1"]], contentType: "multipart/form-data" });
    const boundary = /^multipart\/form-data; boundary=([0-9a-f]{32})$/.exec(encoded.contentType!)?.[1];
    expect(boundary).toBeDefined();
    expect(parseMultipart(await collect(encoded.body), boundary!)).toHaveLength(1);
  });

  it("sends text as it is", () => {
    const encoded = encodeBody({ data: "raw", contentType: "multipart/form-data; boundary=X" });
    expect(encoded.contentType).toBeNull();
    expect(decoder.decode(encoded.body as Uint8Array)).toBe("raw");
  });
});
