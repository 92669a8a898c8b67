import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  decodeFieldSection,
  decodePrefixedInteger,
  decodeSettings,
  encodeFieldSection,
  encodeFrame,
  encodePrefixedInteger,
  encodeSettings,
  encodeVarint,
  type FrameEvent,
  FrameReader,
  H3Error,
  type H3QuicSession,
  type H3Stream,
  MinimalH3Client,
  readVarint,
} from "./h3-minimal.js";

const hex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ""), "hex"));
const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
const ascii = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, "latin1"));
const cat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(Buffer.concat(parts));

describe("QUIC varints (RFC 9000 §16, A.1)", () => {
  it.each([
    ["25", 37],
    ["4025", 37],
    ["7bbd", 15293],
    ["9d7f3e7d", 494878333],
  ])("reads %s as %d", (bytes, value) => {
    expect(readVarint(hex(bytes), 0)).toEqual({ value, length: bytes.length / 2 });
  });

  it("encodes in the shortest form", () => {
    expect(toHex(encodeVarint(37))).toBe("25");
    expect(toHex(encodeVarint(15293))).toBe("7bbd");
    expect(toHex(encodeVarint(494878333))).toBe("9d7f3e7d");
    expect(toHex(encodeVarint(2 ** 40))).toBe("c000010000000000");
  });

  it("reads an 8-byte varint and says when bytes are missing", () => {
    expect(readVarint(hex("c000010000000000"), 0)).toEqual({ value: 2 ** 40, length: 8 });
    expect(readVarint(hex("c0000100"), 0)).toBeUndefined();
    expect(readVarint(new Uint8Array(0), 0)).toBeUndefined();
  });
});

describe("QPACK prefixed integers (RFC 7541 §5.1, C.1)", () => {
  it.each([
    [10, 5, [0x0a]],
    [1337, 5, [0x1f, 0x9a, 0x0a]],
    [42, 8, [0x2a]],
    [80, 4, [0x0f, 0x41]],
  ])("%d with a %d-bit prefix", (value, prefix, bytes) => {
    expect(encodePrefixedInteger(value, prefix)).toEqual(bytes);
    expect(decodePrefixedInteger(Uint8Array.from(bytes), 0, prefix)).toEqual({ value, next: bytes.length });
  });

  it("keeps the flag bits above the prefix out of the value", () => {
    expect(decodePrefixedInteger(Uint8Array.of(0xd1), 0, 6)).toEqual({ value: 17, next: 1 });
  });

  it("rejects a truncated integer", () => {
    expect(() => decodePrefixedInteger(Uint8Array.of(0x1f, 0x9a), 0, 5)).toThrow(H3Error);
  });
});

describe("QPACK field sections with the static table only", () => {
  it("decodes RFC 9204 B.1 (literal with a static name reference)", () => {
    expect(decodeFieldSection(hex("0000 510b 2f69 6e64 6578 2e68 746d 6c"))).toEqual([
      [":path", "/index.html"],
    ]);
  });

  it("encodes a GET with static references and literals, Required Insert Count 0 and Base 0", () => {
    const section = encodeFieldSection([
      [":method", "GET"],
      [":scheme", "https"],
      [":authority", "localhost:4433"],
      [":path", "/small.txt"],
      ["user-agent", "nq"],
      ["x-test", "1"],
    ]);
    expect(toHex(section)).toBe(
      [
        "0000", // Required Insert Count 0, Base 0
        "d1", // indexed, static 17 (:method GET)
        "d7", // indexed, static 23 (:scheme https)
        `500e${toHex(ascii("localhost:4433"))}`, // name ref static 0 (:authority), literal value
        `510a${toHex(ascii("/small.txt"))}`, // name ref static 1 (:path)
        `5f50026e71`, // name ref static 95 (user-agent) in 4+ bits: 15 + 80
        `26${toHex(ascii("x-test"))}0131`, // literal name, literal value
      ].join(""),
    );
    expect(decodeFieldSection(section)).toEqual([
      [":method", "GET"],
      [":scheme", "https"],
      [":authority", "localhost:4433"],
      [":path", "/small.txt"],
      ["user-agent", "nq"],
      ["x-test", "1"],
    ]);
  });

  it("encodes :path / as the static entry", () => {
    expect(toHex(encodeFieldSection([[":path", "/"]]))).toBe("0000c1");
  });

  it("decodes a response with Huffman-coded names and values and multi-byte indices", () => {
    const section = hex(
      [
        "0000",
        "d9", // :status 200 (static 25)
        "ff08", // :status 500 (static 71 = 63 + 8): only to show a 6-bit prefix overflowing
        "5c91 9d29 ad17 1863 c78f 0b97 c8e9 ae82 ae43 d3", // location: Huffman "https://www.example.com"
        "2f01 25a8 49e9 5ba9 7d7f 89 25a8 49e9 5bb8 e8b4 bf", // Huffman "custom-key": Huffman "custom-value"
        "5f1d 0a74 6578 742f 706c 6169 6e", // content-type (static 44 = 15 + 29), literal "text/plain"
      ].join(""),
    );
    expect(decodeFieldSection(section)).toEqual([
      [":status", "200"],
      [":status", "500"],
      ["location", "https://www.example.com"],
      ["custom-key", "custom-value"],
      ["content-type", "text/plain"],
    ]);
  });

  it.each([
    ["a Required Insert Count above 0", "0200 d9"],
    ["a dynamic indexed field line", "0000 80"],
    ["a dynamic name reference", "0000 4003 616263"],
    ["a post-base index", "0000 10"],
    ["a post-base name reference", "0000 0003 616263"],
    ["a static index beyond the table", "0000 ff40"],
    ["a truncated string", "0000 5105 2f61"],
    ["bad Huffman padding", "0000 5181 00"],
  ])("rejects %s with QPACK_DECOMPRESSION_FAILED", (_, bytes) => {
    expect(() => decodeFieldSection(hex(bytes))).toThrow(
      expect.objectContaining({ name: "H3Error", code: "QPACK_DECOMPRESSION_FAILED" }),
    );
  });
});

describe("HTTP/3 frames", () => {
  it("writes SETTINGS with the two QPACK settings at 0", () => {
    const frame = encodeFrame(
      0x04,
      encodeSettings([
        [0x01, 0],
        [0x07, 0],
      ]),
    );
    expect(toHex(frame)).toBe("0404 0100 0700".replace(/ /g, ""));
    expect(decodeSettings(frame.subarray(2))).toEqual(
      new Map([
        [1, 0],
        [7, 0],
      ]),
    );
  });

  it("rejects a setting sent twice", () => {
    expect(() => decodeSettings(hex("0100 0100"))).toThrow(/H3_SETTINGS_ERROR/);
  });

  const stream = cat(
    encodeFrame(0x21, ascii("grease")), // reserved type 0x1f * 0 + 0x21
    encodeFrame(0x01, hex("0000 d9")),
    encodeFrame(0x00, ascii("hello, ")),
    encodeFrame(0x1f * 1_000_000 + 0x21, new Uint8Array(300)), // a 4-byte-varint GREASE type
    encodeFrame(0x00, new Uint8Array(0)),
    encodeFrame(0x00, ascii("world")),
    encodeFrame(0x01, hex("0000 5f1d 01 78")),
  );

  function collect(events: FrameEvent[]): unknown[] {
    // Merge adjacent DATA events: their boundaries follow the chunks, not the frames.
    const out: unknown[] = [];
    for (const event of events) {
      const last = out.at(-1) as { kind: string; bytes?: string } | undefined;
      if (event.kind === "data" && last?.kind === "data")
        last.bytes += Buffer.from(event.bytes).toString("latin1");
      else if (event.kind === "data")
        out.push({ kind: "data", bytes: Buffer.from(event.bytes).toString("latin1") });
      else if (event.kind === "frame")
        out.push({ kind: "frame", type: event.type, payload: toHex(event.payload) });
      else out.push(event);
    }
    return out;
  }

  const expected = [
    { kind: "skipped", type: 0x21, length: 6 },
    { kind: "frame", type: 0x01, payload: "0000d9" },
    { kind: "data", bytes: "hello, " },
    { kind: "skipped", type: 0x1f * 1_000_000 + 0x21, length: 300 },
    { kind: "data", bytes: "world" },
    { kind: "frame", type: 0x01, payload: "00005f1d0178" },
  ];

  it("reads frames from one chunk, skipping reserved types", () => {
    const reader = new FrameReader();
    expect(collect(reader.push(stream))).toEqual(expected);
    expect(() => reader.end()).not.toThrow();
  });

  it.each([1, 2, 3, 7, 64])("reads the same frames from %d-byte chunks", (size) => {
    const reader = new FrameReader();
    const events: FrameEvent[] = [];
    for (let i = 0; i < stream.length; i += size) events.push(...reader.push(stream.subarray(i, i + size)));
    expect(collect(events)).toEqual(expected);
    reader.end();
  });

  it("fails at the end of a stream cut inside a frame", () => {
    const reader = new FrameReader();
    reader.push(stream.subarray(0, 12));
    expect(() => reader.end()).toThrow(/H3_FRAME_ERROR/);
  });

  it("refuses to buffer a frame above the limit", () => {
    const reader = new FrameReader({ maxFrameLength: 16 });
    expect(() => reader.push(encodeFrame(0x01, new Uint8Array(17)))).toThrow(/H3_EXCESSIVE_LOAD/);
  });
});

// A QUIC session stand-in: records what the client writes and answers each request stream with
// scripted bytes, cut into small chunks.
class FakeStream implements H3Stream {
  written: Uint8Array[] = [];
  ended = false;
  constructor(
    private readonly reply: (request: Uint8Array) => Uint8Array = () => new Uint8Array(0),
    private readonly chunkSize = 5,
  ) {}
  async write(bytes: Uint8Array): Promise<void> {
    this.written.push(Uint8Array.from(bytes));
  }
  async end(bytes?: Uint8Array): Promise<void> {
    if (bytes) this.written.push(Uint8Array.from(bytes));
    this.ended = true;
  }
  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    const response = this.reply(cat(...this.written));
    for (let i = 0; i < response.length; i += this.chunkSize) yield response.subarray(i, i + this.chunkSize);
  }
}

function fakeSession(reply: (request: Uint8Array) => Uint8Array, peerStreams: Uint8Array[] = []) {
  const uni: FakeStream[] = [];
  const bidi: FakeStream[] = [];
  const session: H3QuicSession = {
    openUnidirectionalStream: () => {
      const s = new FakeStream();
      uni.push(s);
      return s;
    },
    openBidirectionalStream: async () => {
      const s = new FakeStream(reply);
      bidi.push(s);
      return s;
    },
    async *incomingStreams() {
      for (const bytes of peerStreams) yield new FakeStream(() => bytes, 1);
    },
  };
  return { session, uni, bidi };
}

describe("MinimalH3Client", () => {
  const body = ascii("x".repeat(5000));
  const response = cat(
    encodeFrame(0x01, hex("0000 5f09 0331 3033")), // :status 103 (literal value, name ref 24)
    encodeFrame(0x2a, ascii("grease")),
    encodeFrame(
      0x01,
      encodeFieldSection([
        [":status", "200"],
        ["content-length", "5000"],
      ]),
    ),
    encodeFrame(0x00, body.subarray(0, 1234)),
    encodeFrame(0x00, body.subarray(1234)),
    encodeFrame(0x01, encodeFieldSection([["x-trailer", "yes"]])),
  );

  it("sends its control stream and one HEADERS frame, and reads the response", async () => {
    const settingsStream = cat(encodeVarint(0x00), encodeFrame(0x04, encodeSettings([[0x06, 65536]])));
    const { session, uni, bidi } = fakeSession(() => response, [settingsStream, hex("02")]);
    const client = await MinimalH3Client.open(session, { authority: "localhost:4433" });
    expect(uni).toHaveLength(1);
    expect(toHex(cat(...uni[0]!.written))).toBe("00" + "04040100" + "0700");
    expect(uni[0]!.ended).toBe(false);

    const got = await client.get("/small.txt");
    expect(got).toMatchObject({
      status: 200,
      informational: [103],
      headers: [
        [":status", "200"],
        ["content-length", "5000"],
      ],
      trailers: [["x-trailer", "yes"]],
      bodyLength: 5000,
      sha256: createHash("sha256").update(body).digest("hex"),
      skippedFrames: [0x2a],
    });
    expect(Buffer.from(got.bodyHead).toString()).toBe("x".repeat(1024));
    expect(got.timing.totalMs).toBeGreaterThanOrEqual(got.timing.headersMs);

    const request = cat(...bidi[0]!.written);
    expect(bidi[0]!.ended).toBe(true);
    expect(request[0]).toBe(0x01);
    expect(decodeFieldSection(request.subarray(2))).toEqual([
      [":method", "GET"],
      [":scheme", "https"],
      [":authority", "localhost:4433"],
      [":path", "/small.txt"],
    ]);
    await new Promise((r) => setTimeout(r, 10));
    expect(client.peerStreamTypes).toEqual([0x00, 0x02]);
    expect(client.peerSettings).toEqual(new Map([[6, 65536]]));
  });

  it("rejects DATA before the response's HEADERS", async () => {
    const { session } = fakeSession(() => encodeFrame(0x00, ascii("early")));
    const client = await MinimalH3Client.open(session, { authority: "localhost" });
    await expect(client.get("/")).rejects.toThrow(/H3_FRAME_UNEXPECTED/);
  });

  it("rejects a stream that ends without a response", async () => {
    const { session } = fakeSession(() => new Uint8Array(0));
    const client = await MinimalH3Client.open(session, { authority: "localhost" });
    await expect(client.get("/")).rejects.toThrow(/H3_MESSAGE_ERROR/);
  });

  it("rejects a control-stream frame on a request stream", async () => {
    const { session } = fakeSession(() => encodeFrame(0x07, encodeVarint(0)));
    const client = await MinimalH3Client.open(session, { authority: "localhost" });
    await expect(client.get("/")).rejects.toThrow(/H3_FRAME_UNEXPECTED/);
  });
});
