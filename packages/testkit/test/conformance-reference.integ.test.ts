import { describeTransportConformance } from "../src/index.js";
import { NodeHttpTransport } from "./node-http-transport.js";

// The reference transport proves every case can be passed; it does not do content decoding of
// anything but gzip and has no 1xx support beyond what node:http offers.
describeTransportConformance("node:http reference", () => new NodeHttpTransport(), { tls: true });
