import type { NatsConnection } from "@nats-io/transport-node";
import type { AttachmentStore, EventLog, GatewayMetrics, SnapshotStore } from "../../bus/index.ts";
import type { AggregateKind, McpServerEntry, NewEvent, PushDevice } from "../../schemas/index.ts";
import type { ApprovalView } from "../approval/index.ts";
import type { CronClock, CronJobDue, CronSettings } from "../cron/index.ts";
import type { HookDispatcher } from "../hooks/index.ts";
import type { ModelConfig, ModelEnv, ResolvedModel } from "../llm/index.ts";
import type { McpHub } from "../mcp/index.ts";
import type { NodePresence, NodesReader, RemoteExecOptions } from "../remote/index.ts";
import type { AgentOptions } from "../run/index.ts";
import type { Dispatch, Ownership, OwnershipView } from "../runtime/index.ts";
import type { ForkSession } from "../session/index.ts";
import type { SettingsContext } from "../settings/index.ts";
import type { SessionStateStore } from "../state/index.ts";
import type { Tool } from "../tools/index.ts";

/** What a process gives the actor system: the bus, the model set-up and the optional parts. */
export interface ActorSystemOptions {
  readonly nc: NatsConnection;
  readonly log: EventLog;
  readonly snapshots: SnapshotStore;
  readonly model: {
    readonly defaultModel: string | null;
    readonly env: ModelEnv;
    readonly config: ModelConfig;
    /** `[providers] fallback`: models tried in order when the run's own model fails retryably. */
    readonly fallback?: readonly string[];
    /** Resolves a model id to a provider; defaults to `resolveModel` over `env` and `config`. */
    readonly resolve?: (modelId: string) => ResolvedModel;
    /** Whether a model takes images; defaults to `modelVision` (discovery, else the catalogue). */
    readonly vision?: (modelId: string) => boolean | null;
  };
  readonly systemPrompt?: string;
  readonly maxTokens?: number;
  /** Where users' attached files are stored (`<data dir>/attachments`); absent: models get a note instead. */
  readonly attachments?: AttachmentStore;
  /**
   * The agent loop. Tools are offered only when `workspaceRoot` is set (default tools then: the
   * workspace file tools); `maxIterations` (default 25) and `timeoutMs` (default 600 000) bound a run.
   */
  readonly agent?: AgentOptions;
  /**
   * Nodes: live presence and the paired nodes (`q.nodes.list`). With them a session can be routed
   * to an approved node (`set_node`), its `exec` runs there, its runs see the node's AGENTS.md and
   * skills, and the agent gets the `nodes_*` tools (when exec is on).
   */
  readonly nodes?: { readonly presence: NodePresence; readonly reader: NodesReader; readonly remote?: RemoteExecOptions };
  /**
   * Many gateways on one NATS: the partitions this one owns (see `Ownership`). Absent, this
   * process is the only writer and owns everything (one gateway, tests).
   */
  readonly ownership?: Ownership;
  /**
   * The sessions the read models list as active, caught up with the log: adopted when a partition
   * is gained and by the periodic reconcile.
   */
  readonly activeSessions?: () => Promise<readonly string[]>;
  /**
   * The cron jobs the read models list (not removed), caught up with the log: armed when a
   * partition is gained (all) and by the reconcile (only those with a slot in progress or due
   * before `dueBefore`: a scan of every job each time would block the loop at 10,000 jobs).
   */
  readonly activeCronJobs?: (dueBefore?: number) => Promise<readonly CronJobDue[]>;
  /** The scheduler's clock (tests move it by hand) and `[cron]` settings. */
  readonly cron?: { readonly clock?: CronClock; readonly graceMs?: number; readonly settings?: CronSettings };
  readonly now?: () => number;
  readonly newId?: () => string;
  readonly report?: (line: string) => void;
  /** `[auth] session_expiry` in ms (default 7 days). */
  readonly sessionTtlMs?: number;
  /** The gateway's metrics: model calls, tools, approvals, sandboxed and node commands record here. */
  readonly metrics?: GatewayMetrics;
  /** MCP servers whose tools runs offer (the gateway starts and supervises them). */
  readonly mcp?: McpHub;
  /** The memory tools runs offer (`memoryTools`, actors/memory). */
  readonly memoryTools?: readonly Tool[];
  /** Lifecycle hooks (HOOK.md): fired at the run's points, on the facts hosts append, on node presence. */
  readonly hooks?: HookDispatcher;
  /** Facts hosts append, observed after they are durable besides the hooks' (Web Push: `PushNotifier.observe`). */
  readonly observers?: readonly AppendObserver[];
}

/** Sees the events a host appended, with the aggregate's context after them. */
export type AppendObserver = (kind: AggregateKind, id: string, events: readonly NewEvent[], context: unknown) => void;

/** What the assembled system offers the gateway: commands, the reads it answers itself, recovery and stop. */
export interface ActorSystem {
  readonly dispatch: Dispatch;
  /** The models enabled for the picker, per provider (the settings aggregate, from the log). */
  enabledModels(): Promise<Readonly<Record<string, readonly string[]>>>;
  /** The MCP servers added from the CLI or UI (the settings aggregate, from the log). */
  mcpServers(): Promise<readonly McpServerEntry[]>;
  /** The whole settings aggregate (values changed in the UI or CLI, always-allowed commands). */
  settings(): Promise<SettingsContext>;
  /** The default model as last read from the settings (else the configured one); synchronous for status answers. */
  defaultModel(): string | null;
  /** The devices subscribed to Web Push (the settings aggregate, from the log). */
  pushDevices(): Promise<readonly PushDevice[]>;
  /** Records the enabled models of one provider (an event; nothing when unchanged). */
  enableModels(provider: string, models: readonly string[]): Promise<{ provider: string; models: string[] }>;
  /** One approval's state (from the log). */
  approval(id: string): Promise<ApprovalView>;
  /** Forks a session (`branch_session`): one `session.forked` event on the new key; idempotent on `forkKey`. */
  readonly fork: ForkSession;
  /** Per-session key-value state (the `state` aggregates), for the `session_state` tool. */
  readonly sessionState: SessionStateStore;
  /**
   * Takes over the sessions the projections list as active after a crash, those this gateway owns:
   * each session's machine re-arms its run's effects (see `AggregateHost.adopt`); resolves with how
   * many had a run.
   */
  recover(sessionKeys: readonly string[]): Promise<number>;
  /**
   * Takes over the cron jobs this gateway owns: each re-arms its next slot, or resolves the slot it
   * had claimed. A bare name is adopted from its log; a read model's row arms an idle job at once.
   */
  recoverCron(jobs: readonly (string | CronJobDue)[]): Promise<number>;
  /** Partitions, their owners and the gateways seen (null: this process owns everything). */
  ownership(): OwnershipView | null;
  /** Whether this gateway owns an aggregate that is not a session's (a channel's loop runs only there). */
  owns(kind: AggregateKind, id: string): boolean;
  /** Stops the session's running run (`by`: who asked, e.g. "cli"). */
  cancel(sessionKey: string, params: { runId?: string; by?: string }): Promise<{ runId: string | null; cancelled: boolean }>;
  /** A fresh one-time setup code while no password or passkey exists (for the gateway's terminal). */
  setupCode(): Promise<{ code: string; expiresAt: number } | undefined>;
  /** Stops taking commands, interrupts model calls in flight (recording them) and waits for effects. */
  stop(): Promise<void>;
}
