import { packageTestConfig } from "../vitest/config.js";

// Bundling every package with esbuild takes a few seconds on a cold cache.
export default packageTestConfig({ testTimeout: 60_000 });
