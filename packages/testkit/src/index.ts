/**
 * The kit for anyone writing an nq transport: a conformance suite to run against it, a
 * MockTransport for testing code above the transport, loopback fixture servers and test
 * certificates made in-process.
 *
 * @packageDocumentation
 */

export {
  createTestPki,
  type IssueOptions,
  LOOPBACK_HOSTS,
  type TestCertificate,
  type TestCertificateAuthority,
  type TestKeyType,
  type TestPki,
  type TestPkiOptions,
} from "./certificates.js";
export {
  type ConformanceCaseId,
  type ConformanceOptions,
  conformanceCases,
  describeTransportConformance,
  type TransportFactory,
} from "./conformance.js";
export {
  type MockBody,
  type MockCall,
  type MockHandler,
  type MockResponse,
  MockTransport,
  readBody,
} from "./mock-transport.js";
export {
  type FixtureServer,
  type FixtureTlsOptions,
  type Http2Handler,
  type Http2ServerOptions,
  type HttpHandler,
  type HttpServerOptions,
  type HttpsServerOptions,
  readRequestHead,
  type SecureFixtureServer,
  startHttp2Server,
  startHttpServer,
  startHttpsServer,
  startRawServer,
  startStallingTlsServer,
} from "./servers.js";
export {
  type ImpairmentCounts,
  type ImpairmentDirection,
  type ImpairmentOptions,
  seededRandom,
  UdpImpairmentShim,
  type UdpImpairmentShimOptions,
} from "./udp-impairment-shim.js";
