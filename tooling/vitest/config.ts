import { defineConfig, type ViteUserConfig } from "vitest/config";
import { workspaceAliases } from "./workspace-aliases.js";

/** The vitest settings every package shares: sources aliased, unit and integration tests, no watch. */
export function packageTestConfig(overrides: ViteUserConfig["test"] = {}): ViteUserConfig {
  return defineConfig({
    resolve: {
      alias: Object.entries(workspaceAliases()).map(([find, replacement]) => ({
        find: new RegExp(`^${find.replace(/[/\\^$*+?.()|[\]{}]/g, "\\$&")}$`),
        replacement,
      })),
    },
    test: {
      include: ["src/**/*.test.ts", "test/**/*.test.ts"],
      exclude: ["**/*.interop.test.ts", "**/node_modules/**", "**/dist/**"],
      testTimeout: 20_000,
      hookTimeout: 20_000,
      ...overrides,
    },
  });
}
