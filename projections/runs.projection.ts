import type { Projection } from "./projection.ts";
import { TextValue, decodeRow } from "./rows.ts";

/**
 * One row per agent run: status, the model that answered, usage (for audit and metrics). It also
 * keeps the per-session usage totals in `sessions`, because only the runs know their session:
 * `run.completed` does not repeat it. Both are written in the projector's one transaction.
 */
export const runsProjection: Projection = {
  name: "runs",
  bind: (db) => {
    const started = db.prepare("INSERT OR IGNORE INTO runs(run_id, session_key, model, status, started_at) VALUES (?, ?, ?, 'running', ?)");
    const switched = db.prepare("UPDATE runs SET model = ?, switches = switches + 1 WHERE run_id = ?");
    const ended = db.prepare(
      `UPDATE runs SET status = ?, ended_at = ?, input_tokens = ?, output_tokens = ?, cache_read_tokens = ?,
       cache_write_tokens = ?, finish_reason = ?, error = ? WHERE run_id = ?`,
    );
    const sessionOf = db.prepare("SELECT session_key FROM runs WHERE run_id = ?").pluck();
    const countRun = db.prepare("UPDATE sessions SET runs = runs + 1 WHERE key = ?");
    const addUsage = db.prepare(
      `UPDATE sessions SET input_tokens = input_tokens + ?, output_tokens = output_tokens + ?,
       cache_read_tokens = cache_read_tokens + ?, cache_write_tokens = cache_write_tokens + ? WHERE key = ?`,
    );
    return (r, touched) => {
      if (!r.ok || r.event.kind !== "run") return;
      const e = r.event;
      const id = e.aggregateId;
      switch (e.type) {
        case "run.started":
          if (started.run(id, e.data.sessionKey, e.data.model, e.time).changes > 0) countRun.run(e.data.sessionKey);
          break;
        case "run.model_switched":
          switched.run(e.data.to, id);
          break;
        case "run.completed": {
          const u = e.data.usage;
          ended.run(
            "completed",
            e.time,
            u?.inputTokens ?? null,
            u?.outputTokens ?? null,
            u?.cacheReadTokens ?? null,
            u?.cacheWriteTokens ?? null,
            e.data.finishReason,
            null,
            id,
          );
          const key = decodeRow(TextValue, sessionOf.get(id), "runs.session_key");
          if (u && key !== undefined) {
            addUsage.run(u.inputTokens, u.outputTokens, u.cacheReadTokens ?? 0, u.cacheWriteTokens ?? 0, key);
            touched.sessions.add(key);
          }
          break;
        }
        case "run.failed":
          ended.run("failed", e.time, null, null, null, null, null, JSON.stringify(e.data.error), id);
          break;
        case "run.cancelled":
          ended.run("cancelled", e.time, null, null, null, null, null, null, id);
          break;
        case "run.interrupted":
          ended.run(
            "interrupted",
            e.time,
            null,
            null,
            null,
            null,
            null,
            JSON.stringify({ code: "run_interrupted", message: e.data.reason }),
            id,
          );
          break;
      }
    };
  },
};
