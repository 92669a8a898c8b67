import { describe, expect, it } from "vitest";
import { originEndpoint } from "./origin-endpoint.js";

describe("originEndpoint", () => {
  it("takes the scheme's default port when the URL has none", () => {
    expect(originEndpoint(new URL("https://example.org"))).toEqual({
      hostname: "example.org",
      port: 443,
      servername: "example.org",
    });
    expect(originEndpoint(new URL("http://example.org")).port).toBe(80);
    expect(originEndpoint(new URL("https://example.org:8443")).port).toBe(8443);
  });

  it("sends no SNI to an IP literal, and strips an IPv6 literal's brackets", () => {
    expect(originEndpoint(new URL("https://127.0.0.1:4433"))).toEqual({
      hostname: "127.0.0.1",
      port: 4433,
      servername: undefined,
    });
    expect(originEndpoint(new URL("https://[::1]:4433"))).toEqual({
      hostname: "::1",
      port: 4433,
      servername: undefined,
    });
  });
});
