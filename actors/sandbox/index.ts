/**
 * Sandboxes for the `exec` tool: one interface, a `bubblewrap` backend (Linux namespaces, no
 * network by default, read-only system, writable workspace, cgroup/rlimit limits) and a `none`
 * backend (host execution, loudly flagged). Not wired into agent runs yet.
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
export { createSandbox, describeSandbox } from "./sandbox.factory.ts";
export { classifyEnvName, filterEnv, type EnvVerdict, type FilteredEnv } from "./env.filter.ts";
export { probeBubblewrap, type BwrapProbe } from "./bubblewrap.probe.ts";
