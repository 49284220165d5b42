import * as Schema from "effect/Schema";
import { MessageId, ModelId, RunId, SessionKey } from "./ids.ts";
import { WireError } from "./errors.ts";

/** Queries travel as NATS requests on `q.<view>.<verb>` and are answered from SQLite projections. */

export const Limit = Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 1000 }));

export const ListSessions = Schema.Struct({ limit: Schema.optionalKey(Limit) });
export const SessionSummary = Schema.Struct({
  key: SessionKey,
  title: Schema.String,
  model: Schema.NullOr(ModelId),
  createdAt: Schema.Number,
  updatedAt: Schema.Number,
  messageCount: Schema.Number,
  activeRunId: Schema.NullOr(RunId),
});
export type SessionSummary = typeof SessionSummary.Type;
export const ListSessionsResult = Schema.Struct({ sessions: Schema.Array(SessionSummary) });

export const GetHistory = Schema.Struct({
  sessionKey: SessionKey,
  limit: Schema.optionalKey(Limit),
});
export const MessageStatus = Schema.Literals(["complete", "streaming", "failed", "interrupted"]);
export const HistoryMessage = Schema.Struct({
  id: MessageId,
  role: Schema.Literals(["user", "assistant"]),
  text: Schema.String,
  status: MessageStatus,
  runId: Schema.NullOr(RunId),
  at: Schema.Number,
  error: Schema.NullOr(WireError),
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

export const ProjectionStatus = Schema.Struct({
  checkpoint: Schema.Number,
  logLastSeq: Schema.Number,
  lag: Schema.Number,
});
export type ProjectionStatus = typeof ProjectionStatus.Type;
