import { fileURLToPath } from "node:url";

/** apps/bench, where `niquests`, the peers and esbuild resolve from (this file runs from dist/). */
export const PACKAGE_ROOT = fileURLToPath(new URL("..", import.meta.url));
