import type { TestProject } from "vitest/node";
import { startHttpbin } from "./servers/httpbin.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** Base URL of the httpbin that the global setup started, without a trailing slash. */
    httpbinUrl: string;
  }
}

/** Starts httpbin once for the whole interop run and hands its URL to the tests. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const httpbin = await startHttpbin();
  project.provide("httpbinUrl", httpbin.url);
  return () => httpbin.stop();
}
