import * as Schema from "effect/Schema";
import { MessageId, ModelId, RunId, SessionKey } from "../ids.ts";
import { WireError } from "../errors.ts";
import { NodeId } from "../nodes.ts";
import { SandboxBackendSetting } from "../config.ts";
import { McpServerName } from "../mcp.ts";
import { ChannelAccess } from "../channels.ts";
import { upcaster } from "./upcast.ts";
import { Attachments } from "../attachments.ts";

/** Events of one session aggregate (`evt.session.<key>`): with its runs' end events (the replies), the transcript. */

export const SessionCreated = Schema.Struct({
  key: SessionKey,
  title: Schema.String,
  /** Model pinned for this session; null means "the configured default at run time". */
  model: Schema.NullOr(ModelId),
});

export const UserMessageAdded = Schema.Struct({
  messageId: MessageId,
  text: Schema.String,
  /** The run this message starts; decided here so a crash cannot start it twice. */
  runId: RunId,
  /** Sent by a channel sender with this level (absent: the owner): what the run may do. */
  access: Schema.optionalKey(ChannelAccess),
  /** Files sent with the message, by hash (the bytes are in the data dir's attachment store). */
  attachments: Schema.optionalKey(Attachments),
});

export const RunStatus = Schema.Literals(["completed", "failed", "interrupted", "cancelled"]);
export type RunStatus = typeof RunStatus.Type;

/**
 * Version 2: the run's reply is no longer copied here. Its text is stored once, in the run's own
 * end event (`run.completed` text, or the `partialText` of `run.failed` / `interrupted` /
 * `cancelled`); readers join the two on `runId`. A run that never started has no end event and
 * no text.
 */
export const RunEnded = Schema.Struct({
  runId: RunId,
  status: RunStatus,
  /** Id of the assistant message this run produced (also for partial replies). */
  messageId: MessageId,
  error: Schema.optionalKey(WireError),
});

/** Version 1 of `session.run_ended` also carried the reply's text: a copy of the run's own. */
export const RunEndedV1 = Schema.Struct({ ...RunEnded.fields, text: Schema.String });

export const SessionRenamed = Schema.Struct({ title: Schema.String });

/** The chat was pinned to the top of the list, or unpinned (`sessions.pin`). */
export const SessionPinned = Schema.Struct({ pinned: Schema.Boolean });

/** The session's model changed (`/model`, the picker, `cairn chat --model`); null = the default. */
export const SessionModelSet = Schema.Struct({ model: Schema.NullOr(ModelId) });

/** The `exec` sandbox backends a session may pin; null follows `[tools.exec.sandbox]`. */
export const SessionSandbox = Schema.NullOr(SandboxBackendSetting);
export type SessionSandbox = typeof SessionSandbox.Type;

/** The session's own sandbox backend changed (`sessions.setSandbox`). */
export const SessionSandboxSet = Schema.Struct({ sandbox: SessionSandbox });

/** The node the session's `exec` runs on changed (`sessions.setNode`, `nodes_select`); null is local. */
export const SessionNodeSet = Schema.Struct({ node: Schema.NullOr(NodeId) });

/**
 * Which MCP servers' tools the session's runs are offered (`sessions.setMcp`, the chat header's
 * toggle). `enabled: false` offers none; otherwise every server except those in `off`, so a server
 * added later is on. null (the default) is every server.
 */
export const SessionMcp = Schema.NullOr(
  Schema.Struct({
    enabled: Schema.Boolean,
    off: Schema.Array(McpServerName).check(Schema.isMaxLength(256)),
  }),
);
export type SessionMcp = typeof SessionMcp.Type;

/** The session's MCP setting changed (`sessions.setMcp`). */
export const SessionMcpSet = Schema.Struct({ mcp: SessionMcp });

/** One finished message as a fork copies it from its parent (ids kept: unique per session). */
export const CopiedMessage = Schema.Struct({
  id: MessageId,
  role: Schema.Literals(["user", "assistant"]),
  text: Schema.String,
  runId: Schema.NullOr(RunId),
  status: Schema.Literals(["complete", "failed", "interrupted", "cancelled"]),
  at: Schema.Number,
  error: Schema.NullOr(WireError),
  /** A user message's files (by hash: the fork shares the parent's stored bytes). */
  attachments: Schema.optionalKey(Attachments),
});
export type CopiedMessage = typeof CopiedMessage.Type;

/**
 * A session created as a branch of another: the fork's first and only creation event. It carries
 * the copied messages itself, so the fork exists whole or not at all (no half-made fork after a
 * crash) and never depends on the parent's later history — the parent may even be deleted.
 */
export const SessionForked = Schema.Struct({
  key: SessionKey,
  title: Schema.String,
  model: Schema.NullOr(ModelId),
  sandbox: SessionSandbox,
  /** The node the parent's commands ran on (absent in forks made before nodes existed: local). */
  node: Schema.optionalKey(Schema.NullOr(Schema.String)),
  /** The parent's MCP setting (absent in forks made before it existed: every server). */
  mcp: Schema.optionalKey(SessionMcp),
  parentKey: SessionKey,
  /** How many of the parent's messages were copied (the fork happened after message N). */
  forkPoint: Schema.Number,
  label: Schema.NullOr(Schema.String),
  messages: Schema.Array(CopiedMessage),
});

/**
 * Older turns of the session were summarised (automatically before a prompt would exceed the
 * model's context window, or on demand with `/compact`): from now on a prompt is the summary, then
 * the messages after `throughMessageId`. The replaced messages stay in the log, the history and
 * search; only what the model is sent changes. Recorded before it is used, so a crash replays the
 * summary instead of asking the model again.
 */
export const SessionCompacted = Schema.Struct({
  /** Unique per compaction; a run's compaction is named after the run and its model call. */
  compactionId: Schema.String,
  /** The run that compacted before its model call; null: `/compact`. */
  runId: Schema.NullOr(RunId),
  summary: Schema.String,
  /** The range of the transcript the summary replaces: its first and last message (inclusive). */
  fromMessageId: MessageId,
  throughMessageId: MessageId,
  /** How many transcript messages it replaces (an earlier summary's range included). */
  messages: Schema.Number,
  /** The model that wrote the summary. */
  model: ModelId,
  /** Estimated prompt tokens before and after (chars / 4: a budget, not a bill). */
  tokensBefore: Schema.Number,
  tokensAfter: Schema.Number,
});

/** The session was deleted: it takes no more commands and leaves the read models. Its forks stay. */
export const SessionDeleted = Schema.Struct({});

export const sessionEvents = {
  "session.created": { version: 1, schema: SessionCreated },
  "session.user_message": { version: 1, schema: UserMessageAdded },
  "session.run_ended": {
    version: 2,
    schema: RunEnded,
    // The copy is dropped: the run's end event in the log holds the same text.
    upcasters: { 1: upcaster(RunEndedV1, ({ text: _copy, ...v2 }) => v2) },
  },
  "session.renamed": { version: 1, schema: SessionRenamed },
  "session.model_set": { version: 1, schema: SessionModelSet },
  "session.forked": { version: 1, schema: SessionForked },
  "session.deleted": { version: 1, schema: SessionDeleted },
  "session.sandbox_set": { version: 1, schema: SessionSandboxSet },
  "session.node_set": { version: 1, schema: SessionNodeSet },
  "session.mcp_set": { version: 1, schema: SessionMcpSet },
  "session.compacted": { version: 1, schema: SessionCompacted },
  "session.pinned": { version: 1, schema: SessionPinned },
} as const;
