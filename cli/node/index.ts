/**
 * The door of `cli/node/`: the node agent that runs on a paired machine (identity, pairing client,
 * agent runtime, telemetry, context watcher, OS service) — assembled by `cli/commands/node.agent.ts`.
 */
export { nodePaths, type NodePaths } from "./node.paths.ts";
export { loadIdentity, loadOrCreateIdentity, newNodeId, nodeFingerprint, signText, verifyText, type NodeIdentity } from "./identity.ts";
export { NodeConfig, readNodeConfig, writeNodeConfig, writeJsonFile, removeFile } from "./node.config.ts";
export { backoffDelay, baseDelay, jittered, RECONNECT_BACKOFF, AUTH_FAILURE_DELAY_MS, type BackoffPolicy } from "./backoff.ts";
export { createTelemetrySampler, detectRuntimes, ollamaModels, presentApiKeys, parseVersion, PROVIDER_KEY_NAMES } from "./telemetry.ts";
export { readNodeContext, sameContext, AGENTS_MD_MAX_BYTES, MAX_SKILLS } from "./context.read.ts";
export { watchNodeContext, type ContextWatcher, type ContextWatcherOptions } from "./context.watch.ts";
export { confineCwd, effectiveTimeoutMs, forwardedEnv, runNodeExec, MAX_OUTPUT_BYTES, type NodeExecContext } from "./exec.runner.ts";
export { createExecHandler, type ExecHandler, type ExecHandlerOptions } from "./agent.exec.ts";
export { startNodeAgent, type NodeAgent, type NodeAgentOptions } from "./agent.ts";
export { createNodeLogger, type NodeLogger, type LogLevel } from "./node.log.ts";
export { readAgentStatus, writeAgentStatus, processAlive, type AgentStatus } from "./status.file.ts";
export {
  normalizeGatewayUrl,
  natsUrlFor,
  sendPairingRequest,
  pollPairingStatus,
  pairingAdvice,
  type PairingClientOptions,
  type FetchLike,
} from "./pairing.client.ts";
export { fetchPinnedCertificate } from "./tls.refresh.ts";
export { renderSystemdUnit, renderLaunchdPlist, servicePath, SYSTEMD_UNIT_NAME, LAUNCHD_LABEL, type ServiceSpec } from "./service.files.ts";
export { installService, removeService, serviceState, type ServiceEnv, type ServiceOutcome, type ServiceState } from "./service.install.ts";
