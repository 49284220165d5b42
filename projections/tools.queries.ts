import type { ToolCallRow } from "../schemas/index.ts";
import type { Db } from "./db.ts";

interface Row {
  run_id: string;
  call_id: string;
  name: string;
  arguments: string;
  status: ToolCallRow["status"];
  requested_at: number;
  started_at: number | null;
  ended_at: number | null;
  duration_ms: number | null;
  output: string | null;
  truncated: number;
  is_error: number;
  full_output: string | null;
  approval_id: string | null;
  iteration: number;
  text_offset: number | null;
}

/** A session's tool calls, oldest first (the most recent `limit`). */
export const toolCalls = (db: Db, sessionKey: string, limit = 500): ToolCallRow[] =>
  (
    db
      .prepare(
        `SELECT * FROM (SELECT rowid AS r, * FROM tool_calls WHERE session_key = ? ORDER BY requested_at DESC, rowid DESC LIMIT ?)
         ORDER BY requested_at, r`,
      )
      .all(sessionKey, limit) as Row[]
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
    truncated: r.truncated === 1,
    isError: r.is_error === 1,
    fullOutput: r.full_output,
    approvalId: r.approval_id,
    iteration: r.iteration,
    textOffset: r.text_offset,
  }));
