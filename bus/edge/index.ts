/**
 * The HTTP + WebSocket edge: serves ui/dist, /health, /metrics and the WS protocol, and bridges it
 * to NATS commands, queries and live streams. It imports neither actors nor projections.
 */
export { startEdge, type Edge, type EdgeOptions } from "./edge.server.ts";
export { CLOSE_SLOW_CONSUMER } from "./ws.route.ts";
export { CLOSE_UNAUTHORIZED } from "./ws.connection.ts";
export {
  isNativeUws,
  loadTransport,
  parseTrustedProxies,
  TRANSPORT_ENV,
  type TlsFiles,
  type TransportName,
} from "./transport/index.ts";
export {
  CA_PAGE_PATH,
  CA_PEM_PATH,
  certificateCovers,
  localCaPaths,
  resolveEdgeTls,
  startRedirectServer,
  type EdgeTls,
  type EdgeTlsSettings,
  type RedirectServer,
} from "./tls/index.ts";
export { isLoopbackHost } from "./auth.ts";
