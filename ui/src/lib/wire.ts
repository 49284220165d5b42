import type * as S from "../../../schemas/index.ts";

/**
 * The gateway's wire types, as the UI names them: all of them come from `schemas/`, the contracts
 * the server decodes with, so the UI cannot drift from the server. Types only (this file must
 * never import a value): `import type` is erased at build, so not a byte of `effect` enters the
 * bundle — tests/ui/bundle.test.ts checks it. Where `schemas/` exports only a schema value, the
 * type is derived from it (`typeof X.Type`).
 */

export type {
  ApiKeySummary,
  Attachment,
  AttachmentRef,
  ApprovalDecision,
  ApprovalStatus,
  ApprovalSummary,
  ApprovalView,
  AuthOverview,
  CompactionView,
  AuthStatus,
  ChannelAccess,
  ChannelSender,
  ChannelStatus,
  ConnectResult,
  CreatedApiKey,
  CronJobRow,
  CronRunRow,
  CronSchedule,
  ErrorCode,
  EventChainResult,
  EventNode,
  EventRow,
  EventFrame,
  GetHistoryResult,
  HistoryMessage,
  HookBreakerView,
  HookLastRun,
  HookView,
  SettingKey,
  SettingView,
  SettingsView,
  LoginSessionSummary,
  McpServerEntry,
  McpServerStatus,
  McpToolInfo,
  MessageHit,
  Method,
  MethodParams,
  MethodResults,
  ModelInfo,
  NodeSummary,
  NodeTelemetry,
  PairingWindow,
  PasskeySummary,
  ProviderStatus,
  PushDeviceView,
  ResFrame,
  RunStatus,
  SandboxStatus,
  Scope,
  SessionExportFormat,
  SessionAtView,
  SessionMcp,
  SessionSummary,
  SessionUsage,
  StatusPayload,
  ToolCallRow,
  WireError,
} from "../../../schemas/index.ts";

export type ServerFrame = S.ResFrame | S.EventFrame;
export type MessageStatus = typeof S.MessageStatus.Type;
export type ActiveRun = typeof S.ActiveRun.Type;
export type ToolCallStatus = typeof S.ToolCallStatus.Type;
export type LiveToolCall = typeof S.LiveToolCall.Type;
export type LiveToolOutput = typeof S.LiveToolOutput.Type;
export type LiveApproval = typeof S.LiveApproval.Type;
/** A sandbox backend a session may pin (null in `sessions.setSandbox` follows the configuration). */
export type SandboxBackend = NonNullable<S.SessionSandbox>;
/** Payload of a `chat` event: a live message of one session. */
export type ChatEvent = S.EventPayloads["chat"];
/** Payload of a `sessions` event. */
export type SessionsEvent = S.EventPayloads["sessions"];
