import type { NatsConnection } from "@nats-io/transport-node";
import { CairnError } from "../../schemas/index.ts";
import type { ResolvedModel } from "../llm/index.ts";
import type { ToolRegistry } from "../tools/index.ts";
import type { WebFetchOptions } from "../tools/web/index.ts";
import type { TranscriptMessage } from "../session/session.machine.ts";
import type { Dispatch } from "../runtime/dispatch.ts";
import type { CooldownTracker } from "./cooldown.tracker.ts";
import type { ApprovalMode, ApprovalView, ApprovalWaiters } from "../approval/index.ts";

export interface RunEffectDeps {
  readonly nc: NatsConnection;
  readonly dispatch: Dispatch;
  readonly resolveModel: (modelId: string) => ResolvedModel;
  readonly transcript: (sessionKey: string) => Promise<readonly TranscriptMessage[]>;
  /** The session's own exec sandbox backend (null: the configured one). */
  readonly sessionSandbox?: (sessionKey: string) => Promise<string | null>;
  /** The node the session's `exec` is routed to (null: local), with its name for people to read. */
  readonly sessionNode?: (sessionKey: string) => Promise<{ readonly id: string; readonly name: string; readonly status?: string } | null>;
  /** What a run of a session routed to a node is told about it (its AGENTS.md and skills); undefined for local. */
  readonly nodePrompt?: (sessionKey: string) => Promise<string | undefined>;
  readonly systemPrompt: string | undefined;
  readonly maxTokens: number | undefined;
  /** Model calls in flight, so shutdown can interrupt them cleanly. */
  readonly inFlight: Map<string, AbortController>;
  /** `[providers] fallback`: tried in order after the run's own model. */
  readonly fallback: readonly string[];
  readonly cooldowns: CooldownTracker;
  /** Resolves once the cooldowns have been rebuilt from the log (never rejects). */
  readonly cooldownsReady: Promise<void>;
  readonly now: () => number;
  /** The tools runs may call, and the loop's bounds. */
  readonly agent: AgentOptions;
  /** Approvals of dangerous calls; without it a dangerous tool is never offered. */
  readonly approvals?: {
    readonly waiters: ApprovalWaiters;
    readonly read: (id: string) => Promise<ApprovalView>;
    /** Exact commands the user "always allowed". */
    readonly remembered: () => Promise<readonly string[]>;
  };
}

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

export type SandboxChoice = "auto" | "docker" | "bubblewrap" | "none";

/** `[tools.exec.sandbox]` besides the backend (each backend enforces what it can; `describe()` says which). */
export interface SandboxSettings {
  readonly image?: string;
  readonly network?: boolean;
  readonly workspaceMount?: "rw" | "ro";
  readonly memoryMb?: number;
  readonly cpus?: number;
  readonly pids?: number;
  /** Docker: labels this gateway's containers, so cleaning up after a crash leaves others' alone. */
  readonly instance?: string;
}

export const DEFAULT_APPROVAL_TIMEOUT_MS = 30 * 60_000;

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
/** A tool result longer than this is cut (in the log and for the model) and marked truncated. */
export const MAX_TOOL_RESULT_BYTES = 16 * 1024;

/** The abort reason of a run a person stopped (stop button, Ctrl-C). */
export class RunCancelled extends Error {
  constructor(readonly by: string) {
    super(`cancelled by the user (${by})`);
  }
}

/** Thrown into a model call when the gateway is shutting down. */
export const SHUTDOWN = new CairnError("run_interrupted", "the gateway stopped while this reply was streaming");

/** The run a model call or tool call belongs to. */
export type CallParams = { runId: string; sessionKey: string; model: string; triggerMessageId: string };

/** The run's timeout clock, paused while a person is asked. */
export interface RunClock {
  pause(): void;
  resume(): void;
}
