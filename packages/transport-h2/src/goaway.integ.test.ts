import { constants, type Http2Session, type ServerHttp2Stream } from "node:http2";
import { ReplayableBody } from "@nq/models";
import { describe, expect, it } from "vitest";
import { prepared, readText, sendOptions, transportFailure, useFixtures } from "../test/helpers.js";

const fixtures = useFixtures();

async function readRequest(stream: ServerHttp2Stream): Promise<string> {
  let text = "";
  for await (const chunk of stream) text += chunk;
  return text;
}

describe("GOAWAY", () => {
  it("replays the streams above the last stream id on a new connection, and only those", async () => {
    const processed = new Map<string, number>();
    const sessionOf = new Map<string, Http2Session>();
    let first: Http2Session | undefined;
    const held: { stream: ServerHttp2Stream; id: string }[] = [];
    const server = await fixtures.serve(async (stream, headers, session) => {
      const id = String(headers["x-request-id"]);
      const body = await readRequest(stream);
      first ??= session;
      const answer = (): void => {
        processed.set(id, (processed.get(id) ?? 0) + 1);
        sessionOf.set(id, session);
        stream.respond({ ":status": 200 });
        stream.end(`${id}:${body}`);
      };
      if (session !== first) {
        answer();
        return;
      }
      held.push({ stream, id });
      if (held.length < 50) return;
      // All 50 are in flight on the first connection: let the first 25 streams through and
      // tell the client the rest were never processed.
      const sorted = [...held].sort((a, b) => a.stream.id! - b.stream.id!);
      const last = sorted[24]!.stream.id!;
      session.goaway(constants.NGHTTP2_NO_ERROR, last);
      for (const { stream: s, id: heldId } of sorted) {
        if (s.id! > last) continue;
        processed.set(heldId, (processed.get(heldId) ?? 0) + 1);
        sessionOf.set(heldId, session);
        s.respond({ ":status": 200 });
        s.end(`${heldId}:${heldId === "none" ? "" : `body-${heldId}`}`);
      }
    });
    const transport = fixtures.transport({ h2c: true });
    const texts = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const response = await transport.send(
          prepared(`${server.origin}/${i}`, {
            method: "POST",
            headers: { "x-request-id": String(i) },
            body: new TextEncoder().encode(`body-${i}`),
          }),
          sendOptions(),
        );
        expect(response.statusCode).toBe(200);
        return readText(response.body);
      }),
    );
    expect(texts).toEqual(Array.from({ length: 50 }, (_, i) => `${i}:body-${i}`));
    // Every request was processed exactly once: POSTs included, none sent twice after processing.
    expect([...processed.values()]).toEqual(Array(50).fill(1));
    expect(processed.size).toBe(50);
    const onFirst = [...sessionOf.values()].filter((s) => s === first).length;
    expect(onFirst).toBe(25);
    expect(server.connections).toBe(2);
  });

  it("fails the streams at or below the last id of an error GOAWAY, and replays the rest", async () => {
    const processed = new Map<string, number>();
    let first: Http2Session | undefined;
    const held: { stream: ServerHttp2Stream; id: string }[] = [];
    const server = await fixtures.serve((stream, headers, session) => {
      const id = String(headers["x-request-id"]);
      first ??= session;
      if (session !== first) {
        processed.set(id, (processed.get(id) ?? 0) + 1);
        stream.respond({ ":status": 200 });
        stream.end(id);
        return;
      }
      held.push({ stream, id });
      if (held.length < 10) return;
      const last = [...held].sort((a, b) => a.stream.id! - b.stream.id!)[3]!.stream.id!;
      // An error GOAWAY: the server gives up on the whole connection, processed streams included.
      session.goaway(constants.NGHTTP2_ENHANCE_YOUR_CALM, last);
    });
    const transport = fixtures.transport({ h2c: true });
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        transport
          .send(prepared(`${server.origin}/${i}`, { headers: { "x-request-id": String(i) } }), sendOptions())
          .then(
            async (r) => ({ ok: await readText(r.body) }),
            (error: unknown) => ({ error }),
          ),
      ),
    );
    const failed = outcomes.filter((o) => "error" in o);
    const succeeded = outcomes.filter((o) => "ok" in o);
    expect(failed).toHaveLength(4);
    expect(succeeded).toHaveLength(6);
    for (const { error } of failed as { error: unknown }[]) {
      const failure = await transportFailure(Promise.reject(error));
      expect(failure).toMatchObject({ kind: "reset", retryable: false, code: "NGHTTP2_ENHANCE_YOUR_CALM" });
      expect(["send", "head"]).toContain(failure.phase);
    }
    expect([...processed.values()]).toEqual(Array(6).fill(1));
  });
});

describe("REFUSED_STREAM", () => {
  it("retries a refused request once, body included", async () => {
    const attempts = new Map<string, string[]>();
    const server = await fixtures.serve(async (stream, headers) => {
      const id = String(headers["x-request-id"]);
      const body = await readRequest(stream);
      const seen = attempts.get(id) ?? [];
      seen.push(body);
      attempts.set(id, seen);
      if (seen.length === 1) {
        stream.close(constants.NGHTTP2_REFUSED_STREAM);
        return;
      }
      stream.respond({ ":status": 201 });
      stream.end(`created ${body}`);
    });
    const transport = fixtures.transport({ h2c: true });
    const replayable = new ReplayableBody(async function* () {
      yield new TextEncoder().encode("stream");
      yield new TextEncoder().encode("ed");
    }, null);
    const [bytesResponse, streamResponse] = await Promise.all([
      transport.send(
        prepared(`${server.origin}/a`, {
          method: "POST",
          headers: { "x-request-id": "a" },
          body: new TextEncoder().encode("bytes"),
        }),
        sendOptions(),
      ),
      transport.send(
        prepared(`${server.origin}/b`, { method: "PUT", headers: { "x-request-id": "b" }, body: replayable }),
        sendOptions(),
      ),
    ]);
    expect(await readText(bytesResponse.body)).toBe("created bytes");
    expect(await readText(streamResponse.body)).toBe("created streamed");
    expect(attempts.get("a")).toEqual(["bytes", "bytes"]);
    expect(attempts.get("b")).toEqual(["streamed", "streamed"]);
    expect(server.connections).toBe(1);
  });

  it("fails as retryable after the second refusal", async () => {
    let attempts = 0;
    const server = await fixtures.serve((stream) => {
      attempts++;
      stream.close(constants.NGHTTP2_REFUSED_STREAM);
    });
    const transport = fixtures.transport({ h2c: true });
    const failure = await transportFailure(transport.send(prepared(`${server.origin}/`), sendOptions()));
    expect(failure).toMatchObject({ kind: "reset", retryable: true, code: "NGHTTP2_REFUSED_STREAM" });
    expect(attempts).toBe(2);
  });

  it("does not replay a one-shot body it already started sending", async () => {
    let attempts = 0;
    const server = await fixtures.serve(async (stream) => {
      attempts++;
      await readRequest(stream);
      stream.close(constants.NGHTTP2_REFUSED_STREAM);
    });
    async function* oneShot(): AsyncGenerator<Uint8Array> {
      yield new TextEncoder().encode("only once");
    }
    const transport = fixtures.transport({ h2c: true });
    const failure = await transportFailure(
      transport.send(prepared(`${server.origin}/`, { method: "POST", body: oneShot() }), sendOptions()),
    );
    // Not processed, so a caller that can rebuild the body may send it again.
    expect(failure).toMatchObject({ kind: "reset", retryable: true, code: "NGHTTP2_REFUSED_STREAM" });
    expect(attempts).toBe(1);
  });

  it("reports HTTP_1_1_REQUIRED as retryable, for a router to take the request to HTTP/1.1", async () => {
    const server = await fixtures.serve((stream) => stream.close(constants.NGHTTP2_HTTP_1_1_REQUIRED));
    const transport = fixtures.transport({ h2c: true });
    const failure = await transportFailure(transport.send(prepared(`${server.origin}/`), sendOptions()));
    expect(failure).toMatchObject({ kind: "protocol", retryable: true, code: "NGHTTP2_HTTP_1_1_REQUIRED" });
  });
});
