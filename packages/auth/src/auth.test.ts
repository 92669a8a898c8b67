import { PreparedRequest } from "@nq/models";
import { describe, expect, it } from "vitest";
import { AuthBase, BearerTokenAuth, basicAuthHeader, HTTPBasicAuth, toAuthenticator } from "./index.js";

function request(): PreparedRequest {
  return new PreparedRequest().prepare({ method: "GET", url: "http://example.com/" });
}

async function runFlow(auth: ReturnType<typeof toAuthenticator>): Promise<PreparedRequest> {
  const flow = auth!.authFlow(request());
  const step = await flow.next();
  return step.value as PreparedRequest;
}

describe("Basic", () => {
  it("encodes credentials as UTF-8, as niquests 3 does", () => {
    expect(basicAuthHeader("имя", "пароль")).toBe("Basic 0LjQvNGPOtC/0LDRgNC+0LvRjA==");
    expect(basicAuthHeader("user", "pass")).toBe("Basic dXNlcjpwYXNz");
  });

  it("sets Authorization from a [user, password] tuple", async () => {
    const sent = await runFlow(toAuthenticator(["user", "pass"]));
    expect(sent.headers.get("authorization")).toBe("Basic dXNlcjpwYXNz");
    expect(toAuthenticator(["u", "p"])).toBeInstanceOf(HTTPBasicAuth);
  });
});

describe("Bearer", () => {
  it("prefixes a bare token and sends a token with a scheme verbatim", async () => {
    expect((await runFlow(toAuthenticator("abc"))).headers.get("authorization")).toBe("Bearer abc");
    expect((await runFlow(toAuthenticator("Token abc"))).headers.get("authorization")).toBe("Token abc");
    expect(toAuthenticator("abc")).toBeInstanceOf(BearerTokenAuth);
  });
});

describe("custom schemes", () => {
  it("runs a function on the request", async () => {
    const sent = await runFlow(
      toAuthenticator((r) => {
        r.headers.set("X-Signature", "s");
      }),
    );
    expect(sent.headers.get("x-signature")).toBe("s");
  });

  it("runs an AuthBase subclass's apply, sync or async", async () => {
    class Signed extends AuthBase {
      override async apply(r: PreparedRequest): Promise<PreparedRequest> {
        r.headers.set("X-Signed", "yes");
        return r;
      }
    }
    expect((await runFlow(toAuthenticator(new Signed()))).headers.get("x-signed")).toBe("yes");
  });

  it("refuses what is not an auth", () => {
    expect(() => toAuthenticator(["only-user"] as unknown as [string, string])).toThrow(TypeError);
    expect(() => toAuthenticator(42 as unknown as string)).toThrow(TypeError);
    expect(toAuthenticator(null)).toBeUndefined();
  });
});
