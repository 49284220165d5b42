import type { AuthOverview, CreatedApiKey } from "./auth.ts";
import type { CreateSessionResult, SendMessageResult, SessionExportFile } from "./commands.ts";
import type { Method, methodParams, StatusPayload } from "./frames.ts";
import type { LiveSessionMessage, LiveSessionsChanged, LiveSettingsChanged } from "./live.ts";
import type { ListNodesResult, PairingWindow } from "./nodes.ts";
import type { ListCompactionsResult, SearchMessagesResult } from "./search.ts";
import type { CronSchedule, GetCronJobResult, ListCronJobsResult, ListCronRunsResult } from "./cron.ts";
import type { McpServerStatus, McpToolInfo } from "./mcp.ts";
import type { HookView } from "./hooks.ts";
import type { SettingKey, SettingsView } from "./settings.ts";
import type { EventChainResult, ListEventsResult, SessionAtView } from "./explorer.ts";
import type { ChannelSender, ChannelSenderChange, ChannelStatus } from "./channels.ts";
import type { PushDeviceView } from "./push.ts";
import type {
  CompactSessionResult,
  ForkSessionResult,
  GetHistoryResult,
  ListModelsResult,
  ListProvidersResult,
  ListSessionsResult,
  ListToolCallsResult,
  ProviderStatus,
  ReadWorkspaceFileResult,
} from "./queries.ts";

/**
 * What each WebSocket method answers (the `payload` of its `ok` res frame), and the payloads of
 * `event` frames. Types only: the web UI imports them (`import type`, erased from its bundle), so
 * the server and the UI speak one protocol instead of two copies that drift apart. Where the edge
 * passes a reply through without decoding it (`Schema.Unknown`), the type is the shape the
 * answering side builds.
 */

/** What a client sends as a method's params (before the edge decodes them). */
export type MethodParams<M extends Method> = (typeof methodParams)[M]["Encoded"];

/** The `connect` handshake's answer. */
export type ConnectResult = {
  readonly protocol: number;
  /** `ui`: the web UI build the gateway serves (its entry script); absent when it serves none. */
  readonly server: { readonly name: string; readonly version: string; readonly ui?: string };
  readonly status: StatusPayload;
};

export type ApprovalStatus = NonNullable<MethodParams<"approvals.list">["status"]>;
export type ApprovalDecision = MethodParams<"approvals.decide">["decision"];

/** One row of `approvals.list` (`q.approvals.list`, answered by the approvals projection). */
export type ApprovalSummary = {
  readonly id: string;
  readonly sessionKey: string;
  readonly runId: string;
  readonly callId: string;
  readonly tool: string;
  readonly command: string;
  readonly reason: string;
  readonly status: ApprovalStatus;
  readonly requestedAt: number;
  readonly expiresAt: number;
  readonly decidedAt: number | null;
  readonly decidedBy: string | null;
  readonly always: boolean;
  readonly denyReason: string | null;
};

/**
 * What `approvals.decide` answers: the approval as it is after the answer (the first answer wins,
 * so it may show someone else's). "new" only for an id nobody requested.
 */
export type ApprovalView = {
  readonly id: string;
  readonly status: ApprovalStatus | "new";
  readonly decidedBy?: string | null;
  /** A denial's reason. */
  readonly reason?: string;
};

// A method added to `methodParams` without a result here fails to compile.
type EveryMethod<T extends Record<Method, unknown>> = T;

/** Each method's result payload. */
export type MethodResults = EveryMethod<{
  connect: ConnectResult;
  status: StatusPayload;
  "sessions.list": typeof ListSessionsResult.Type;
  "sessions.create": typeof CreateSessionResult.Type;
  "sessions.subscribe": { readonly seq: number };
  "chat.history": typeof GetHistoryResult.Type;
  "chat.send": SendMessageResult;
  "chat.subscribe": { readonly seq: number };
  "chat.unsubscribe": { readonly unsubscribed: boolean };
  "sessions.setModel": { readonly sessionKey: string; readonly model: MethodParams<"sessions.setModel">["model"] };
  "models.list": typeof ListModelsResult.Type;
  "providers.list": typeof ListProvidersResult.Type;
  "providers.setKey": ProviderStatus;
  "models.enable": MethodParams<"models.enable">;
  /** The session command's reply, passed through. */
  "runs.cancel": unknown;
  "chat.tools": typeof ListToolCallsResult.Type;
  "workspace.read": typeof ReadWorkspaceFileResult.Type;
  "search.query": SearchMessagesResult;
  "chat.compactions": ListCompactionsResult;
  "approvals.list": { readonly approvals: readonly ApprovalSummary[] };
  "approvals.decide": ApprovalView;
  "sessions.fork": typeof ForkSessionResult.Type;
  "sessions.delete": { readonly sessionKey: string; readonly deleted: boolean };
  "sessions.rename": { readonly sessionKey: string; readonly title: string; readonly changed: boolean };
  "sessions.pin": { readonly sessionKey: string; readonly pinned: boolean; readonly changed: boolean };
  "sessions.export": SessionExportFile;
  "sessions.compact": CompactSessionResult;
  "sessions.setSandbox": MethodParams<"sessions.setSandbox">;
  "nodes.list": typeof ListNodesResult.Type;
  "nodes.approve": unknown;
  "nodes.reject": unknown;
  "nodes.revoke": unknown;
  "nodes.pairing": PairingWindow;
  "nodes.pairingStatus": PairingWindow;
  /** The remote-exec report; its shape belongs to the gateway, the UI renders it generically. */
  "nodes.doctor": unknown;
  "sessions.setNode": MethodParams<"sessions.setNode">;
  "auth.overview": AuthOverview;
  "auth.keys.create": CreatedApiKey;
  "auth.keys.revoke": { readonly id: string; readonly revoked: boolean };
  "auth.passkeys.remove": { readonly id: string; readonly removed: boolean };
  "auth.sessions.revoke": { readonly id: string; readonly revoked: boolean };
  "auth.password.set": { readonly set: true };
  "sessions.setMcp": MethodParams<"sessions.setMcp">;
  "cron.list": typeof ListCronJobsResult.Type;
  "cron.get": typeof GetCronJobResult.Type;
  "cron.runs": typeof ListCronRunsResult.Type;
  "cron.add": CronJobView;
  "cron.update": CronJobView;
  "cron.enable": CronJobView;
  "cron.disable": CronJobView;
  /** The slot that was claimed and the session its run goes to. */
  "cron.run": { readonly slot?: number; readonly sessionKey?: string };
  "cron.remove": unknown;
  "mcp.list": { readonly servers: readonly McpServerStatus[] };
  "settings.get": SettingsView;
  "settings.set": { readonly key: SettingKey; readonly changed: boolean; readonly settings: SettingsView };
  "settings.revokeCommand": { readonly command: string; readonly revoked: boolean; readonly settings: SettingsView };
  "mcp.tools": { readonly tools: readonly McpToolInfo[] };
  "mcp.add": McpChange;
  "mcp.setEnabled": McpChange;
  "mcp.remove": { readonly name: string; readonly removed: boolean };
  "mcp.restart": McpServerStatus;
  "hooks.list": { readonly hooks: readonly HookView[] };
  "channels.status": { readonly channels: readonly ChannelStatus[] };
  "channels.senders": { readonly senders: readonly ChannelSender[] };
  "channels.approve": ChannelSenderChange;
  "channels.deny": ChannelSenderChange;
  "channels.setAccess": ChannelSenderChange;
  "events.list": ListEventsResult;
  "events.chain": EventChainResult;
  "events.subscribe": { readonly seq: number };
  "events.unsubscribe": { readonly unsubscribed: boolean };
  "sessions.at": SessionAtView;
  /** Null: push is off on this gateway (no VAPID key could be made). */
  "push.key": { readonly publicKey: string | null };
  "push.devices": { readonly devices: readonly PushDeviceView[] };
  "push.subscribe": { readonly device: string; readonly changed: boolean };
  "push.unsubscribe": { readonly device: string; readonly removed: boolean };
  "push.presence": { readonly visible: boolean };
}>;

/** What a cron job's commands answer (`cronView` in actors/cron): its settings and next slot. */
export type CronJobView = {
  readonly name: string;
  readonly state: string;
  readonly schedule: CronSchedule;
  readonly session: string;
  readonly enabled: boolean;
  readonly nextAt: number | null;
};

/** What `mcp.add` / `mcp.setEnabled` answer: whether the entry changed, and the server's status after it. */
export type McpChange = { readonly name: string; readonly changed: boolean; readonly status: McpServerStatus | null };

/** Payloads of `event` frames, by event name: a session's live messages (`chat`) and list changes. */
export type EventPayloads = {
  chat: LiveSessionMessage & { readonly sessionKey: string };
  sessions: LiveSessionsChanged | LiveSettingsChanged;
  /** The read models applied more of the log (`events.subscribe`): list what came after your last seq. */
  events: { readonly type: "events.appended"; readonly checkpoint: number };
};
