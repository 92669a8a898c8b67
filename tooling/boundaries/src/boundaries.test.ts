import { existsSync, readdirSync, readFileSync } from "node:fs";
import { isBuiltin } from "node:module";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { workspaceAliases } from "../../vitest/workspace-aliases.js";
import { checkDependencyDirection, type Manifest } from "./dependency-rules.js";
import { describeViolations, findViolations } from "./import-check.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../../..");
const fixtures = resolve(here, "../fixtures");
const aliases = workspaceAliases();

/** The packages DESIGN.md says run in browsers, Deno, Bun and edge workers. */
const PORTABLE = ["@nq/models", "@nq/cookies", "@nq/auth", "@nq/retry"];

const CONCRETE_TRANSPORT = /^(@nq\/transport-|undici(\/|$))/;

function packageDir(name: string): string {
  const entry = aliases[name];
  if (!entry) throw new Error(`${name} is not a workspace package with a src/index.ts`);
  return dirname(dirname(entry));
}

/** Every non-test TypeScript source of a package: files index.ts does not reach are checked too. */
function sourceFiles(name: string): string[] {
  const src = join(packageDir(name), "src");
  return readdirSync(src, { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".ts") && !file.endsWith(".d.ts") && !/\.test\.ts$/.test(file))
    .map((file) => join(src, file));
}

function manifests(): Manifest[] {
  const dir = join(root, "packages");
  return readdirSync(dir)
    .map((entry) => join(dir, entry, "package.json"))
    .filter((file) => existsSync(file))
    .map((file) => JSON.parse(readFileSync(file, "utf8")) as Manifest);
}

describe("packages that must run without Node", () => {
  it.each(PORTABLE)("%s imports no Node builtin, directly or through its dependencies", async (name) => {
    const files = sourceFiles(name);
    expect(files.length).toBeGreaterThan(0);
    const violations = await findViolations(files, { aliases });
    expect(violations, describeViolations(violations)).toEqual([]);
  });
});

describe("@nq/session", () => {
  it("imports no concrete transport and no Node builtin, so it runs on edge runtimes", async () => {
    const violations = await findViolations(sourceFiles("@nq/session"), {
      aliases,
      forbid: (specifier) =>
        CONCRETE_TRANSPORT.test(specifier)
          ? "concrete transport: the session knows only the Transport interface"
          : null,
    });
    expect(violations, describeViolations(violations)).toEqual([]);
  });
});

// A transport importing another one would tie their releases together; what they share lives in
// @nq/transport-node. npm packages (undici) are left out of the bundle: only workspace imports count.
const OTHER_TRANSPORT = /^@nq\/transport-(?!node$)/;
const ANOTHER_TRANSPORT = "another transport: shared code belongs in @nq/transport-node";

function transportImports(specifier: string): string | null {
  if (OTHER_TRANSPORT.test(specifier)) return ANOTHER_TRANSPORT;
  const local = specifier.startsWith(".") || isAbsolute(specifier) || specifier.startsWith("@nq/");
  if (!local && !isBuiltin(specifier)) return "npm";
  return null;
}

describe("the Node transports", () => {
  it.each(["@nq/transport-node", "@nq/transport-h1", "@nq/transport-h2", "@nq/transport-router"])(
    "%s imports no other transport, directly or through @nq/transport-node",
    async (name) => {
      const files = sourceFiles(name);
      expect(files.length).toBeGreaterThan(0);
      const violations = (await findViolations(files, { aliases, forbid: transportImports })).filter(
        (v) => v.reason === ANOTHER_TRANSPORT,
      );
      expect(violations, describeViolations(violations)).toEqual([]);
    },
  );
});

describe("dependency direction of DESIGN.md", () => {
  it("holds for every workspace package's dependencies and peerDependencies", () => {
    const all = manifests();
    expect(all.map((m) => m.name)).toEqual(expect.arrayContaining([...PORTABLE, "@nq/session", "niquests"]));
    expect(checkDependencyDirection(all)).toEqual([]);
  });
});

describe("the checker itself", () => {
  it("rejects a direct node: import", async () => {
    const violations = await findViolations([join(fixtures, "uses-node-fs.ts")]);
    expect(violations).toEqual([
      expect.objectContaining({ specifier: "node:fs", importer: expect.stringMatching(/uses-node-fs\.ts$/) }),
    ]);
  });

  it("rejects a bare builtin reached through another module", async () => {
    const violations = await findViolations([join(fixtures, "uses-bare-builtin.ts")]);
    expect(violations).toEqual([
      expect.objectContaining({ specifier: "zlib", importer: expect.stringMatching(/deep\/inflate\.ts$/) }),
    ]);
  });

  it("rejects forbidden packages, workspace or npm", async () => {
    const violations = await findViolations([join(fixtures, "imports-transport.ts")], {
      aliases,
      forbid: (specifier) => (CONCRETE_TRANSPORT.test(specifier) ? "concrete transport" : null),
    });
    expect(violations.map((v) => v.specifier).sort()).toEqual(["@nq/transport-h1", "undici"]);
  });

  it("accepts a module that keeps to web APIs", async () => {
    expect(await findViolations([join(fixtures, "portable.ts")])).toEqual([]);
  });

  it("lets the transports and the router build on @nq/transport-node, and it on @nq/models only", () => {
    const violations = checkDependencyDirection([
      { name: "@nq/models" },
      {
        name: "@nq/transport-node",
        dependencies: { "@nq/models": "workspace:^", "@nq/transport-h1": "workspace:^" },
      },
      {
        name: "@nq/transport-h1",
        dependencies: { "@nq/models": "workspace:^", "@nq/transport-node": "workspace:^" },
      },
      {
        name: "@nq/transport-h2",
        dependencies: { "@nq/transport-node": "workspace:^", "@nq/transport-h1": "workspace:^" },
      },
      {
        name: "@nq/transport-router",
        dependencies: { "@nq/transport-node": "workspace:^", "@nq/transport-h1": "workspace:^" },
        peerDependencies: { "@nq/transport-h2": "workspace:^" },
      },
    ]);
    expect(violations.map((v) => [v.from, v.to])).toEqual([
      ["@nq/transport-node", "@nq/transport-h1"],
      ["@nq/transport-h2", "@nq/transport-h1"],
      ["@nq/transport-router", "@nq/transport-h1"],
      ["@nq/transport-router", "@nq/transport-h2"],
    ]);
  });

  it("rejects a dependency against the direction, and a package with no rule", () => {
    const violations = checkDependencyDirection([
      { name: "@nq/models", dependencies: { "@nq/session": "workspace:^" } },
      {
        name: "@nq/session",
        dependencies: { "@nq/models": "workspace:^", "@nq/transport-h1": "workspace:^" },
      },
      { name: "@nq/auth", peerDependencies: { "@nq/cookies": "workspace:^" } },
      { name: "@nq/transport-h1", dependencies: { "@nq/models": "workspace:^", undici: "^7" } },
      { name: "@nq/cookies", dependencies: {} },
      { name: "@nq/mystery" },
    ]);
    expect(violations.map((v) => [v.from, v.to])).toEqual([
      ["@nq/models", "@nq/session"],
      ["@nq/session", "@nq/transport-h1"],
      ["@nq/auth", "@nq/cookies"],
      ["@nq/mystery", null],
    ]);
  });
});
