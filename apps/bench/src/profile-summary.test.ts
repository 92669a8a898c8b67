import { describe, expect, it } from "vitest";
import { summarize } from "./profile-summary.js";

const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0, columnNumber: 0 });

describe("summarize", () => {
  // root → get (nq session) → cookieHeader (nq cookies) → getCookieStringSync (tough-cookie)
  const profile = {
    nodes: [
      { id: 1, callFrame: frame("(root)", ""), children: [2, 5] },
      { id: 2, callFrame: frame("get", "file:///repo/packages/session/dist/session.js"), children: [3] },
      { id: 3, callFrame: frame("cookieHeader", "file:///repo/packages/cookies/dist/jar.js"), children: [4] },
      {
        id: 4,
        callFrame: frame(
          "getCookieStringSync",
          "file:///repo/node_modules/.pnpm/x/node_modules/tough-cookie/a.js",
        ),
      },
      { id: 5, callFrame: frame("(garbage collector)", "") },
    ],
    samples: [2, 3, 4, 4, 5],
    timeDeltas: [1000, 1000, 1000, 1000, 1000],
  };

  it("charges self time to the owner of the frame on top", () => {
    const summary = summarize(profile, 10);
    expect(summary.totalMs).toBe(5);
    expect(summary.byOwner).toEqual([
      { owner: "tough-cookie", ms: 2 },
      { owner: "nq: session", ms: 1 },
      { owner: "nq: cookies", ms: 1 },
      { owner: "(garbage collector)", ms: 1 },
    ]);
    expect(summary.nqSelf.map((entry) => entry.owner)).toEqual(["nq: session", "nq: cookies"]);
  });

  it("counts what nq frames called in their inclusive time", () => {
    const summary = summarize(profile, 10);
    expect(summary.nqInclusive.map((entry) => [entry.owner, entry.ms])).toEqual([
      ["nq: session", 4],
      ["nq: cookies", 3],
    ]);
  });
});
