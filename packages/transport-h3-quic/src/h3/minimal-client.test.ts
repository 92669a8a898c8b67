import { describe, expect, it } from "vitest";
import { encodeVarint } from "../quic/index.js";
import { H3Error, H3ErrorCode } from "./errors.js";
import { encodeFieldSection, type H3Field } from "./field-section.js";
import { encodeH3Frame, encodeSettings, H3FrameType, H3StreamType } from "./frames.js";
import { MinimalH3Client } from "./minimal-client.js";
import { FakeQuicSession, FakeQuicStream, serverControlStream } from "./test-support/fake-quic-session.js";

const ascii = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, "latin1"));
const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString("latin1");
const cat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(Buffer.concat(parts));
const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
const h3Error = (code: number) => expect.objectContaining({ name: "H3Error", code });
const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

const headers = (fields: readonly H3Field[]) =>
  encodeH3Frame(H3FrameType.HEADERS, encodeFieldSection(fields));
const data = (bytes: Uint8Array) => encodeH3Frame(H3FrameType.DATA, bytes);
const serverControl = serverControlStream;

async function open(session: FakeQuicSession): Promise<MinimalH3Client> {
  return MinimalH3Client.open(session, { authority: "localhost:4433" });
}

describe("MinimalH3Client", () => {
  const body = ascii("x".repeat(5000));
  const response = cat(
    headers([
      [":status", "103"],
      ["link", "</style.css>; rel=preload"],
    ]),
    encodeH3Frame(0x2a, ascii("grease")),
    headers([
      [":status", "200"],
      ["content-length", "5000"],
    ]),
    data(body.subarray(0, 1234)),
    encodeH3Frame(0x1f * 7 + 0x21, new Uint8Array(40)),
    data(new Uint8Array(0)),
    data(body.subarray(1234)),
    headers([["x-trailer", "yes"]]),
  );

  it("opens its control stream with SETTINGS and leaves it open", async () => {
    const session = new FakeQuicSession(() => response);
    await open(session);
    expect(session.uni).toHaveLength(1);
    expect(toHex(cat(...session.uni[0]!.written))).toBe("00" + "0404" + "0100" + "0700");
    expect(session.uni[0]!.ended).toBe(false);
  });

  it("sends one HEADERS frame and FIN, and streams the response body as DATA arrives", async () => {
    const session = new FakeQuicSession(() => response);
    const client = await open(session);
    const got = await client.get("/small.txt", { headers: [["user-agent", "nq"]] });
    expect(session.request()).toEqual([
      [":method", "GET"],
      [":scheme", "https"],
      [":authority", "localhost:4433"],
      [":path", "/small.txt"],
      ["user-agent", "nq"],
    ]);
    expect(session.bidi[0]!.ended).toBe(true);
    expect(got.status).toBe(200);
    expect(got.headers).toEqual([["content-length", "5000"]]);
    expect(got.informational).toEqual([{ status: 103, headers: [["link", "</style.css>; rel=preload"]] }]);
    expect(got.trailers).toEqual([]);

    const chunks: Uint8Array[] = [];
    for await (const chunk of got.body) chunks.push(chunk);
    expect(chunks.length).toBeGreaterThan(100);
    expect(chunks.every((chunk) => chunk.length > 0)).toBe(true);
    expect(text(cat(...chunks))).toBe(text(body));
    expect(got.trailers).toEqual([["x-trailer", "yes"]]);
    expect(got.skippedFrameTypes).toEqual([0x2a, 0x1f * 7 + 0x21]);
    expect(session.bidi[0]!.stopSendingCode).toBeUndefined();
  });

  it("reads the server's SETTINGS and the types of its streams", async () => {
    const session = new FakeQuicSession(() => response);
    const client = await open(session);
    await tick();
    expect(client.peerStreamTypes).toEqual([0x00, 0x02, 0x03]);
    expect(client.peerSettings).toEqual(new Map([[6, 65536]]));
    expect(client.connectionError).toBeUndefined();
  });

  it("reads a whole body with bytes(), and the body only once", async () => {
    const client = await open(new FakeQuicSession(() => response));
    const got = await client.get("/");
    expect(text(await got.bytes())).toBe(text(body));
    await expect(got.bytes()).rejects.toThrow(TypeError);
  });

  it("sends HEAD and accepts a content-length without content", async () => {
    const session = new FakeQuicSession(() =>
      headers([
        [":status", "200"],
        ["content-length", "5000"],
      ]),
    );
    const client = await open(session);
    const got = await client.head("/10m.bin");
    expect(session.request()[0]).toEqual([":method", "HEAD"]);
    expect(got.headers).toEqual([["content-length", "5000"]]);
    expect((await got.bytes()).length).toBe(0);
  });

  it("cancels the rest of the body with STOP_SENDING when the reader leaves early", async () => {
    const session = new FakeQuicSession(() => response);
    const got = await (await open(session)).get("/");
    for await (const _ of got.body) break;
    expect(session.bidi[0]!.stopSendingCode).toBe(H3ErrorCode.H3_REQUEST_CANCELLED);
    const other = await (await open(new FakeQuicSession(() => response))).get("/");
    other.cancel();
    expect((await other.bytes()).length).toBe(0);
  });

  it("refuses request fields HTTP/3 does not allow, before opening a stream", async () => {
    const session = new FakeQuicSession(() => response);
    const client = await open(session);
    await expect(client.get("/", { headers: [["User-Agent", "nq"]] })).rejects.toThrow(TypeError);
    await expect(client.get("/", { headers: [["connection", "close"]] })).rejects.toThrow(
      /connection-specific/,
    );
    await expect(client.get("/", { headers: [["te", "gzip"]] })).rejects.toThrow(TypeError);
    await expect(client.get("/", { headers: [["x-a", "1\r\nx-b: 2"]] })).rejects.toThrow(/CR or LF/);
    await expect(client.get("index.html")).rejects.toThrow(/:path/);
    await expect(client.request({ method: "POST" as "GET", path: "/" })).rejects.toThrow(/POST/);
    expect(session.bidi).toHaveLength(0);
  });
});

describe("MinimalH3Client with a malformed response", () => {
  async function failure(reply: Uint8Array, method: "GET" | "HEAD" = "GET") {
    const session = new FakeQuicSession(() => reply);
    const client = await open(session);
    let error: unknown;
    try {
      const response = await client.request({ method, path: "/" });
      await response.bytes();
    } catch (caught) {
      error = caught;
    }
    return { error, session, client, stream: session.bidi[0]! };
  }

  const ok = headers([[":status", "200"]]);

  it.each([
    ["DATA before the response's HEADERS", data(ascii("early"))],
    ["a control-stream frame on a request stream", encodeH3Frame(H3FrameType.GOAWAY, encodeVarint(0))],
    ["SETTINGS on a request stream", encodeH3Frame(H3FrameType.SETTINGS, new Uint8Array(0))],
    ["an HTTP/2 frame type", encodeH3Frame(0x06, new Uint8Array(8))],
    [
      "HEADERS after the trailers",
      cat(ok, data(ascii("a")), headers([["x-t", "1"]]), headers([["x-t", "2"]])),
    ],
    ["DATA after the trailers", cat(ok, headers([["x-t", "1"]]), data(ascii("a")))],
    ["a PUSH_PROMISE", cat(ok, encodeH3Frame(H3FrameType.PUSH_PROMISE, encodeVarint(0)))],
  ])("closes the connection with H3_FRAME_UNEXPECTED for %s", async (_, reply) => {
    const { error, session, client } = await failure(reply);
    expect(error).toEqual(h3Error(H3ErrorCode.H3_FRAME_UNEXPECTED));
    expect(session.closedWith?.code).toBe(H3ErrorCode.H3_FRAME_UNEXPECTED);
    expect(client.connectionError).toBe(error);
    await expect(client.get("/")).rejects.toBe(error);
  });

  it.each([
    ["a stream that ends without a response", new Uint8Array(0)],
    ["a response without :status", headers([["content-type", "text/plain"]])],
    ["a status that is not three digits", headers([[":status", "20"]])],
    ["a status above 599", headers([[":status", "600"]])],
    [
      "a request pseudo-header in the response",
      headers([
        [":status", "200"],
        [":path", "/"],
      ]),
    ],
    [
      "a pseudo-header after a regular field",
      headers([
        [":status", "200"],
        ["x-a", "1"],
        [":status", "200"],
      ]),
    ],
    [
      "an upper-case field name",
      headers([
        [":status", "200"],
        ["X-A", "1"],
      ]),
    ],
    [
      "a connection-specific field",
      headers([
        [":status", "200"],
        ["transfer-encoding", "chunked"],
      ]),
    ],
    ["a pseudo-header in the trailers", cat(ok, headers([[":status", "200"]]))],
    [
      "a content-length that is not a number",
      headers([
        [":status", "200"],
        ["content-length", "5x"],
      ]),
    ],
    [
      "less content than content-length",
      cat(
        headers([
          [":status", "200"],
          ["content-length", "10"],
        ]),
        data(ascii("12345")),
      ),
    ],
    [
      "more content than content-length",
      cat(
        headers([
          [":status", "200"],
          ["content-length", "3"],
        ]),
        data(ascii("12345")),
      ),
    ],
    ["content in a 204", cat(headers([[":status", "204"]]), data(ascii("1")))],
  ])("stops the stream with H3_MESSAGE_ERROR for %s", async (_, reply) => {
    const { error, session, client, stream } = await failure(reply);
    expect(error).toEqual(h3Error(H3ErrorCode.H3_MESSAGE_ERROR));
    expect(stream.stopSendingCode).toBe(H3ErrorCode.H3_MESSAGE_ERROR);
    expect(session.closedWith).toBeUndefined();
    expect(client.connectionError).toBeUndefined();
  });

  it("stops the stream with H3_MESSAGE_ERROR for content in a response to HEAD", async () => {
    const { error, stream } = await failure(cat(ok, data(ascii("1"))), "HEAD");
    expect(error).toEqual(h3Error(H3ErrorCode.H3_MESSAGE_ERROR));
    expect(stream.stopSendingCode).toBe(H3ErrorCode.H3_MESSAGE_ERROR);
  });

  it("closes the connection with QPACK_DECOMPRESSION_FAILED for a dynamic table reference", async () => {
    const { error, session } = await failure(encodeH3Frame(H3FrameType.HEADERS, Uint8Array.of(0, 0, 0x80)));
    expect(error).toEqual(h3Error(H3ErrorCode.QPACK_DECOMPRESSION_FAILED));
    expect(session.closedWith?.code).toBe(H3ErrorCode.QPACK_DECOMPRESSION_FAILED);
  });

  it("closes the connection with H3_FRAME_ERROR for a stream cut inside a frame", async () => {
    const { error, session } = await failure(cat(ok, data(ascii("12345")).subarray(0, 4)));
    expect(error).toEqual(h3Error(H3ErrorCode.H3_FRAME_ERROR));
    expect(session.closedWith?.code).toBe(H3ErrorCode.H3_FRAME_ERROR);
  });

  it("stops the stream with H3_EXCESSIVE_LOAD for HEADERS above the limit", async () => {
    const session = new FakeQuicSession(() =>
      headers([
        [":status", "200"],
        ["x-big", "y".repeat(200)],
      ]),
    );
    const client = await MinimalH3Client.open(session, {
      authority: "localhost",
      maxHeadersFrameLength: 100,
    });
    await expect(client.get("/")).rejects.toEqual(h3Error(H3ErrorCode.H3_EXCESSIVE_LOAD));
    expect(session.bidi[0]!.stopSendingCode).toBe(H3ErrorCode.H3_EXCESSIVE_LOAD);
  });

  it("passes errors of the QUIC stream through unchanged", async () => {
    const session = new FakeQuicSession(() => ok);
    const client = await open(session);
    const reset = new Error("RESET_STREAM");
    session.openBidirectionalStream = async () => {
      const stream = new FakeQuicStream(() => ok);
      stream[Symbol.asyncIterator] = async function* () {
        yield* [];
        throw reset;
      };
      return stream;
    };
    await expect(client.get("/")).rejects.toBe(reset);
    expect(session.closedWith).toBeUndefined();
  });
});

describe("MinimalH3Client and the server's streams", () => {
  async function afterPeerStreams(peerStreams: Uint8Array[]) {
    const session = new FakeQuicSession(() => headers([[":status", "200"]]), peerStreams);
    const client = await open(session);
    await tick();
    return { session, client };
  }

  it.each([
    [
      "a control stream that does not start with SETTINGS",
      H3ErrorCode.H3_MISSING_SETTINGS,
      [cat(encodeVarint(0), encodeH3Frame(0x21, new Uint8Array(1)))],
    ],
    [
      "a second SETTINGS",
      H3ErrorCode.H3_FRAME_UNEXPECTED,
      [serverControl(encodeH3Frame(H3FrameType.SETTINGS, new Uint8Array(0)))],
    ],
    ["DATA on the control stream", H3ErrorCode.H3_FRAME_UNEXPECTED, [serverControl(data(ascii("x")))]],
    [
      "MAX_PUSH_ID from the server",
      H3ErrorCode.H3_FRAME_UNEXPECTED,
      [serverControl(encodeH3Frame(H3FrameType.MAX_PUSH_ID, encodeVarint(1)))],
    ],
    [
      "CANCEL_PUSH without push",
      H3ErrorCode.H3_ID_ERROR,
      [serverControl(encodeH3Frame(H3FrameType.CANCEL_PUSH, encodeVarint(0)))],
    ],
    [
      "a GOAWAY naming a stream the client cannot open",
      H3ErrorCode.H3_ID_ERROR,
      [serverControl(encodeH3Frame(H3FrameType.GOAWAY, encodeVarint(2)))],
    ],
    [
      "a GOAWAY that raises its stream ID",
      H3ErrorCode.H3_ID_ERROR,
      [
        serverControl(
          encodeH3Frame(H3FrameType.GOAWAY, encodeVarint(4)),
          encodeH3Frame(H3FrameType.GOAWAY, encodeVarint(8)),
        ),
      ],
    ],
    [
      "a repeated SETTINGS identifier",
      H3ErrorCode.H3_SETTINGS_ERROR,
      [
        cat(
          encodeVarint(0),
          encodeH3Frame(
            H3FrameType.SETTINGS,
            encodeSettings([
              [1, 0],
              [1, 0],
            ]),
          ),
        ),
      ],
    ],
    ["a second control stream", H3ErrorCode.H3_STREAM_CREATION_ERROR, [serverControl(), serverControl()]],
    ["a push stream", H3ErrorCode.H3_ID_ERROR, [serverControl(), encodeVarint(H3StreamType.PUSH)]],
  ])("closes the connection for %s", async (_, code, peerStreams) => {
    const { session, client } = await afterPeerStreams(peerStreams);
    expect(client.connectionError).toEqual(h3Error(code));
    expect(session.closedWith?.code).toBe(code);
    await expect(client.get("/")).rejects.toEqual(h3Error(code));
  });

  it("closes the connection with H3_CLOSED_CRITICAL_STREAM when the server ends its control stream", async () => {
    const session = new FakeQuicSession(() => new Uint8Array(0), []);
    session.incomingStreams = async function* () {
      yield new FakeQuicStream(() => serverControl());
    };
    const client = await open(session);
    await tick();
    expect(client.connectionError).toEqual(h3Error(H3ErrorCode.H3_CLOSED_CRITICAL_STREAM));
  });

  it("remembers GOAWAY and sends no request after it", async () => {
    const { session, client } = await afterPeerStreams([
      serverControl(encodeH3Frame(H3FrameType.GOAWAY, encodeVarint(8))),
    ]);
    expect(client.goawayStreamId).toBe(8);
    expect(client.connectionError).toBeUndefined();
    await expect(client.get("/")).rejects.toEqual(h3Error(H3ErrorCode.H3_REQUEST_REJECTED));
    expect(session.bidi).toHaveLength(0);
  });

  it("discards streams of unknown types and skips unknown frames on the control stream", async () => {
    const { client } = await afterPeerStreams([
      serverControl(encodeH3Frame(0x21, ascii("grease"))),
      cat(encodeVarint(0x1f * 5 + 0x21), ascii("whatever")),
    ]);
    expect(client.connectionError).toBeUndefined();
    expect(client.peerStreamTypes).toEqual([0x00, 0x1f * 5 + 0x21]);
  });

  it("closes the session with H3_NO_ERROR", async () => {
    const session = new FakeQuicSession(() => new Uint8Array(0));
    await (await open(session)).close();
    expect(session.closedWith).toEqual({ code: H3ErrorCode.H3_NO_ERROR, reason: "" });
  });

  it("is an H3Error across copies of the module (a Symbol.for brand)", () => {
    const foreign = Object.defineProperty(new Error("x"), Symbol.for("nq.h3.H3Error"), { value: true });
    expect(foreign instanceof H3Error).toBe(true);
    expect(new Error("x") instanceof H3Error).toBe(false);
    expect(new H3Error(H3ErrorCode.H3_ID_ERROR, "x").codeName).toBe("H3_ID_ERROR");
    expect(new H3Error(0x1234, "x").message).toBe("0x1234: x");
  });
});
