import { gzipSync } from "node:zlib";
import { Headers, StreamConsumedError } from "@nq/models";
import { describe, expect, it } from "vitest";
import type { ContentCoding } from "./content-decoding.js";
import { ResponseBody } from "./response-body.js";
import { type ResponseOwner, StreamingResponse } from "./transport-response.js";

function setup(body: Uint8Array, codings: ContentCoding[] | undefined) {
  const owner = {
    cancelled: 0,
    cancel() {
      this.cancelled++;
    },
    trailers: () => Promise.resolve(new Headers({ "x-trailer": "1" })),
  } satisfies ResponseOwner & { cancelled: number };
  const raw = new ResponseBody({ bodySettled() {}, cancelBody: () => owner.cancel() }, () => {});
  raw.push(body);
  raw.end();
  const response = new StreamingResponse(
    owner,
    {
      statusCode: 200,
      reason: "OK",
      httpVersion: 11,
      headers: new Headers(),
      connInfo: undefined,
      codings,
      maxDecompressionRatio: 100,
    },
    raw,
  );
  return { owner, response };
}

async function bytes(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function text(body: AsyncIterable<Uint8Array>): Promise<string> {
  return (await bytes(body)).toString();
}

describe("StreamingResponse", () => {
  it("decodes `body` by its codings and hands `rawBody` out as received", async () => {
    const compressed = gzipSync("hello");
    expect(await text(setup(compressed, ["gzip"]).response.body)).toBe("hello");
    expect(await bytes(setup(compressed, ["gzip"]).response.rawBody)).toEqual(compressed);
    expect(await text(setup(Buffer.from("plain"), undefined).response.body)).toBe("plain");
  });

  it("lets one of body and rawBody be iterated, once", async () => {
    const { response } = setup(Buffer.from("x"), undefined);
    await text(response.body);
    expect(() => response.body[Symbol.asyncIterator]()).toThrow(StreamConsumedError);
    expect(() => response.rawBody[Symbol.asyncIterator]()).toThrow(/share one stream/);
  });

  it("passes cancel and trailers to the exchange behind it", async () => {
    const { owner, response } = setup(Buffer.from("x"), undefined);
    response.cancel();
    expect(owner.cancelled).toBe(1);
    expect((await response.trailers)?.get("x-trailer")).toBe("1");
  });
});
