import { packageTestConfig } from "../vitest/config.js";

// The interop suite: real servers from Debian packages, so it never runs under `pnpm test`
// (the unit tests of this package use vitest.unit.config.ts).
export default packageTestConfig({
  include: ["src/**/*.interop.test.ts"],
  exclude: ["**/node_modules/**", "**/dist/**"],
  globalSetup: ["./src/global-setup.ts"],
  // /delay and the oracle's batch (one Python process per file) take seconds, not milliseconds.
  testTimeout: 60_000,
  hookTimeout: 60_000,
});
