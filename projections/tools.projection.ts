import type { Projection } from "./projection.ts";
import { TextValue, decodeRow } from "./rows.ts";

/**
 * One row per tool call: what the model asked, whether it waits for a person, and how it ended.
 * The chat's tool cards are drawn from it (live messages only move them along).
 */
export const toolCallsProjection: Projection = {
  name: "tool_calls",
  bind: (db) => {
    // The session comes from the run's row (run.started is always earlier in the log).
    const requested = db.prepare(
      `INSERT OR IGNORE INTO tool_calls(run_id, call_id, session_key, name, arguments, status, requested_at, iteration, text_offset)
       SELECT ?, ?, session_key, ?, ?, 'requested', ?, ?, ? FROM runs WHERE run_id = ?`,
    );
    const awaiting = db.prepare(
      "UPDATE tool_calls SET status = 'awaiting_approval', approval_id = ? WHERE run_id = ? AND call_id = ? AND status = 'requested'",
    );
    const answered = db.prepare("UPDATE tool_calls SET status = 'requested' WHERE approval_id = ? AND status = 'awaiting_approval'");
    const started = db.prepare("UPDATE tool_calls SET status = 'started', started_at = ? WHERE run_id = ? AND call_id = ?");
    const finished = db.prepare(
      `UPDATE tool_calls SET status = ?, ended_at = ?, duration_ms = ?, output = ?, truncated = ?, is_error = ?, full_output = ?
       WHERE run_id = ? AND call_id = ?`,
    );
    const interrupted = db.prepare(
      "UPDATE tool_calls SET status = 'interrupted', ended_at = ?, output = ?, is_error = 1 WHERE run_id = ? AND call_id = ?",
    );
    const sessionOf = db.prepare("SELECT session_key FROM tool_calls WHERE run_id = ? LIMIT 1").pluck();
    return (r, touched) => {
      if (!r.ok) return;
      const e = r.event;
      if (e.kind === "approval") {
        if (e.type === "approval.requested") awaiting.run(e.aggregateId, e.data.runId, e.data.callId);
        else if (e.type === "approval.granted") answered.run(e.aggregateId);
        return;
      }
      if (e.kind !== "run") return;
      const runId = e.aggregateId;
      switch (e.type) {
        case "run.tool_call_requested":
          requested.run(runId, e.data.callId, e.data.name, e.data.arguments, e.time, e.data.iteration, e.data.textOffset ?? null, runId);
          break;
        case "run.tool_started":
          started.run(e.time, runId, e.data.callId);
          break;
        case "run.tool_finished": {
          const d = e.data;
          finished.run(
            d.isError ? "failed" : "finished",
            e.time,
            d.durationMs,
            d.output,
            d.truncated ? 1 : 0,
            d.isError ? 1 : 0,
            d.fullOutput ?? null,
            runId,
            d.callId,
          );
          break;
        }
        case "run.tool_interrupted":
          interrupted.run(e.time, `interrupted, not re-run: ${e.data.reason}`, runId, e.data.callId);
          break;
        default:
          return;
      }
      const key = decodeRow(TextValue, sessionOf.get(runId), "tool_calls.session_key");
      if (key !== undefined) touched.sessions.add(key);
    };
  },
};
