import { describeTransportConformance } from "@nq/testkit";
import { HTTP1Transport } from "./index.js";

describeTransportConformance("@nq/transport-h1", () => new HTTP1Transport(), { tls: true });
