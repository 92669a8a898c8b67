import { describe, expect, it } from "vitest";
import { outgoingHeaders } from "./request-headers.js";

describe("outgoingHeaders", () => {
  it("returns the same array when nothing is dropped", () => {
    const flat = ["Accept", "*/*", "Host", "example.test", "Content-Length", "3", "X-Ten-Chars", "1"];
    const out = outgoingHeaders(flat);
    expect(out.headers).toBe(flat);
    expect(out.closeConnection).toBe(false);
  });

  it("drops the hop-by-hop fields undici manages, keeping order and case of the rest", () => {
    const out = outgoingHeaders([
      "A",
      "1",
      "Transfer-Encoding",
      "chunked",
      "B",
      "2",
      "KEEP-ALIVE",
      "timeout=5",
      "connection",
      "keep-alive",
      "Expect",
      "100-continue",
      "c",
      "3",
    ]);
    expect(out.headers).toEqual(["A", "1", "B", "2", "c", "3"]);
    expect(out.closeConnection).toBe(false);
  });

  it("turns Connection: close into closeConnection", () => {
    expect(outgoingHeaders(["Connection", "Upgrade, Close"]).closeConnection).toBe(true);
    expect(outgoingHeaders(["Connection", "keep-alive"]).closeConnection).toBe(false);
  });
});
