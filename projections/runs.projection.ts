import type { Projection } from "./projection.ts";

/** One row per agent run: status, model, usage (for audit and metrics). */
export const runsProjection: Projection = {
  name: "runs",
  bind: (db) => {
    const started = db.prepare(
      "INSERT OR IGNORE INTO runs(run_id, session_key, model, status, started_at) VALUES (?, ?, ?, 'running', ?)",
    );
    const ended = db.prepare(
      `UPDATE runs SET status = ?, ended_at = ?, input_tokens = ?, output_tokens = ?, finish_reason = ?, error = ?
       WHERE run_id = ?`,
    );
    return (r) => {
      if (!r.ok || r.event.kind !== "run") return;
      const e = r.event;
      const id = e.aggregateId;
      switch (e.type) {
        case "run.started":
          started.run(id, e.data.sessionKey, e.data.model, e.time);
          break;
        case "run.completed":
          ended.run("completed", e.time, e.data.usage?.inputTokens ?? null, e.data.usage?.outputTokens ?? null, e.data.finishReason, null, id);
          break;
        case "run.failed":
          ended.run("failed", e.time, null, null, null, JSON.stringify(e.data.error), id);
          break;
        case "run.interrupted":
          ended.run("interrupted", e.time, null, null, null, JSON.stringify({ code: "run_interrupted", message: e.data.reason }), id);
          break;
      }
    };
  },
};
