import { describeTransportConformance } from "@nq/testkit";
import { HTTP2Transport } from "./index.js";

describeTransportConformance("@nq/transport-h2", () => new HTTP2Transport(), {
  protocols: ["h2"],
  tls: true,
});
describeTransportConformance("@nq/transport-h2 (h2c)", () => new HTTP2Transport({ h2c: true }), {
  protocols: ["h2"],
});
