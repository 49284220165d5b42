/**
 * The edge's transport port: an HTTP handler and one WebSocket route over uWebSockets.js (native
 * builds only) or node:http + ws, chosen by `loadTransport`.
 */
export { loadTransport, TRANSPORT_ENV, type TransportFactory } from "./transport.load.ts";
export { isNativeUws } from "./uws.transport.ts";
export {
  BODY_TOO_LARGE,
  type HttpHandler,
  type HttpReply,
  type RequestFacts,
  type SendStatus,
  type SocketHandlers,
  type TlsFiles,
  type Transport,
  type TransportName,
  type TransportOptions,
  type TransportRequest,
  type TransportSocket,
  type UpgradeDecision,
  type WsRouteSpec,
} from "./transport.types.ts";
export { canonicalAddress, noTrustedProxies, parseTrustedProxies, type TrustedProxies } from "./trusted.proxies.ts";
export { forwardedFacts, type ForwardedFacts } from "./forwarded.ts";
