/**
 * TLS on the edge: the certificate it serves (the user's, or one from cairn's local CA) and the
 * plain-HTTP port that hands out the CA and redirects to HTTPS.
 */
export { resolveEdgeTls, edgeCertificateHosts, type EdgeTls, type EdgeTlsSettings } from "./edge.tls.ts";
export { ensureLocalCa, localCaPaths, type LocalCaTls } from "./local.ca.ts";
export {
  CA_DER_PATH,
  CA_PAGE_PATH,
  CA_PEM_PATH,
  certificateCovers,
  httpsOrigin,
  redirectReply,
  startRedirectServer,
  type RedirectServer,
  type RedirectTarget,
} from "./redirect.server.ts";
