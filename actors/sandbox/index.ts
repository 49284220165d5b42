/**
 * Sandboxes for the `exec` tool: one interface and three backends, strongest first: `docker`
 * (a container per session through the Docker/Podman socket: no network, read-only root,
 * container cgroup limits), `bubblewrap` (Linux namespaces, no network by default, read-only
 * system, writable workspace, cgroup/rlimit limits) and `none` (host execution, loudly flagged).
 * `createSandbox` is synchronous; `detectSandboxBackends` resolves `auto` (async, once at startup).
 */
export type {
  ExecRequest,
  ExecResult,
  Sandbox,
  SandboxBackendName,
  SandboxDescription,
  SandboxOptions,
} from "./sandbox.ts";
export { NO_SANDBOX_WARNING } from "./sandbox.ts";
export type { SandboxChoice, SandboxSettings } from "./sandbox.options.ts";
export { createSandbox, describeSandbox } from "./sandbox.factory.ts";
export { detectSandboxBackends, type DetectOptions, type DetectedBackends } from "./sandbox.detect.ts";
export { classifyEnvName, filterEnv, type EnvVerdict, type FilteredEnv } from "./env.filter.ts";
export { probeBubblewrap, type BwrapProbe } from "./bubblewrap.probe.ts";
export { reapSandboxContainers, type ReapOptions } from "./docker.container.ts";
export { buildSandboxImage, type BuildImageOptions } from "./docker.image.ts";
export { resolveDockerSocket } from "./docker.socket.ts";
export { DEFAULT_SANDBOX_IMAGE, SANDBOX_LABEL } from "./docker.spec.ts";
export { runProcess } from "./process.runner.ts";
export { reapStaleCgroups } from "./cgroup.limits.ts";
export { DEFAULT_DISK_QUOTA_BYTES, diskQuotaError, workspaceUsage } from "./disk.quota.ts";
export { utf8Cut, utf8Prefix } from "./utf8.cut.ts";
export {
  at,
  createFileAt,
  lstatAt,
  notAFile,
  openDirAt,
  openDirPath,
  openFileAt,
  openFileRelative,
  openParent,
  openRoot,
  replaceFileAt,
  splitRelative,
  unlinkAt,
  type ParentAndName,
} from "./workspace.open.ts";
export { observeSandbox, execOutcome } from "./sandbox.metrics.ts";
