/**
 * The HTTP + WebSocket edge: serves ui/dist, /health, /metrics and the WS protocol, and bridges it
 * to NATS commands, queries and live streams. It imports neither actors nor projections.
 */
export { startEdge, type Edge, type EdgeOptions } from "./edge.server.ts";
export { CLOSE_SLOW_CONSUMER } from "./ws.route.ts";
export { CLOSE_UNAUTHORIZED } from "./ws.connection.ts";
export { isNativeUws, loadTransport, TRANSPORT_ENV, type TransportName } from "./transport/index.ts";
export { isLoopbackHost } from "./auth.ts";
