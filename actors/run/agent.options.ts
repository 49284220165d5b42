import type { ApprovalMode } from "../approval/index.ts";
import type { SandboxChoice, SandboxSettings } from "../sandbox/index.ts";
import type { ToolRegistry } from "../tools/index.ts";
import type { WebFetchOptions } from "../tools/index.ts";

/** `ActorSystemOptions.agent.exec` (`[tools.exec]`): the exec tool is offered only when set. */
export interface ExecOptions {
  /** `approval_mode`, default "smart" (read-only commands from a safe list run directly). */
  readonly approvalMode?: ApprovalMode;
  /** Command patterns (`*`, `?`) that run without asking (except in "always" mode). */
  readonly allowlist?: readonly string[];
  /** `approval_timeout` in ms, default 30 min. */
  readonly approvalTimeoutMs?: number;
  /** `[tools.exec.sandbox] backend`, default "auto" (the strongest available). */
  readonly sandbox?: SandboxChoice;
  /** The rest of `[tools.exec.sandbox]`: image, network, limits. */
  readonly sandboxSettings?: SandboxSettings;
  /** The strongest backend found at startup: what `auto` (configured or a session's) means. */
  readonly autoBackend?: "docker" | "bubblewrap" | "none";
}

/** `ActorSystemOptions.agent`: the agent loop. */
export interface AgentOptions {
  /** Model calls per run (`[agent] max_iterations`). Default 25. */
  readonly maxIterations?: number;
  /** Whole-run time bound in ms (`[agent] timeout`). Default 600 000. */
  readonly timeoutMs?: number;
  /** Each session's tools work in `<workspaceRoot>/<sessionKey>` (created on first use). */
  readonly workspaceRoot?: string;
  /** The tools offered to the model; default none (no tools, no workspace). */
  readonly tools?: ToolRegistry;
  /** The `exec` tool and its approvals; needs `workspaceRoot`. */
  readonly exec?: ExecOptions;
  /** The `web_fetch` tool (`[tools.web_fetch]`); off when absent. */
  readonly webFetch?: WebFetchOptions;
  /** `<data dir>/skills`: the skill tools, and the skills listed in every run's system prompt. */
  readonly skillsDir?: string;
}

export const DEFAULT_MAX_ITERATIONS = 25;
export const DEFAULT_RUN_TIMEOUT_MS = 600_000;
export const DEFAULT_APPROVAL_TIMEOUT_MS = 30 * 60_000;
/** A tool result longer than this is cut (in the log and for the model) and marked truncated. */
export const MAX_TOOL_RESULT_BYTES = 16 * 1024;
