import { describe, expect, it } from "vitest";
import { diff } from "./diff.js";
import { MASKED, normalise, normaliseEcho } from "./normalise.js";
import type { Observation, ResponseObservation } from "./observation.js";

function observation(response: Partial<ResponseObservation>): Observation {
  return {
    id: "x",
    error: null,
    response: {
      statusCode: 200,
      reason: "OK",
      ok: true,
      url: "http://127.0.0.1/get",
      isRedirect: false,
      isPermanentRedirect: false,
      history: [],
      next: null,
      headers: [],
      encoding: "utf-8",
      httpVersion: 11,
      links: {},
      request: { method: "GET", url: "http://127.0.0.1/get" },
      body: { length: 2, sha256: "00", text: "{}", json: { value: {} }, lines: null, chunkLengths: null },
      raised: null,
      ...response,
    },
  };
}

describe("normaliseEcho", () => {
  it("masks the client's own headers but keeps their presence", () => {
    const echo = normaliseEcho({
      headers: {
        "User-Agent": "python-requests/2.28.1",
        "Accept-Encoding": "gzip",
        Connection: "keep-alive",
        Accept: "*/*",
      },
      origin: "127.0.0.1",
    });
    expect(echo).toEqual({
      headers: { "User-Agent": MASKED.userAgent, "Accept-Encoding": MASKED.acceptEncoding, Accept: "*/*" },
      origin: "127.0.0.1",
    });
  });

  it("masks the multipart boundary and the length that follows from it, nothing else", () => {
    const echo = normaliseEcho({
      headers: { "Content-Type": "multipart/form-data; boundary=1cbabd13", "Content-Length": "361" },
    });
    expect(echo.headers).toEqual({
      "Content-Type": `multipart/form-data; boundary=${MASKED.boundary}`,
      "Content-Length": MASKED.multipartLength,
    });
    const form = normaliseEcho({
      headers: { "Content-Type": "application/x-www-form-urlencoded", "Content-Length": "7" },
    });
    expect(form.headers).toEqual({
      "Content-Type": "application/x-www-form-urlencoded",
      "Content-Length": "7",
    });
  });
});

describe("normaliseEcho of a JSON body", () => {
  const echo = (data: string, length: string) =>
    normaliseEcho({
      data,
      json: { a: "é" },
      headers: { "Content-Type": "application/json", "Content-Length": length },
    });

  it("masks the JSON text and a Content-Length that agrees with it", () => {
    const python = echo('{"a": "\\u00e9"}', "15");
    const node = echo('{"a":"é"}', "10");
    expect(node).toEqual(python);
    expect(node.data).toBe(MASKED.jsonText);
    expect((node.headers as Record<string, unknown>)["Content-Length"]).toBe(MASKED.jsonLength);
  });

  it("leaves a Content-Length that disagrees with the bytes sent", () => {
    expect((echo('{"a":"é"}', "9").headers as Record<string, unknown>)["Content-Length"]).toBe("9");
  });
});

describe("normalise", () => {
  it("compares an echo body as masked JSON and masks the response Content-Length", () => {
    const python = observation({
      headers: [
        ["date", "Wed, 25 Nov 2026 13:33:19 GMT"],
        ["content-length", "261"],
      ],
      body: {
        length: 261,
        sha256: "aa",
        text: "…",
        json: { value: { headers: { "User-Agent": "python-requests/2.28.1" } } },
        lines: null,
        chunkLengths: null,
      },
    });
    const node = observation({
      headers: [
        ["date", "Wed, 25 Nov 2026 13:33:20 GMT"],
        ["content-length", "250"],
      ],
      body: {
        length: 250,
        sha256: "bb",
        text: "…!",
        json: { value: { headers: { "User-Agent": "niquests/0.1.0" } } },
        lines: null,
        chunkLengths: null,
      },
    });
    expect(diff(normalise(node), normalise(python))).toEqual([]);
  });

  it("keeps every difference it does not know to be legitimate", () => {
    const python = observation({
      body: { length: 3, sha256: "aa", text: "abc", json: null, lines: null, chunkLengths: null },
    });
    const node = observation({
      body: { length: 3, sha256: "bb", text: "abd", json: null, lines: null, chunkLengths: null },
    });
    expect(diff(normalise(node), normalise(python))).toEqual([
      '$.response.body.sha256: nq "bb" ≠ requests "aa"',
      '$.response.body.text: nq "abd" ≠ requests "abc"',
    ]);
  });

  it("masks /stream/n echo lines and leaves other lines alone", () => {
    const line = (ua: string, id: number) => JSON.stringify({ headers: { "User-Agent": ua }, id });
    const python = observation({
      body: {
        length: null,
        sha256: null,
        text: null,
        json: null,
        lines: [line("py", 0), "plain"],
        chunkLengths: null,
      },
    });
    const node = observation({
      body: {
        length: null,
        sha256: null,
        text: null,
        json: null,
        lines: [line("nq", 0), "plain"],
        chunkLengths: null,
      },
    });
    expect(diff(normalise(node), normalise(python))).toEqual([]);
    const other = observation({
      body: {
        length: null,
        sha256: null,
        text: null,
        json: null,
        lines: [line("nq", 1), "plain!"],
        chunkLengths: null,
      },
    });
    expect(diff(normalise(other), normalise(python))).toHaveLength(2);
  });

  it("compares error classes, and messages only for HTTPError", () => {
    const error = (type: string, message: string): Observation => ({
      id: "x",
      response: null,
      error: { type, message, responseStatus: null },
    });
    expect(
      diff(normalise(error("ReadTimeout", "undici")), normalise(error("ReadTimeout", "urllib3"))),
    ).toEqual([]);
    expect(diff(normalise(error("HTTPError", "404 a")), normalise(error("HTTPError", "404 b")))).toHaveLength(
      1,
    );
    expect(diff(normalise(error("Timeout", "x")), normalise(error("ReadTimeout", "x")))).toEqual([
      '$.error.type: nq "Timeout" ≠ requests "ReadTimeout"',
    ]);
  });

  it("lower-cases the encoding label", () => {
    expect(normalise(observation({ encoding: "UTF-8" })).response?.encoding).toBe("utf-8");
  });

  it("masks httpbin's random Digest nonce and opaque, and its last_nonce cookie, nothing else", () => {
    const challenge = (nonce: string) =>
      observation({
        statusCode: 401,
        headers: [
          [
            "www-authenticate",
            `Digest realm="r", nonce="${nonce}", qop="auth", opaque="${nonce}o", algorithm=MD5`,
          ],
          ["set-cookie", `stale_after=never; Path=/, last_nonce=${nonce}; Path=/`],
        ],
        cookies: { last_nonce: nonce, fake: "fake_value" },
        historyCookies: [{ last_nonce: nonce }],
      });
    expect(diff(normalise(challenge("abc123")), normalise(challenge("def456")))).toEqual([]);
    const masked = normalise(challenge("abc123")).response;
    expect(masked?.headers[0]?.[1]).toBe(
      `Digest realm="r", nonce="${MASKED.digestNonce}", qop="auth", opaque="${MASKED.digestNonce}", algorithm=MD5`,
    );
    expect(masked?.cookies).toEqual({ last_nonce: MASKED.digestNonce, fake: "fake_value" });
    const realm = observation({ headers: [["www-authenticate", 'Digest realm="a"']] });
    const otherRealm = observation({ headers: [["www-authenticate", 'Digest realm="b"']] });
    expect(diff(normalise(realm), normalise(otherRealm))).toHaveLength(1);
  });

  it("normalises a session's earlier calls like the call itself, and keeps its cookies", () => {
    const withSession = (userAgent: string): Observation => ({
      ...observation({}),
      session: {
        cookies: { a: "1" },
        before: [observation({ body: echoBody(userAgent) })],
      },
    });
    expect(diff(normalise(withSession("nq/1")), normalise(withSession("python-requests/2")))).toEqual([]);
    const other: Observation = { ...withSession("nq/1"), session: { cookies: { a: "2" }, before: [] } };
    expect(diff(normalise(withSession("nq/1")), normalise(other))).toEqual([
      '$.session.cookies.a: nq "1" ≠ requests "2"',
      "$.session.before.length: nq 1 ≠ requests 0",
    ]);
  });
});

describe("normalise with crossProtocol (nq over h2, Requests over HTTP/1.1)", () => {
  const overH2 = observation({
    httpVersion: 20,
    reason: "I'm a Teapot",
    statusCode: 418,
    ok: false,
    headers: [
      ["content-type", "text/plain"],
      ["server", "hypercorn-h2"],
      ["content-length", "2"],
    ],
    raised: {
      type: "HTTPError",
      message: "418 Client Error: I'm a Teapot for url: https://127.0.0.1/x",
      responseStatus: 418,
    },
  });
  const overH1 = observation({
    httpVersion: 11,
    reason: "I'm a teapot",
    statusCode: 418,
    ok: false,
    headers: [
      ["content-length", "2"],
      ["content-type", "text/plain"],
      ["server", "hypercorn-h11"],
      ["transfer-encoding", "chunked"],
      ["connection", "keep-alive"],
    ],
    raised: {
      type: "HTTPError",
      message: "418 Client Error: I'm a teapot for url: https://127.0.0.1/x",
      responseStatus: 418,
    },
  });

  it("masks the version, the reason phrase, connection fields, field order and hypercorn's Server", () => {
    const options = { crossProtocol: true };
    expect(diff(normalise(overH2, options), normalise(overH1, options))).toEqual([]);
    expect(normalise(overH2, options).response).toMatchObject({
      httpVersion: MASKED.httpVersion,
      reason: MASKED.reason,
      raised: { message: `418 Client Error: ${MASKED.reason} for url: https://127.0.0.1/x` },
      headers: [
        ["content-length", "2"],
        ["content-type", "text/plain"],
        ["server", MASKED.hypercornServer],
      ],
    });
  });

  it("masks none of it otherwise", () => {
    expect(diff(normalise(overH2), normalise(overH1))).toEqual(
      expect.arrayContaining([
        '$.response.reason: nq "I\'m a Teapot" ≠ requests "I\'m a teapot"',
        "$.response.httpVersion: nq 20 ≠ requests 11",
        "$.response.headers.length: nq 3 ≠ requests 5",
      ]),
    );
  });

  it("still compares the URL in an HTTPError message", () => {
    const options = { crossProtocol: true };
    const elsewhere = observation({
      ...overH1.response!,
      raised: {
        type: "HTTPError",
        message: "418 Client Error: x for url: https://127.0.0.1/y",
        responseStatus: 418,
      },
    });
    expect(diff(normalise(overH2, options), normalise(elsewhere, options))).toEqual([
      `$.response.raised.message: nq "418 Client Error: ${MASKED.reason} for url: https://127.0.0.1/x" ≠ requests "418 Client Error: ${MASKED.reason} for url: https://127.0.0.1/y"`,
    ]);
  });

  it("applies to the session's earlier calls too", () => {
    const withBefore = (step: Observation): Observation => ({
      ...step,
      session: { cookies: {}, before: [{ ...step, id: "x before[0]" }] },
    });
    const options = { crossProtocol: true };
    expect(diff(normalise(withBefore(overH2), options), normalise(withBefore(overH1), options))).toEqual([]);
  });
});

function echoBody(userAgent: string): ResponseObservation["body"] {
  return {
    length: 1,
    sha256: userAgent,
    text: userAgent,
    json: { value: { headers: { "User-Agent": userAgent } } },
    lines: null,
    chunkLengths: null,
  };
}

describe("diff", () => {
  it("reports absent keys, array lengths and leaf differences with their path", () => {
    expect(diff({ a: [1, 2], b: "x", "c-d": 1 }, { a: [1], c: 2, "c-d": 2 })).toEqual([
      "$.a.length: nq 2 ≠ requests 1",
      '$.b: nq "x" ≠ requests <absent>',
      '$["c-d"]: nq 1 ≠ requests 2',
      "$.c: nq <absent> ≠ requests 2",
    ]);
  });
});
