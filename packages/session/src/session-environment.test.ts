import { HTTPDigestAuth } from "@nq/auth";
import { RequestsCookieJar } from "@nq/cookies";
import type { AuthFlow, PreparedRequest, Response, SendOptions } from "@nq/models";
import { type MockResponse, MockTransport } from "@nq/testkit";
import { describe, expect, it } from "vitest";
import { type Environment, Session, type SessionOptions } from "./index.js";

/** An environment made of a variable table and a file table, for tests that must not see the host's. */
function fakeEnvironment(vars: Record<string, string> = {}, files: Record<string, string> = {}): Environment {
  return { get: (name) => vars[name], readFile: (path) => files[path], home: "/home/u" };
}

function sessionWith(
  handler: (request: PreparedRequest, options: SendOptions) => MockResponse | Promise<MockResponse>,
  options: SessionOptions = {},
) {
  const seen: { request: PreparedRequest; options: SendOptions; authorization: string | null }[] = [];
  const transport = new MockTransport((request, sendOptions) => {
    seen.push({ request, options: sendOptions, authorization: request.headers.get("authorization") });
    return handler(request, sendOptions);
  });
  return {
    session: new Session({ transports: [transport], environment: fakeEnvironment(), ...options }),
    seen,
  };
}

const ok = (): MockResponse => ({ status: 200 });

describe("trustEnv: CA bundles", () => {
  it("turns verify: true into REQUESTS_CA_BUNDLE, then CURL_CA_BUNDLE, then SSL_CERT_FILE", async () => {
    const cases: [Record<string, string>, string | boolean][] = [
      [{ REQUESTS_CA_BUNDLE: "/r.pem", CURL_CA_BUNDLE: "/c.pem", SSL_CERT_FILE: "/s.pem" }, "/r.pem"],
      [{ REQUESTS_CA_BUNDLE: "", CURL_CA_BUNDLE: "/c.pem", SSL_CERT_FILE: "/s.pem" }, "/c.pem"],
      [{ SSL_CERT_FILE: "/s.pem" }, "/s.pem"],
      [{}, true],
    ];
    for (const [vars, expected] of cases) {
      const { session, seen } = sessionWith(ok, { environment: fakeEnvironment(vars) });
      await session.get("https://h.test/");
      expect(seen[0]!.options.verify, JSON.stringify(vars)).toBe(expected);
    }
  });

  it("leaves an explicit verify alone, and ignores the environment without trustEnv", async () => {
    const environment = fakeEnvironment({ REQUESTS_CA_BUNDLE: "/r.pem" });
    const { session, seen } = sessionWith(ok, { environment });
    await session.get("https://h.test/", { verify: false });
    await session.get("https://h.test/", { verify: "/mine.pem" });
    session.verify = false;
    await session.get("https://h.test/");
    session.verify = true;
    session.trustEnv = false;
    await session.get("https://h.test/");
    expect(seen.map((s) => s.options.verify)).toEqual([false, "/mine.pem", false, true]);
  });
});

describe("trustEnv: proxies", () => {
  const environment = fakeEnvironment({
    http_proxy: "http://lower:3128",
    HTTP_PROXY: "http://upper:3128",
    HTTPS_PROXY: "http://secure:3128",
    NO_PROXY: "internal.test, 10.0.0.0/8, ::1, .corp.example:8080",
  });

  it("chooses the environment's proxy per scheme, lower case winning, and hands it to the transport", async () => {
    const { session, seen } = sessionWith(ok, { environment });
    await session.get("http://h.test/");
    await session.get("https://h.test/");
    expect(seen.map((s) => s.options.proxy)).toEqual(["http://lower:3128", "http://secure:3128"]);
    expect(session.mergeEnvironmentSettings("http://h.test/").proxy).toBe("http://lower:3128");
  });

  it.each([
    ["http://internal.test/", undefined],
    ["http://api.internal.test/", undefined],
    ["http://notinternal.test/", "http://lower:3128"],
    ["http://10.1.2.3/", undefined],
    ["http://11.1.2.3/", "http://lower:3128"],
    ["http://[::1]:8000/", undefined],
    ["http://a.corp.example:8080/", undefined],
    ["http://a.corp.example:9090/", "http://lower:3128"],
  ])("NO_PROXY decides %s → %s", (url, proxy) => {
    const { session } = sessionWith(ok, { environment });
    expect(session.mergeEnvironmentSettings(url).proxy).toBe(proxy);
  });

  it("prefers explicit proxies, scheme://host keys over scheme keys, and null removes a session entry", () => {
    const { session } = sessionWith(ok, {
      environment,
      proxies: { http: "http://session:1", "http://special.test": "http://special:1" },
    });
    expect(session.mergeEnvironmentSettings("http://h.test/").proxy).toBe("http://session:1");
    expect(session.mergeEnvironmentSettings("http://special.test/").proxy).toBe("http://special:1");
    expect(session.mergeEnvironmentSettings("http://h.test/", { proxies: { http: null } }).proxy).toBe(
      "http://lower:3128",
    );
    session.trustEnv = false;
    expect(session.mergeEnvironmentSettings("https://h.test/").proxy).toBeUndefined();
  });

  it("ignores HTTP_PROXY under CGI (httpoxy)", () => {
    const cgi = fakeEnvironment({ REQUEST_METHOD: "GET", HTTP_PROXY: "http://evil:1" });
    const { session } = sessionWith(ok, { environment: cgi });
    expect(session.mergeEnvironmentSettings("http://h.test/").proxy).toBeUndefined();
  });
});

describe("trustEnv: netrc", () => {
  const netrc = "machine h.test login alice password s3cret\nmachine other.test login bob password b0b\n";

  it("sends .netrc credentials when no auth and no Authorization header is given", async () => {
    const { session, seen } = sessionWith(ok, {
      environment: fakeEnvironment({}, { "/home/u/.netrc": netrc }),
    });
    await session.get("http://h.test/");
    await session.get("http://h.test/", { auth: ["x", "y"] });
    await session.get("http://h.test/", { headers: { Authorization: "Token t" } });
    await session.get("http://unknown.test/");
    expect(seen.map((s) => s.authorization)).toEqual([
      `Basic ${btoa("alice:s3cret")}`,
      `Basic ${btoa("x:y")}`,
      "Token t",
      null,
    ]);
  });

  it("reads the file NETRC names, and nothing without trustEnv", async () => {
    const environment = fakeEnvironment({ NETRC: "/etc/custom" }, { "/etc/custom": netrc });
    const { session, seen } = sessionWith(ok, { environment });
    await session.get("http://other.test/");
    session.trustEnv = false;
    await session.get("http://other.test/");
    expect(seen.map((s) => s.authorization)).toEqual([`Basic ${btoa("bob:b0b")}`, null]);
  });

  it("applies the new host's netrc entry after a cross-host redirect", async () => {
    const { session, seen } = sessionWith(
      (r) =>
        r.url.startsWith("http://h.test")
          ? { status: 302, headers: { Location: "http://other.test/" } }
          : ok(),
      { environment: fakeEnvironment({}, { "/home/u/.netrc": netrc }) },
    );
    await session.get("http://h.test/");
    expect(seen.map((s) => s.authorization)).toEqual([
      `Basic ${btoa("alice:s3cret")}`,
      `Basic ${btoa("bob:b0b")}`,
    ]);
  });
});

describe("auth flows", () => {
  /** Answers a 401 challenge once, as a Digest-like scheme would. */
  class ChallengeAuth {
    *authFlow(request: PreparedRequest): AuthFlow {
      const response: Response = yield request;
      if (response.statusCode !== 401) return;
      const answer = request.copy();
      answer.headers.set("Authorization", `Answer ${response.headers.get("x-challenge")}`);
      yield answer;
    }
  }

  const challenging = (request: PreparedRequest): MockResponse =>
    request.headers.get("authorization") === "Answer n1"
      ? { status: 200, body: "in" }
      : { status: 401, headers: { "X-Challenge": "n1", "Set-Cookie": "challenge=1; Path=/" } };

  it("drives a multi-step flow, sends the challenge's cookies with the answer, keeps the 401 in history", async () => {
    const { session, seen } = sessionWith(challenging, { auth: new ChallengeAuth() });
    const r = await session.get("http://h.test/private");
    expect(r.statusCode).toBe(200);
    expect(r.history.map((h) => h.statusCode)).toEqual([401]);
    expect(seen[1]!.request.headers.get("cookie")).toBe("challenge=1");
  });

  it("answers a challenge on a same-origin redirect hop, never on another host", async () => {
    const { session, seen } = sessionWith(
      (r) => {
        if (r.url.endsWith("/start")) return { status: 302, headers: { Location: "/private" } };
        if (r.url.endsWith("/away"))
          return { status: 302, headers: { Location: "http://other.test/private" } };
        return challenging(r);
      },
      { auth: new ChallengeAuth() },
    );
    expect((await session.get("http://h.test/start")).statusCode).toBe(200);
    const away = await session.get("http://h.test/away");
    expect(away.statusCode).toBe(401);
    expect(
      seen.filter((s) => s.request.url.startsWith("http://other.test")).map((s) => s.authorization),
    ).toEqual([null]);
  });

  it("runs HTTPDigestAuth through the session", async () => {
    const { session } = sessionWith(
      (r) =>
        r.headers.get("authorization")?.startsWith("Digest ")
          ? { status: 200 }
          : {
              status: 401,
              headers: { "WWW-Authenticate": 'Digest realm="r", nonce="abc", qop="auth", algorithm=SHA-256' },
            },
      {},
    );
    const r = await session.get("http://h.test/", { auth: new HTTPDigestAuth("u", "p") });
    expect(r.statusCode).toBe(200);
    expect(r.request.headers.get("authorization")).toMatch(/^Digest username="u", realm="r", nonce="abc"/);
  });
});

describe("hooks", () => {
  it("reports upload progress to onUpload and 1xx responses to earlyResponse", async () => {
    const progress: (number | null)[] = [];
    const early: number[] = [];
    const completed: boolean[] = [];
    // MockTransport reports the upload as it reads the body; the handler then sends a 103.
    const { session } = sessionWith(async (_request, options) => {
      options.onInformational?.(
        103,
        new (await import("@nq/models")).Headers({ Link: "</a.css>; rel=preload" }),
      );
      return ok();
    });
    await session.post("http://h.test/", {
      data: "abcdef",
      hooks: {
        onUpload: (r) => {
          progress.push(r.uploadProgress!.percentage);
          completed.push(r.uploadProgress!.isCompleted);
        },
        earlyResponse: (r) => void early.push(r.statusCode),
      },
    });
    expect(progress.at(-1)).toBe(100);
    expect(completed.at(-1)).toBe(true);
    expect(early).toEqual([103]);
  });
});

describe("per-request cookie jars", () => {
  it("accepts a RequestsCookieJar as the cookies option", async () => {
    const { session, seen } = sessionWith(ok);
    await session.get("http://h.test/", { cookies: new RequestsCookieJar({ a: "1" }) });
    expect(seen[0]!.request.headers.get("cookie")).toBe("a=1");
    expect(session.cookies.size).toBe(0);
  });
});
