import { describeTransportConformance } from "../src/index.js";
import { NodeHttp2Transport } from "./node-http2-transport.js";

describeTransportConformance("node:http2 reference (TLS)", () => new NodeHttp2Transport(), {
  protocols: ["h2"],
  tls: true,
});
describeTransportConformance("node:http2 reference (h2c)", () => new NodeHttp2Transport(), {
  protocols: ["h2"],
});
