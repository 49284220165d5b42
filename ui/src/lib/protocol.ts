/**
 * Wire types of the gateway's WebSocket protocol, as the UI sees them. They mirror
 * `schemas/frames.ts`, `schemas/queries.ts` and `schemas/live.ts`; declared here (types only)
 * so the UI bundle never pulls in `effect`.
 */

export const PROTOCOL_VERSION = 1;
export const CLIENT_INFO = { name: "cairn-ui", version: "0.1.0" } as const;

export type WireError = { code: string; message: string; details?: unknown };

export type ReqFrame = { type: "req"; id: string; method: string; params: unknown };
export type ResFrame =
  | { type: "res"; id: string; ok: true; payload: unknown }
  | { type: "res"; id: string; ok: false; error: WireError };
export type EventFrame = { type: "event"; event: string; payload: unknown; seq?: number };
export type ServerFrame = ResFrame | EventFrame;

export type StatusPayload = {
  version: string;
  model: string | null;
  /** What to configure when no model is set; null when chat is ready. */
  modelHint: string | null;
  nats: { version: string; connected: boolean };
  projections: { checkpoint: number; logLastSeq: number; lag: number };
  /** The exec tool's sandbox; null (or absent, older gateways) when exec is off. */
  sandbox?: SandboxStatus | null;
};

export type SandboxBackend = "auto" | "docker" | "bubblewrap" | "none";

/** The `exec` sandbox as the banner shows it. */
export type SandboxStatus = {
  backend: string;
  /** Configured (`auto` resolves to the strongest available backend). */
  configured: string;
  available: string[];
  summary: string;
  /** Present when commands run unconfined: shown loudly. */
  warning: string | null;
  approvalMode: string;
};

export type ConnectPayload = {
  protocol: number;
  server: { name: string; version: string };
  status: StatusPayload;
};

/** Token totals of one session (all its runs, fallbacks included). */
export type SessionUsage = {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  runs: number;
};

export type SessionSummary = {
  key: string;
  title: string;
  model: string | null;
  createdAt: number;
  updatedAt: number;
  messageCount: number;
  activeRunId: string | null;
  /** Not sent by every gateway version. */
  usage?: SessionUsage;
  /** A fork: the session it was branched from, after how many of its messages, and its label. */
  parentKey?: string | null;
  forkPoint?: number | null;
  label?: string | null;
  /** The session's own exec sandbox backend; null or absent follows the configuration. */
  sandbox?: string | null;
  /** The node the session's `exec` runs on; null or absent is this machine. */
  node?: string | null;
};

/** One model the gateway can use, as the picker lists it. */
export type ModelInfo = {
  id: string;
  provider: string;
  contextWindow: number | null;
  tools: boolean | null;
  vision: boolean | null;
  /** Offered in the picker. */
  enabled: boolean;
};
export type ModelList = { models: ModelInfo[]; defaultModel: string | null };

/** Local model sizes by RAM, `current` marking this machine's tier (from gateways that send it). */
export type MemoryTier = {
  maxRamGb: number | null;
  /** e.g. "≤ 8 GB RAM" */
  ram: string;
  /** e.g. "1–3 B parameters at Q4" */
  suggestion: string;
  examples: string[];
  current: boolean;
};

/** A provider's state on the Providers page. Never carries the key, at most its last 4 characters. */
export type ProviderStatus = {
  id: string;
  label: string;
  kind: "openai" | "anthropic" | "openai-compatible" | "local";
  baseUrl: string;
  keyVariable: string | null;
  key: { source: "env" | "stored" | "none"; last4: string | null; required: boolean };
  reachable: boolean | null;
  models: number;
  error: WireError | null;
  checkedAt: number | null;
  memory?: { totalRamBytes: number; tiers: MemoryTier[] };
  /** Local provider: models created so far and their load state. */
  loaded?: Array<{ model: string; state: "unloaded" | "loading" | "ready" | "failed"; progress: number; error: WireError | null }>;
};

export type MessageStatus = "complete" | "streaming" | "failed" | "interrupted" | "cancelled";

export type HistoryMessage = {
  id: string;
  role: "user" | "assistant";
  text: string;
  status: MessageStatus;
  runId: string | null;
  at: number;
  error: WireError | null;
};

export type ActiveRun = { runId: string; startedAt: number; model: string };

export type HistoryPayload = {
  session: SessionSummary;
  messages: HistoryMessage[];
  activeRun: ActiveRun | null;
  checkpoint: number;
};

export type RunStatus = "completed" | "failed" | "interrupted" | "cancelled";

export type LiveSessionMessage =
  | { type: "run.started"; runId: string; messageId: string }
  | { type: "run.delta"; runId: string; index: number; text: string }
  | { type: "run.ended"; runId: string; status: RunStatus; error?: WireError }
  | { type: "session.updated"; sessionKey: string; checkpoint: number }
  | { type: "run.model_switched"; runId: string; from: string; to: string; error: WireError }
  | LiveToolCall
  | LiveToolOutput
  | LiveApproval;

/** Output of a running call as it comes (batched; capped): the card's live view. */
export type LiveToolOutput = { type: "run.tool_output"; runId: string; callId: string; stream: "stdout" | "stderr"; text: string };

export type LiveToolStatus = "requested" | "started" | "finished" | "failed" | "interrupted";
/** A tool call's progress (one card per call). */
export type LiveToolCall = {
  type: "run.tool";
  runId: string;
  callId: string;
  name: string;
  status: LiveToolStatus;
  /** With "requested": the arguments JSON text as the model wrote it. */
  arguments?: string;
  /** With "finished" / "failed": the (capped) result, and how long the call took. */
  output?: string;
  truncated?: boolean;
  durationMs?: number;
};

export type ApprovalStatus = "pending" | "granted" | "denied" | "expired";
/** A dangerous call waits for (or got) a person's answer. */
export type LiveApproval = {
  type: "run.approval";
  runId: string;
  callId: string;
  approvalId: string;
  status: ApprovalStatus;
  command: string;
  expiresAt?: number;
  reason?: string;
};

export type ToolCallStatus = "requested" | "awaiting_approval" | "started" | "finished" | "failed" | "interrupted";
/** One tool call of a session, as `chat.tools` lists it. */
export type ToolCallRow = {
  runId: string;
  callId: string;
  name: string;
  arguments: string;
  status: ToolCallStatus;
  requestedAt: number;
  startedAt: number | null;
  endedAt: number | null;
  durationMs: number | null;
  output: string | null;
  truncated: boolean;
  isError: boolean;
  /** Workspace-relative path of the complete output (exec), or null. */
  fullOutput: string | null;
  approvalId: string | null;
  iteration: number;
  /** Where in the reply's text the call was made (not sent by every gateway version). */
  textOffset?: number | null;
};

/** One row of `approvals.list`. */
export type ApprovalSummary = {
  id: string;
  sessionKey: string;
  runId: string;
  callId: string;
  tool: string;
  command: string;
  reason: string;
  status: ApprovalStatus;
  requestedAt: number;
  expiresAt: number;
  decidedAt: number | null;
  decidedBy: string | null;
  always: boolean;
  denyReason: string | null;
};

/** What `approvals.decide` answers: the approval as it now is (the first answer wins). */
export type ApprovalView = {
  id: string;
  status: ApprovalStatus | "new";
  decidedBy?: string | null;
  reason?: string;
};

export type ApprovalDecision = "approve" | "deny" | "always";

/** What a node reports every 30 s (`schemas/nodes.ts` NodeTelemetry). Key names only, never values. */
export type NodeTelemetry = {
  cpus: number;
  /** 0..1 over the last interval. */
  cpuUsage: number;
  memTotal: number;
  memFree: number;
  diskTotal: number;
  diskFree: number;
  uptimeSeconds: number;
  runtimes: Record<string, string>;
  providers: { ollama: string[] | null; apiKeys: string[] };
  at: number;
};

export type NodeStatus = "pending" | "approved" | "rejected" | "revoked";

/** A node as `nodes.list` returns it (`schemas/nodes.ts` NodeSummary). */
export type NodeSummary = {
  nodeId: string;
  name: string;
  fingerprint: string;
  status: NodeStatus;
  /** Hello or heartbeat within the last 15 s, and not revoked. */
  online: boolean;
  lastSeenAt: number | null;
  requestId: string | null;
  requestedAt: number | null;
  address: string | null;
  hostname: string;
  platform: string;
  workingDir: string;
  approvedAt: number | null;
  telemetry: NodeTelemetry | null;
  /** Newest first, e.g. a connection attempt with another key. */
  alerts: Array<{ at: number; message: string }>;
};

/** The pairing window: closed by default; an open one closes itself at `until`. */
export type PairingWindow = { open: boolean; until: number | null };

/** Payload of a `chat` event. */
export type ChatEvent = LiveSessionMessage & { sessionKey: string };
/** Payload of a `sessions` event. */
export type SessionsEvent = { type: "sessions.changed"; checkpoint: number };

/** Each method's params and result payload. */
export type Methods = {
  connect: {
    params: { protocol: number; client: { name: string; version?: string } };
    result: ConnectPayload;
  };
  status: { params: Record<string, never>; result: StatusPayload };
  "sessions.list": { params: { limit?: number }; result: { sessions: SessionSummary[] } };
  "sessions.create": {
    params: { key?: string; title?: string; model?: string };
    result: { key: string; created: boolean };
  };
  "sessions.subscribe": { params: Record<string, never>; result: Record<string, never> };
  "chat.history": { params: { sessionKey: string; limit?: number }; result: HistoryPayload };
  "chat.send": {
    params: { sessionKey: string; text: string; messageId?: string };
    result: { messageId: string; runId: string; duplicate: boolean };
  };
  "chat.subscribe": {
    params: { sessionKey: string; fromSeq?: number; fromTime?: number };
    result: { seq: number };
  };
  "chat.unsubscribe": { params: { sessionKey: string }; result: Record<string, never> };
  "sessions.setModel": {
    params: { sessionKey: string; model: string | null };
    result: { sessionKey: string; model: string | null };
  };
  "models.list": { params: { refresh?: boolean }; result: ModelList };
  "providers.list": { params: { refresh?: boolean }; result: { providers: ProviderStatus[] } };
  "providers.setKey": { params: { provider: string; key: string }; result: ProviderStatus };
  "models.enable": {
    params: { provider: string; models: string[] };
    result: { provider: string; models: string[] };
  };
  "runs.cancel": { params: { sessionKey: string; runId?: string }; result: unknown };
  "chat.tools": {
    params: { sessionKey: string; limit?: number };
    result: { calls: ToolCallRow[]; checkpoint: number };
  };
  "workspace.read": {
    params: { sessionKey: string; path: string };
    result: { path: string; text: string; bytes: number; truncated: boolean };
  };
  "approvals.list": {
    params: { status?: ApprovalStatus; limit?: number };
    result: { approvals: ApprovalSummary[] };
  };
  "approvals.decide": {
    params: { approvalId: string; decision: ApprovalDecision; reason?: string };
    result: ApprovalView;
  };
  "sessions.fork": {
    params: { sessionKey: string; messageIndex?: number; label?: string };
    result: { sessionKey: string; parentKey: string; forkPoint: number };
  };
  "sessions.delete": { params: { sessionKey: string }; result: { sessionKey: string; deleted: boolean } };
  "sessions.setSandbox": {
    params: { sessionKey: string; sandbox: SandboxBackend | null };
    result: { sessionKey: string; sandbox: SandboxBackend | null };
  };
  "nodes.list": { params: { status?: NodeStatus }; result: { nodes: NodeSummary[] } };
  "nodes.approve": { params: { requestId: string }; result: unknown };
  "nodes.reject": { params: { requestId: string }; result: unknown };
  "nodes.revoke": { params: { nodeId: string }; result: unknown };
  "nodes.pairing": { params: { open: boolean; minutes?: number }; result: PairingWindow };
  "nodes.pairingStatus": { params: Record<string, never>; result: PairingWindow };
  /** The remote-exec report; its shape belongs to the gateway, the page renders it generically. */
  "nodes.doctor": { params: Record<string, never>; result: unknown };
  "sessions.setNode": {
    params: { sessionKey: string; node: string | null };
    result: { sessionKey: string; node: string | null };
  };
};
export type Method = keyof Methods;

/** Ids travel inside NATS subjects: one token of letters, digits, `_` or `-`. */
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
