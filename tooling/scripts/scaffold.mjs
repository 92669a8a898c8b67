// One-off scaffolding of the workspace packages (kept for adding packages later: node tooling/scripts/scaffold.mjs).
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const packages = [
  { dir: "models", name: "@nq/models", env: "web", deps: [], desc: "Request, PreparedRequest, Response, Headers, errors, status codes, body encoding and the Transport interface of nq." },
  { dir: "cookies", name: "@nq/cookies", env: "web", deps: ["@nq/models"], ext: { "tough-cookie": "catalog:" }, desc: "RequestsCookieJar: the Requests cookie jar API on tough-cookie." },
  { dir: "auth", name: "@nq/auth", env: "web", deps: ["@nq/models"], desc: "Authentication for nq: Basic, Digest, Bearer, netrc and the AuthBase interface." },
  { dir: "retry", name: "@nq/retry", env: "web", deps: ["@nq/models"], desc: "RetryConfiguration and TimeoutConfiguration for nq: backoff, Retry-After, per-phase timeouts." },
  { dir: "transport-h1", name: "@nq/transport-h1", env: "node", deps: ["@nq/models"], ext: { undici: "catalog:" }, desc: "HTTP/1.1 transport for nq on undici: one pool per origin, streamed bodies, content decoding." },
  { dir: "transport-h2", name: "@nq/transport-h2", env: "node", deps: ["@nq/models"], desc: "HTTP/2 transport for nq on node:http2: one multiplexed session per origin." },
  { dir: "transport-h3-quic", name: "@nq/transport-h3-quic", env: "node", deps: ["@nq/models"], version: "0.0.0", desc: "HTTP/3 over QUIC v1 for nq, written in TypeScript on node:dgram and node:crypto (alpha)." },
  { dir: "session", name: "@nq/session", env: "web", deps: ["@nq/models", "@nq/cookies", "@nq/auth", "@nq/retry"], desc: "The nq Session: merging, redirects, auth, cookies, retries, hooks and transport routing." },
  { dir: "testkit", name: "@nq/testkit", env: "node", deps: ["@nq/models"], ext: { vitest: "catalog:" }, desc: "Conformance suite, MockTransport and fixture servers for nq transport authors." },
  { dir: "niquests", name: "niquests", env: "node", deps: ["@nq/models", "@nq/cookies", "@nq/auth", "@nq/retry", "@nq/session", "@nq/transport-h1"], desc: "Requests for Node.js: HTTP/1.1, HTTP/2 and HTTP/3 behind one Session, with cookies, auth, retries and hooks." },
];

const write = (path, text, { overwrite = false } = {}) => {
  if (existsSync(path) && !overwrite) return;
  writeFileSync(path, text);
};

for (const p of packages) {
  const root = join("packages", p.dir);
  mkdirSync(join(root, "src"), { recursive: true });
  mkdirSync(join(root, "etc"), { recursive: true });
  const dependencies = Object.fromEntries([...p.deps.map((d) => [d, "workspace:^"]), ...Object.entries(p.ext ?? {})]);
  const manifest = {
    name: p.name,
    version: p.version ?? "0.1.0",
    description: p.desc,
    license: "Apache-2.0",
    type: "module",
    sideEffects: false,
    exports: { ".": { types: "./dist/index.d.ts", default: "./dist/index.js" }, "./package.json": "./package.json" },
    types: "./dist/index.d.ts",
    files: ["dist", "README.md", "CHANGELOG.md"],
    engines: { node: ">=20.19" },
    scripts: {
      build: "tsc -b",
      typecheck: "tsc -p tsconfig.test.json",
      lint: "biome check src",
      test: "vitest run",
      api: "api-extractor run",
      "api:update": "api-extractor run --local",
    },
    dependencies,
    devDependencies: {
      "@biomejs/biome": "catalog:",
      "@microsoft/api-extractor": "catalog:",
      "@nq/tsconfig": "workspace:*",
      "@types/node": "catalog:",
      typescript: "catalog:",
      vitest: "catalog:",
    },
  };
  if (p.name === "@nq/transport-h3-quic") manifest.publishConfig = { tag: "alpha" };
  write(join(root, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  write(
    join(root, "tsconfig.json"),
    `${JSON.stringify(
      {
        extends: `../../tooling/tsconfig/${p.env}.json`,
        compilerOptions: { rootDir: "src", outDir: "dist", tsBuildInfoFile: "dist/.tsbuildinfo" },
        include: ["src"],
        exclude: ["src/**/*.test.ts"],
        references: p.deps.map((d) => ({ path: `../${packages.find((q) => q.name === d).dir}` })),
      },
      null,
      2,
    )}\n`,
  );
  write(
    join(root, "tsconfig.test.json"),
    `${JSON.stringify(
      {
        extends: "../../tooling/tsconfig/node.json",
        compilerOptions: { composite: false, noEmit: true },
        include: ["src", "test", "vitest.config.ts"],
      },
      null,
      2,
    )}\n`,
  );
  write(
    join(root, "api-extractor.json"),
    `${JSON.stringify({ extends: "../../tooling/api-extractor/base.json", projectFolder: "." }, null, 2)}\n`,
  );
  write(
    join(root, "vitest.config.ts"),
    `import { packageTestConfig } from "../../tooling/vitest/config.js";\n\nexport default packageTestConfig();\n`,
  );
  write(join(root, "CHANGELOG.md"), `# ${p.name}\n`);
  write(join(root, "README.md"), `# ${p.name}\n\n${p.desc}\n`);
  write(join(root, "src", "index.ts"), `export {};\n`);
}
