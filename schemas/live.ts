import * as Schema from "effect/Schema";
import { MessageId, RunId, SessionKey } from "./ids.ts";
import { WireError } from "./errors.ts";
import { RunStatus } from "./events/session.events.ts";

/**
 * Live messages (`live.session.<key>`, `live.sessions`) are short-lived notifications kept in a
 * separate stream with a max age. They are never the truth: a client that misses them re-queries.
 */
export const LiveRunStarted = Schema.Struct({
  type: Schema.Literal("run.started"),
  runId: RunId,
  messageId: MessageId,
});
export const LiveDelta = Schema.Struct({
  type: Schema.Literal("run.delta"),
  runId: RunId,
  /** Position of this delta in the run, from 0; lets a client drop repeats after a resume. */
  index: Schema.Number,
  text: Schema.String,
});
export const LiveRunEnded = Schema.Struct({
  type: Schema.Literal("run.ended"),
  runId: RunId,
  status: RunStatus,
  error: Schema.optionalKey(WireError),
});
/** The run moved to the next model of the fallback chain (a visible notice in the UI). */
export const LiveModelSwitched = Schema.Struct({
  type: Schema.Literal("run.model_switched"),
  runId: RunId,
  from: Schema.String,
  to: Schema.String,
  error: WireError,
});

/** A tool call's progress (the UI shows a card per call; the log has the whole story). */
export const LiveToolCall = Schema.Struct({
  type: Schema.Literal("run.tool"),
  runId: RunId,
  callId: Schema.String,
  name: Schema.String,
  status: Schema.Literals(["requested", "started", "finished", "failed", "interrupted"]),
  /** With "requested": the arguments JSON text as the model wrote it. */
  arguments: Schema.optionalKey(Schema.String),
  /** With "requested": characters of the reply streamed before the call (where it shows). */
  textOffset: Schema.optionalKey(Schema.Number),
  /** With "finished" / "failed": the (capped) result the model got, and how long the call took. */
  output: Schema.optionalKey(Schema.String),
  truncated: Schema.optionalKey(Schema.Boolean),
  durationMs: Schema.optionalKey(Schema.Number),
  /** Workspace-relative path of the complete output (`workspace.read`), when it was cut. */
  fullOutput: Schema.optionalKey(Schema.String),
});

/** Output of a running tool call as it comes (batched; capped), for the card's live view. */
export const LiveToolOutput = Schema.Struct({
  type: Schema.Literal("run.tool_output"),
  runId: RunId,
  callId: Schema.String,
  stream: Schema.Literals(["stdout", "stderr"]),
  text: Schema.String,
});

/** A dangerous tool call waits for (or got) a person's answer; the log has the approval's story. */
export const LiveApproval = Schema.Struct({
  type: Schema.Literal("run.approval"),
  runId: RunId,
  callId: Schema.String,
  approvalId: Schema.String,
  status: Schema.Literals(["pending", "granted", "denied", "expired"]),
  command: Schema.String,
  expiresAt: Schema.optionalKey(Schema.Number),
  reason: Schema.optionalKey(Schema.String),
  /** Who answered ("web", "cli", ...), once decided. */
  decidedBy: Schema.optionalKey(Schema.String),
});

/** Published by the projector after it applied events of this session. */
export const LiveSessionUpdated = Schema.Struct({
  type: Schema.Literal("session.updated"),
  sessionKey: SessionKey,
  checkpoint: Schema.Number,
});
export const LiveSessionMessage = Schema.Union([
  LiveRunStarted,
  LiveDelta,
  LiveRunEnded,
  LiveSessionUpdated,
  LiveModelSwitched,
  LiveToolCall,
  LiveToolOutput,
  LiveApproval,
]);
export type LiveSessionMessage = typeof LiveSessionMessage.Type;

export const LiveSessionsChanged = Schema.Struct({
  type: Schema.Literal("sessions.changed"),
  checkpoint: Schema.Number,
});
export type LiveSessionsChanged = typeof LiveSessionsChanged.Type;

/** On `live.sessions` too: a setting changed (every open Settings page reloads it). */
export const LiveSettingsChanged = Schema.Struct({ type: Schema.Literal("settings.changed") });
export type LiveSettingsChanged = typeof LiveSettingsChanged.Type;
