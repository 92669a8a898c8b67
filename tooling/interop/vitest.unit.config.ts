import { packageTestConfig } from "../vitest/config.js";

// Fast unit tests of the harness itself (normalisation, diff): no server, no Python.
export default packageTestConfig();
