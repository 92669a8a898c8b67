import { Headers } from "@nq/models";
import { describe, expect, it } from "vitest";
import { PendingTrailers } from "./trailers.js";

describe("PendingTrailers", () => {
  it("resolves a promise taken before the trailers arrive", async () => {
    const trailers = new PendingTrailers();
    const promise = trailers.promise();
    const headers = new Headers({ "x-checksum": "abc" });
    trailers.settle(headers);
    await expect(promise).resolves.toBe(headers);
  });

  it("resolves a promise taken after, and hands out the same promise every time", async () => {
    const trailers = new PendingTrailers();
    trailers.settle(undefined);
    const promise = trailers.promise();
    expect(trailers.promise()).toBe(promise);
    await expect(promise).resolves.toBeUndefined();
  });

  it("keeps the first settlement: a failure after the end changes nothing", async () => {
    const trailers = new PendingTrailers();
    const headers = new Headers({ "grpc-status": "0" });
    trailers.settle(headers);
    trailers.settle(undefined);
    await expect(trailers.promise()).resolves.toBe(headers);
  });
});
