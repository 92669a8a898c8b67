import { describeTransportConformance } from "@nq/testkit";
import { HTTP1Transport } from "@nq/transport-h1";
import { HTTP2Transport } from "@nq/transport-h2";
import { ProtocolRouter } from "./index.js";

// Cleartext cases go to HTTP/1.1; TLS cases negotiate http/1.1 against the HTTPS/1.1 fixtures
// and h2 against the HTTP/2 ones.
describeTransportConformance(
  "@nq/transport-router",
  () =>
    new ProtocolRouter({
      http1: (connect) => new HTTP1Transport({ connect }),
      http2: (connect) => new HTTP2Transport({ connect }),
    }),
  { protocols: ["http/1.1", "h2"], tls: true },
);

// HTTP/1.1 off: http:// URLs speak h2c with prior knowledge.
describeTransportConformance(
  "@nq/transport-router (HTTP/1.1 disabled)",
  () =>
    new ProtocolRouter({
      http1: (connect) => new HTTP1Transport({ connect }),
      http2: (connect) => new HTTP2Transport({ connect, h2c: true }),
      protocols: ["h2"],
    }),
  { protocols: ["h2"] },
);
