import type { NatsConnection } from "@nats-io/transport-node";
import type { GatewayMetrics } from "../../bus/index.ts";
import type { AnyStoredEvent, SessionMcp, SettingValues } from "../../schemas/index.ts";
import type { ApprovalView, ApprovalWaiters } from "../approval/index.ts";
import type { HookDispatcher } from "../hooks/index.ts";
import type { ResolvedModel } from "../llm/index.ts";
import type { Dispatch } from "../runtime/index.ts";
import type { Compaction, TranscriptMessage } from "../session/index.ts";
import type { AgentOptions } from "./agent.options.ts";
import type { AttachmentReader } from "./run.attachments.ts";
import type { CooldownTracker } from "./cooldown.tracker.ts";

/** A run's own `exec` sandbox and approval mode (null: not set by the run). */
export interface RunPolicy {
  readonly sandbox: string | null;
  readonly approvalMode: "always" | "smart" | "never" | null;
}

/** What the run's effects use: other aggregates (through dispatch), providers, tools and the bus. */
export interface RunEffectDeps {
  readonly nc: NatsConnection;
  readonly dispatch: Dispatch;
  readonly resolveModel: (modelId: string) => ResolvedModel;
  readonly transcript: (sessionKey: string) => Promise<readonly TranscriptMessage[]>;
  /** The transcript with the session's latest compaction (what prompts are built from). */
  readonly compactedTranscript: (
    sessionKey: string,
  ) => Promise<{ readonly messages: readonly TranscriptMessage[]; readonly compaction: Compaction | null }>;
  /**
   * The model's context window in tokens (discovery, else the catalogue); null or absent: unknown,
   * and prompts are never compacted automatically.
   */
  readonly contextWindow?: (modelId: string) => Promise<number | null>;
  /** The run's own events, in order (the tool turns of its next prompt are rebuilt from them). */
  readonly runEvents: (runId: string) => Promise<readonly AnyStoredEvent[]>;
  /**
   * What one run's own settings override, read from the log: a cron job's sandbox and approval
   * mode for the run of its slot (null: nothing; the session's and the configured ones apply).
   */
  readonly runPolicy?: (runId: string, sessionKey: string) => Promise<RunPolicy | null>;
  /** The session's own exec sandbox backend (null: the configured one). */
  readonly sessionSandbox?: (sessionKey: string) => Promise<string | null>;
  /** Which MCP servers' tools the session's runs are offered (null: all; absent: no filter). */
  readonly sessionMcp?: (sessionKey: string) => Promise<SessionMcp>;
  /** The node the session's `exec` is routed to (null: local), with its name for people to read. */
  readonly sessionNode?: (sessionKey: string) => Promise<{ readonly id: string; readonly name: string; readonly status?: string } | null>;
  /** What a run of a session routed to a node is told about it (its AGENTS.md and skills); undefined for local. */
  readonly nodePrompt?: (sessionKey: string) => Promise<string | undefined>;
  /** The bytes of a stored attachment (absent: files reach the model as a note saying so). */
  readonly readAttachment?: AttachmentReader;
  /** Whether a model takes images (null: unknown, sent); a blind one gets notes in their place. */
  readonly vision?: (modelId: string) => boolean | null;
  readonly systemPrompt: string | undefined;
  /**
   * The settings changed from the UI or CLI (the settings aggregate): they win over `systemPrompt`,
   * `agent` and `agent.exec`'s configured values, read when a run needs them (no restart).
   */
  readonly settings?: () => Promise<SettingValues>;
  readonly maxTokens: number | undefined;
  /** `[providers] fallback`: tried in order after the run's own model. */
  readonly fallback: readonly string[];
  readonly cooldowns: CooldownTracker;
  /** Resolves once the cooldowns have been rebuilt from the log (never rejects). */
  readonly cooldownsReady: Promise<void>;
  readonly now: () => number;
  /** The gateway's metrics (model calls, fallbacks, approvals); absent in tests that do not count. */
  readonly metrics?: GatewayMetrics;
  /** The tools runs may call, and the loop's bounds. */
  readonly agent: AgentOptions;
  /** Lifecycle hooks (HOOK.md); absent: none run. */
  readonly hooks?: HookDispatcher;
  /** Approvals of dangerous calls; without it a dangerous tool is never offered. */
  readonly approvals?: {
    readonly waiters: ApprovalWaiters;
    readonly read: (id: string) => Promise<ApprovalView>;
    /** Exact commands the user "always allowed". */
    readonly remembered: () => Promise<readonly string[]>;
  };
}
