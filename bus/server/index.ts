/**
 * The door of `bus/server/`: the embedded nats-server (operator/JWT mode, supervised child
 * process) and connecting to NATS with creds.
 */
export { startEmbeddedNats, type EmbeddedNats, type EmbeddedNatsOptions } from "./nats.supervisor.ts";
export { ensureNatsAuth, APP_ACCOUNT_NAME, SYSTEM_ACCOUNT_NAME, type NatsAuth } from "./nats.auth.ts";
export {
  mintUserJwt,
  formatCreds,
  writeCredsFile,
  userClaims,
  type MintUserOptions,
  type UserIssuer,
  type UserPermissions,
  type SubjectPermission,
} from "./nats.users.ts";
export { updateAppAccountClaims, revokeUser, currentAppAccountJwt } from "./nats.claims.ts";
export { writeServerConfig, renderServerConfig, type ServerConfigOptions } from "./nats.config.ts";
export {
  initNatsCluster,
  readClusterManifest,
  renderClusterServerConfig,
  clusterServer,
  CLUSTER_NAME,
  type ClusterServer,
  type NatsCluster,
  type NatsClusterOptions,
  type RouteAuth,
} from "./nats.cluster.ts";
export { natsClusterStatus, serverJetStreamStatus, type ClusterServerStatus } from "./nats.cluster.status.ts";
export {
  findNatsServerBinary,
  checkNatsServerVersion,
  parseNatsVersion,
  compareVersions,
  NATS_SERVER_FLOOR,
} from "./nats.binary.ts";
export { ensurePrivateDir, natsPaths, readTextIfExists, writeFileAtomic, type NatsPaths } from "./nats.files.ts";
export { findFreePort, findStablePort, clientUrl } from "./nats.ready.ts";
export { connectNats, type ConnectNatsOptions } from "./connect.ts";
export {
  ensureNatsTls,
  isLoopbackHost,
  natsTlsPaths,
  certificateHosts,
  pinnedTls,
  type NatsTls,
  type EnsureNatsTlsOptions,
} from "./nats.tls.ts";
export { selfSignedCert, type SelfSignedCert, type SelfSignedOptions } from "./nats.cert.ts";
export { nodeFingerprint, rawPublicKey, signText, verifyText } from "./node.identity.ts";
