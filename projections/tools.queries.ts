import * as Schema from "effect/Schema";
import { ToolCallStatus, type ToolCallRow } from "../schemas/index.ts";
import type { Db } from "./db.ts";
import { SqlBool, decodeRows } from "./rows.ts";

const Row = Schema.Struct({
  run_id: Schema.String,
  call_id: Schema.String,
  name: Schema.String,
  arguments: Schema.String,
  status: ToolCallStatus,
  requested_at: Schema.Number,
  started_at: Schema.NullOr(Schema.Number),
  ended_at: Schema.NullOr(Schema.Number),
  duration_ms: Schema.NullOr(Schema.Number),
  output: Schema.NullOr(Schema.String),
  truncated: SqlBool,
  is_error: SqlBool,
  full_output: Schema.NullOr(Schema.String),
  approval_id: Schema.NullOr(Schema.String),
  iteration: Schema.Number,
  text_offset: Schema.NullOr(Schema.Number),
});

/** A session's tool calls, oldest first (the most recent `limit`). */
export const toolCalls = (db: Db, sessionKey: string, limit = 500): ToolCallRow[] =>
  decodeRows(
    Row,
    db
      .prepare(
        `SELECT * FROM (SELECT rowid AS r, * FROM tool_calls WHERE session_key = ? ORDER BY requested_at DESC, rowid DESC LIMIT ?)
         ORDER BY requested_at, r`,
      )
      .all(sessionKey, limit),
    "tool_calls",
  ).map((r) => ({
    runId: r.run_id,
    callId: r.call_id,
    name: r.name,
    arguments: r.arguments,
    status: r.status,
    requestedAt: r.requested_at,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    durationMs: r.duration_ms,
    output: r.output,
    truncated: r.truncated,
    isError: r.is_error,
    fullOutput: r.full_output,
    approvalId: r.approval_id,
    iteration: r.iteration,
    textOffset: r.text_offset,
  }));
