import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import type { Environment } from "@nq/session";

/** The environment a Node process sees: `process.env`, files on disk, the user's home directory. */
export const nodeEnvironment: Environment = {
  get(name) {
    return process.env[name];
  },
  readFile(path) {
    try {
      return readFileSync(path, "utf8");
    } catch {
      return undefined;
    }
  },
  get home() {
    try {
      return homedir();
    } catch {
      return undefined;
    }
  },
};
