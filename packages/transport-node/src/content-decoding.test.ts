import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from "node:zlib";
import { TransportError } from "@nq/models";
import { describe, expect, it } from "vitest";
import { DECOMPRESSION_FLOOR, decodeBody, parseContentEncoding } from "./content-decoding.js";

async function* chunks(data: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

async function decode(
  data: Uint8Array,
  codings: Parameters<typeof decodeBody>[1],
  size = 1024,
  maxRatio = 100,
) {
  const out: Uint8Array[] = [];
  for await (const chunk of {
    [Symbol.asyncIterator]: () => decodeBody(chunks(data, size), codings, { maxRatio }),
  }) {
    out.push(chunk);
  }
  return Buffer.concat(out);
}

const text = Buffer.from("abcdefghij".repeat(5000));

describe("parseContentEncoding", () => {
  it.each([
    [null, undefined],
    ["", undefined],
    ["identity", undefined],
    ["gzip", ["gzip"]],
    ["x-gzip", ["gzip"]],
    ["GZIP", ["gzip"]],
    ["deflate", ["deflate"]],
    ["br", ["br"]],
    ["gzip, br", ["gzip", "br"]],
    ["identity, gzip", ["gzip"]],
    ["gzip,,br", ["gzip", "br"]],
    ["zstd", undefined],
    ["gzip, zstd", undefined],
    ["compress", undefined],
  ])("%j → %j", (header, codings) => {
    expect(parseContentEncoding(header)).toEqual(codings);
  });
});

describe("decodeBody", () => {
  it.each([1, 7, 1024, 1 << 20])("decodes gzip fed in %i-byte chunks", async (size) => {
    expect((await decode(gzipSync(text), ["gzip"], size)).equals(text)).toBe(true);
  });

  it("decodes zlib-wrapped and raw deflate, even with a one-byte first chunk", async () => {
    expect((await decode(deflateSync(text), ["deflate"], 1)).equals(text)).toBe(true);
    expect((await decode(deflateRawSync(text), ["deflate"], 1)).equals(text)).toBe(true);
    expect((await decode(deflateRawSync(text), ["deflate"], 4096)).equals(text)).toBe(true);
  });

  it("decodes brotli and stacked codings", async () => {
    expect((await decode(brotliCompressSync(text), ["br"])).equals(text)).toBe(true);
    const stacked = deflateSync(brotliCompressSync(gzipSync(text)));
    expect((await decode(stacked, ["gzip", "br", "deflate"])).equals(text)).toBe(true);
  });

  it("decodes concatenated gzip members", async () => {
    const members = Buffer.concat([gzipSync("first "), gzipSync("second")]);
    expect((await decode(members, ["gzip"])).toString()).toBe("first second");
  });

  it("yields what it has when a gzip stream is cut short", async () => {
    const full = gzipSync(text);
    const cut = full.subarray(0, full.length - 8);
    expect((await decode(cut, ["gzip"])).equals(text)).toBe(true);
  });

  it("decodes an empty body to nothing", async () => {
    expect(await decode(new Uint8Array(0), ["gzip"])).toHaveLength(0);
    expect(await decode(new Uint8Array(0), ["deflate"])).toHaveLength(0);
  });

  it("bounds the output: past 16 MiB and the ratio it fails", async () => {
    const bomb = gzipSync(Buffer.alloc(32 * 1024 * 1024));
    const error = await decode(bomb, ["gzip"]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect(error).toMatchObject({ kind: "decoding", phase: "body" });
  });

  it("allows a high ratio below the 16 MiB floor", async () => {
    const zeros = Buffer.alloc(DECOMPRESSION_FLOOR - 1024);
    expect(await decode(gzipSync(zeros), ["gzip"])).toHaveLength(zeros.length);
  });

  it("passes errors of the source through unchanged", async () => {
    const reason = new Error("network down");
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield gzipSync(text).subarray(0, 100);
      throw reason;
    }
    const iterator = decodeBody(failing(), ["gzip"], { maxRatio: 100 });
    await expect(
      (async () => {
        for await (const _ of { [Symbol.asyncIterator]: () => iterator }) {
          // drain
        }
      })(),
    ).rejects.toBe(reason);
  });

  it("cancels the source when returned early", async () => {
    let returned = false;
    const source: AsyncIterator<Uint8Array> = {
      next: async () => ({ value: gzipSync(text), done: false }),
      return: async () => {
        returned = true;
        return { value: undefined, done: true };
      },
    };
    const iterator = decodeBody(source, ["gzip"], { maxRatio: 100 });
    await iterator.next();
    await iterator.return?.();
    expect(returned).toBe(true);
    expect((await iterator.next()).done).toBe(true);
  });
});
