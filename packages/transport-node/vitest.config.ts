import { packageTestConfig } from "../../tooling/vitest/config.js";

export default packageTestConfig();
