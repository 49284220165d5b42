import * as Schema from "effect/Schema";
import { MessageId, ModelId, RunId, SessionKey } from "./ids.ts";
import { WireError } from "./errors.ts";
import { Attachments } from "./attachments.ts";
import { SessionMcp } from "./events/session.events.ts";

/** Queries travel as NATS requests on `q.<view>.<verb>` and are answered from SQLite projections. */

export const Limit = Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 1000 }));

/** Token totals of one session (all its runs, fallbacks included). */
export const SessionUsage = Schema.Struct({
  inputTokens: Schema.Number,
  outputTokens: Schema.Number,
  cacheReadTokens: Schema.Number,
  cacheWriteTokens: Schema.Number,
  runs: Schema.Number,
});
export type SessionUsage = typeof SessionUsage.Type;

export const ListSessions = Schema.Struct({ limit: Schema.optionalKey(Limit) });
export const SessionSummary = Schema.Struct({
  key: SessionKey,
  title: Schema.String,
  model: Schema.NullOr(ModelId),
  createdAt: Schema.Number,
  updatedAt: Schema.Number,
  messageCount: Schema.Number,
  activeRunId: Schema.NullOr(RunId),
  usage: Schema.optionalKey(SessionUsage),
  /** A fork: the session it was branched from, after how many of its messages, and its label. */
  parentKey: Schema.optionalKey(Schema.NullOr(SessionKey)),
  forkPoint: Schema.optionalKey(Schema.NullOr(Schema.Number)),
  label: Schema.optionalKey(Schema.NullOr(Schema.String)),
  /** The session's own `exec` sandbox backend; null or absent follows `[tools.exec.sandbox]`. */
  sandbox: Schema.optionalKey(Schema.NullOr(Schema.String)),
  /** The node the session's `exec` runs on; null or absent is local. */
  node: Schema.optionalKey(Schema.NullOr(Schema.String)),
  /** Which MCP servers' tools its runs are offered; null or absent is every server. */
  mcp: Schema.optionalKey(SessionMcp),
  /** Pinned chats lead the list (absent: not pinned). */
  pinned: Schema.optionalKey(Schema.Boolean),
});
export type SessionSummary = typeof SessionSummary.Type;
export const ListSessionsResult = Schema.Struct({ sessions: Schema.Array(SessionSummary) });

export const GetHistory = Schema.Struct({
  sessionKey: SessionKey,
  limit: Schema.optionalKey(Limit),
});
export const MessageStatus = Schema.Literals(["complete", "streaming", "failed", "interrupted", "cancelled"]);
export const HistoryMessage = Schema.Struct({
  id: MessageId,
  role: Schema.Literals(["user", "assistant"]),
  text: Schema.String,
  status: MessageStatus,
  runId: Schema.NullOr(RunId),
  at: Schema.Number,
  error: Schema.NullOr(WireError),
  /** Files the user sent with the message (absent: none); shown as thumbnails and file chips. */
  attachments: Schema.optionalKey(Attachments),
});
export type HistoryMessage = typeof HistoryMessage.Type;
export const ActiveRun = Schema.Struct({
  runId: RunId,
  startedAt: Schema.Number,
  model: ModelId,
});
export const GetHistoryResult = Schema.Struct({
  session: SessionSummary,
  messages: Schema.Array(HistoryMessage),
  activeRun: Schema.NullOr(ActiveRun),
  /** Log sequence the projection had applied when answering. */
  checkpoint: Schema.Number,
});
export type GetHistoryResult = typeof GetHistoryResult.Type;

/** One tool call of a session, as the chat shows it (a card per call). */
export const ToolCallStatus = Schema.Literals(["requested", "awaiting_approval", "started", "finished", "failed", "interrupted"]);
export const ToolCallRow = Schema.Struct({
  runId: RunId,
  callId: Schema.String,
  name: Schema.String,
  /** The arguments JSON text as the model wrote it. */
  arguments: Schema.String,
  status: ToolCallStatus,
  requestedAt: Schema.Number,
  startedAt: Schema.NullOr(Schema.Number),
  endedAt: Schema.NullOr(Schema.Number),
  durationMs: Schema.NullOr(Schema.Number),
  /** The (capped) result the model got. */
  output: Schema.NullOr(Schema.String),
  truncated: Schema.Boolean,
  isError: Schema.Boolean,
  /** Workspace-relative path of the complete output, when the tool kept one (exec). */
  fullOutput: Schema.NullOr(Schema.String),
  approvalId: Schema.NullOr(Schema.String),
  iteration: Schema.Number,
  /** Characters of the reply streamed before the call (where the card goes). */
  textOffset: Schema.optionalKey(Schema.NullOr(Schema.Number)),
});
export type ToolCallRow = typeof ToolCallRow.Type;
export const ListToolCalls = Schema.Struct({ sessionKey: SessionKey, limit: Schema.optionalKey(Limit) });
export const ListToolCallsResult = Schema.Struct({ calls: Schema.Array(ToolCallRow), checkpoint: Schema.Number });
export type ListToolCallsResult = typeof ListToolCallsResult.Type;

/** The new session a fork created. */
export const ForkSessionResult = Schema.Struct({ sessionKey: SessionKey, parentKey: SessionKey, forkPoint: Schema.Number });
export type ForkSessionResult = typeof ForkSessionResult.Type;

/** `sessions.compact` / `cairn sessions compact`: what `/compact` replaced (nothing new: `compacted: false`). */
export const CompactSessionResult = Schema.Struct({
  sessionKey: SessionKey,
  compacted: Schema.Boolean,
  messages: Schema.Number,
  tokensBefore: Schema.Number,
  tokensAfter: Schema.Number,
});
export type CompactSessionResult = typeof CompactSessionResult.Type;

/** A file of a session's workspace (the full output of a truncated tool result). */
export const ReadWorkspaceFile = Schema.Struct({
  sessionKey: SessionKey,
  path: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(1024)),
});
export const ReadWorkspaceFileResult = Schema.Struct({
  path: Schema.String,
  text: Schema.String,
  bytes: Schema.Number,
  truncated: Schema.Boolean,
});
export type ReadWorkspaceFileResult = typeof ReadWorkspaceFileResult.Type;

/** The `exec` sandbox as the banner and the UI show it. */
export const SandboxStatus = Schema.Struct({
  backend: Schema.String,
  /** Configured (`auto` resolves to the strongest available backend). */
  configured: Schema.String,
  available: Schema.Array(Schema.String),
  summary: Schema.String,
  /** Present when commands run unconfined: shown loudly. */
  warning: Schema.NullOr(Schema.String),
  /** `[tools.exec] approval_mode`. */
  approvalMode: Schema.String,
});
export type SandboxStatus = typeof SandboxStatus.Type;

/**
 * Why the read models are degraded (stable codes): `consumer_failed` — the log consumer ended or
 * failed and is being retried; `stalled` — the log moved and the checkpoint did not (the consumer
 * is restarted); `lagging` — a backlog above the bound for longer than the grace period.
 */
export const ProjectionIssue = Schema.Literals(["consumer_failed", "stalled", "lagging"]);
export type ProjectionIssue = typeof ProjectionIssue.Type;

export const ProjectionStatus = Schema.Struct({
  checkpoint: Schema.Number,
  logLastSeq: Schema.Number,
  lag: Schema.Number,
  /** Absent from gateways that predate it: read as "ok". */
  state: Schema.optionalKey(Schema.Literals(["ok", "degraded"])),
  issue: Schema.optionalKey(Schema.NullOr(ProjectionIssue)),
  /** For a person: what is wrong and what the gateway does about it; null when ok. */
  reason: Schema.optionalKey(Schema.NullOr(Schema.String)),
  /** Times the projector restarted its log consumer since the gateway started (after a failure or a stall). */
  consumerRestarts: Schema.optionalKey(Schema.Number),
  /**
   * Events the read models are still working off, while they do so healthily (the gateway serves
   * meanwhile; lists and history show what is applied so far). Absent when caught up.
   */
  catchingUp: Schema.optionalKey(Schema.Number),
});
export type ProjectionStatus = typeof ProjectionStatus.Type;

/** One model the gateway can use, as `cairn models` and the model picker list it. */
export const ModelInfo = Schema.Struct({
  id: ModelId,
  provider: Schema.String,
  /** Tokens, when known (catalogue or discovery); null when the provider does not say. */
  contextWindow: Schema.NullOr(Schema.Number),
  tools: Schema.NullOr(Schema.Boolean),
  vision: Schema.NullOr(Schema.Boolean),
  /** Offered in the picker (enabled by the user, the default, or in the fallback chain). */
  enabled: Schema.Boolean,
});
export type ModelInfo = typeof ModelInfo.Type;
export const ListModelsResult = Schema.Struct({ models: Schema.Array(ModelInfo), defaultModel: Schema.NullOr(ModelId) });

/** Which model sizes fit this machine's memory (the local provider). */
export const MemoryTier = Schema.Struct({
  maxRamGb: Schema.NullOr(Schema.Number),
  ram: Schema.String,
  suggestion: Schema.String,
  examples: Schema.Array(Schema.String),
  current: Schema.Boolean,
});

/** A local model this gateway has created: its load state, for progress in the UI. */
export const LocalModelState = Schema.Struct({
  model: Schema.String,
  state: Schema.Literals(["unloaded", "loading", "ready", "failed"]),
  progress: Schema.Number,
  error: Schema.NullOr(WireError),
});

/** A provider's state on the Providers page and in `cairn providers`. Never carries the key. */
export const ProviderStatus = Schema.Struct({
  id: Schema.String,
  label: Schema.String,
  kind: Schema.Literals(["openai", "anthropic", "openai-compatible", "local"]),
  baseUrl: Schema.String,
  keyVariable: Schema.NullOr(Schema.String),
  /** Where the key comes from; "none" also for providers that need no key (ollama, local). */
  key: Schema.Struct({ source: Schema.Literals(["env", "stored", "none"]), last4: Schema.NullOr(Schema.String), required: Schema.Boolean }),
  reachable: Schema.NullOr(Schema.Boolean),
  models: Schema.Number,
  error: Schema.NullOr(WireError),
  checkedAt: Schema.NullOr(Schema.Number),
  /** Local provider only: memory-tier suggestions and the models loaded so far. */
  memory: Schema.optionalKey(Schema.Struct({ totalRamBytes: Schema.Number, tiers: Schema.Array(MemoryTier) })),
  loaded: Schema.optionalKey(Schema.Array(LocalModelState)),
});
export type ProviderStatus = typeof ProviderStatus.Type;
export const ListProvidersResult = Schema.Struct({ providers: Schema.Array(ProviderStatus) });
