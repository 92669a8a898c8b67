/**
 * `@nq/transport-router`: protocol choice for nq. One TLS handshake offers ALPN `h2` and
 * `http/1.1`; the socket goes to the HTTP/2 or the HTTP/1.1 transport by what the server picked.
 *
 * @packageDocumentation
 */
export type {
  RoutedProtocol,
  RoutedTransportFactory,
  RouterConnectedSocket,
  RouterConnector,
  RouterConnectTarget,
} from "./connector.js";
export { ProtocolRouter, type ProtocolRouterOptions } from "./router.js";
