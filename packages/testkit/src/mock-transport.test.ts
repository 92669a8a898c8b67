import { Headers, PreparedRequest, type RequestBody, type SendOptions, TransportError } from "@nq/models";
import { describe, expect, it } from "vitest";
import { MockTransport, readBody } from "./mock-transport.js";

const options: SendOptions = { timeout: { connect: null, read: null, total: null }, verify: true };
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

function request(method: string, url: string, body: RequestBody | null = null): PreparedRequest {
  const prepared = new PreparedRequest();
  prepared.prepareMethod(method);
  prepared.prepareUrl(url);
  prepared.prepareHeaders({ "X-Test": "1" });
  prepared.body = body;
  prepared.prepareContentLength(body instanceof Uint8Array ? body.length : null);
  return prepared;
}

async function readAll(body: AsyncIterable<Uint8Array>): Promise<string> {
  let out = "";
  for await (const chunk of body) out += text(chunk);
  return out;
}

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield new TextEncoder().encode(part);
}

describe("MockTransport", () => {
  it("answers with the handler's status, reason, headers and text body", async () => {
    await using transport = new MockTransport(() => ({
      status: 201,
      headers: { "X-Reply": ["a", "b"] },
      body: "made",
    }));
    const response = await transport.send(request("POST", "https://api.test/items"), options);
    expect(response.statusCode).toBe(201);
    expect(response.reason).toBe("Created");
    expect(response.httpVersion).toBe(11);
    expect(response.headers.getAll("x-reply")).toEqual(["a", "b"]);
    expect(await readAll(response.body)).toBe("made");
    expect(response.connInfo?.encrypted).toBe(true);
  });

  it("serialises objects as JSON with a content type", async () => {
    await using transport = new MockTransport(() => ({ status: 200, body: { ok: true, items: [1, 2] } }));
    const response = await transport.send(request("GET", "http://api.test/"), options);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(JSON.parse(await readAll(response.body))).toEqual({ ok: true, items: [1, 2] });
  });

  it("keeps a content type the handler set for JSON", async () => {
    await using transport = new MockTransport(() => ({
      status: 200,
      headers: { "Content-Type": "application/problem+json" },
      body: [1],
    }));
    const response = await transport.send(request("GET", "http://api.test/"), options);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(await readAll(response.body)).toBe("[1]");
  });

  it("streams bytes and async-iterable bodies as given", async () => {
    const bytes = Uint8Array.of(0, 1, 2, 255);
    await using transport = new MockTransport((req) =>
      req.url.endsWith("/bytes")
        ? { status: 200, body: bytes }
        : { status: 200, body: chunks("a", "b", "c") },
    );
    const binary = await transport.send(request("GET", "http://api.test/bytes"), options);
    const received: Uint8Array[] = [];
    for await (const chunk of binary.body) received.push(chunk);
    expect(received).toEqual([bytes]);
    const streamed = await transport.send(request("GET", "http://api.test/stream"), options);
    const parts: string[] = [];
    for await (const chunk of streamed.body) parts.push(text(chunk));
    expect(parts).toEqual(["a", "b", "c"]);
  });

  it("records calls with their body bytes, even for one-shot streams", async () => {
    const seenByHandler: string[] = [];
    await using transport = new MockTransport(async (req) => {
      seenByHandler.push(text(await readBody(req)));
      return { status: 204 };
    });
    await transport.send(
      request("POST", "http://api.test/a", new TextEncoder().encode("bytes body")),
      options,
    );
    await transport.send(request("POST", "http://api.test/b", chunks("one-", "shot")), options);
    await transport.send(request("GET", "http://api.test/c"), options);
    expect(transport.calls.map((call) => [call.request.method, call.request.url, text(call.body)])).toEqual([
      ["POST", "http://api.test/a", "bytes body"],
      ["POST", "http://api.test/b", "one-shot"],
      ["GET", "http://api.test/c", ""],
    ]);
    expect(seenByHandler).toEqual(["bytes body", "one-shot", ""]);
    expect(transport.calls[0]!.request.headers.get("x-test")).toBe("1");
  });

  it("reports upload progress while reading the request body", async () => {
    await using transport = new MockTransport(() => ({ status: 200 }));
    const progress: [number, number | null][] = [];
    const body = new TextEncoder().encode("0123456789");
    await transport.send(request("PUT", "http://api.test/", body), {
      ...options,
      onUploadProgress: (sent, total) => progress.push([sent, total]),
    });
    await transport.send(request("PUT", "http://api.test/", chunks("ab", "cd")), {
      ...options,
      onUploadProgress: (sent, total) => progress.push([sent, total]),
    });
    expect(progress).toEqual([
      [10, 10],
      [2, null],
      [4, null],
    ]);
  });

  it("delivers trailers once the body is read, and none when it is cancelled", async () => {
    await using transport = new MockTransport(() => ({
      status: 200,
      body: "x",
      trailers: { "X-Checksum": "abc" },
    }));
    const read = await transport.send(request("GET", "http://api.test/"), options);
    await readAll(read.body);
    expect((await read.trailers)?.get("x-checksum")).toBe("abc");
    const cancelled = await transport.send(request("GET", "http://api.test/"), options);
    cancelled.cancel();
    expect(await cancelled.trailers).toBeUndefined();
    expect(await readAll(cancelled.body)).toBe("");
  });

  it("lets a body be iterated only once", async () => {
    await using transport = new MockTransport(() => ({ status: 200, body: "once" }));
    const response = await transport.send(request("GET", "http://api.test/"), options);
    expect(await readAll(response.body)).toBe("once");
    expect(() => response.body[Symbol.asyncIterator]()).toThrow(TypeError);
  });

  it("passes a TransportError from the handler through, and other errors unchanged", async () => {
    const refused = new TransportError("refused", { kind: "connect", phase: "connect", retryable: true });
    const bug = new RangeError("handler bug");
    await using transport = new MockTransport((req) => {
      throw req.url.endsWith("/refused") ? refused : bug;
    });
    await expect(transport.send(request("GET", "http://api.test/refused"), options)).rejects.toBe(refused);
    await expect(transport.send(request("GET", "http://api.test/bug"), options)).rejects.toBe(bug);
  });

  it("rejects with signal.reason when aborted before or while the handler runs", async () => {
    let release: () => void = () => {};
    await using transport = new MockTransport(async () => {
      await new Promise<void>((resolve) => (release = resolve));
      return { status: 200 };
    });
    const early = new Error("early");
    await expect(
      transport.send(request("GET", "http://api.test/"), { ...options, signal: AbortSignal.abort(early) }),
    ).rejects.toBe(early);
    expect(transport.calls).toHaveLength(0);

    const controller = new AbortController();
    const pending = transport.send(request("GET", "http://api.test/"), {
      ...options,
      signal: controller.signal,
    });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const reason = new Error("late");
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    release();
  });

  it("fails a pending body read with signal.reason when aborted mid-body", async () => {
    let release: () => void = () => {};
    let finalised = false;
    async function* slow(): AsyncGenerator<Uint8Array> {
      try {
        yield new TextEncoder().encode("first");
        await new Promise<void>((resolve) => (release = resolve));
        yield new TextEncoder().encode("never");
      } finally {
        finalised = true;
      }
    }
    await using transport = new MockTransport(() => ({ status: 200, body: slow() }));
    const controller = new AbortController();
    const response = await transport.send(request("GET", "http://api.test/"), {
      ...options,
      signal: controller.signal,
    });
    const iterator = response.body[Symbol.asyncIterator]();
    expect(text((await iterator.next()).value as Uint8Array)).toBe("first");
    const pending = iterator.next();
    const reason = new Error("mid-body");
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    release();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(finalised).toBe(true);
  });

  it("close() waits for a head being produced, which then completes", async () => {
    let release: () => void = () => {};
    let started: () => void = () => {};
    const handlerStarted = new Promise<void>((resolve) => (started = resolve));
    const transport = new MockTransport(async () => {
      started();
      await new Promise<void>((resolve) => (release = resolve));
      return { status: 200, body: "late" };
    });
    const pending = transport.send(request("GET", "http://api.test/"), options);
    await handlerStarted;
    let closed = false;
    const closing = transport.close().then(() => (closed = true));
    await Promise.resolve();
    expect(closed).toBe(false);
    await expect(transport.send(request("GET", "http://api.test/"), options)).rejects.toMatchObject({
      kind: "closed",
    });
    release();
    expect(await readAll((await pending).body)).toBe("late");
    await closing;
    expect(closed).toBe(true);
  });

  it("refuses new requests after close() with a closed TransportError", async () => {
    const transport = new MockTransport(() => ({ status: 200 }));
    await transport.close();
    const error = await transport.send(request("GET", "http://api.test/"), options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect(error).toMatchObject({ kind: "closed", retryable: true });
  });

  it("fails in-flight bodies with the reason on destroy()", async () => {
    const transport = new MockTransport(() => ({
      status: 200,
      body: (async function* () {
        yield new Uint8Array(1);
        await new Promise(() => {});
      })(),
    }));
    const response = await transport.send(request("GET", "http://api.test/"), options);
    const iterator = response.body[Symbol.asyncIterator]();
    await iterator.next();
    const pending = iterator.next();
    const reason = new Error("gone");
    await transport.destroy(reason);
    await expect(pending).rejects.toBe(reason);
    await expect(transport.send(request("GET", "http://api.test/"), options)).rejects.toMatchObject({
      kind: "closed",
    });
  });

  it("serves http and https only, speaking http/1.1", () => {
    const transport = new MockTransport(() => ({ status: 200 }));
    expect(transport.protocols).toEqual(["http/1.1"]);
    expect(transport.canHandle(new URL("https://x.test/"))).toBe(true);
    expect(transport.canHandle(new URL("http://x.test/"))).toBe(true);
    expect(transport.canHandle(new URL("ftp://x.test/"))).toBe(false);
  });

  it("reports a chosen HTTP version in the response and its connection info", async () => {
    await using transport = new MockTransport(() => ({ status: 200, httpVersion: 20, reason: "Fine" }));
    const response = await transport.send(request("GET", "http://api.test/"), options);
    expect(response.httpVersion).toBe(20);
    expect(response.reason).toBe("Fine");
    expect(response.connInfo?.protocol).toBe("h2");
    expect(response.headers).toBeInstanceOf(Headers);
  });
});

describe("readBody", () => {
  it("reads each kind of prepared body, and the same one-shot body twice", async () => {
    expect(await readBody(request("GET", "http://a.test/"))).toEqual(new Uint8Array(0));
    const stream = request("POST", "http://a.test/", chunks("x", "y"));
    expect(text(await readBody(stream))).toBe("xy");
    expect(text(await readBody(stream))).toBe("xy");
  });
});
