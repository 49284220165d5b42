import type { Projection } from "./projection.ts";

/**
 * Cron jobs (one row each: settings, next slot, last outcome, counters) and their slots' history
 * (one row per claimed slot, one per skipped range). Keyed by job and slot, so applying an event
 * twice changes nothing.
 */
export const cronProjection: Projection = {
  name: "cron",
  bind: (db) => {
    const created = db.prepare(
      `INSERT INTO cron_jobs(name, schedule, prompt, model, session, catch_up, timeout_ms, enabled, system, next_at, created_at, updated_at, removed,
         sandbox, approval_mode, owner)
       VALUES (@name, @schedule, @prompt, @model, @session, @catchUp, @timeoutMs, @enabled, @system, @nextAt, @at, @at, 0,
         @sandbox, @approvalMode, @owner)
       ON CONFLICT(name) DO UPDATE SET schedule = @schedule, prompt = @prompt, model = @model, session = @session, catch_up = @catchUp,
         timeout_ms = @timeoutMs, enabled = @enabled, system = @system, next_at = @nextAt, created_at = @at, updated_at = @at, removed = 0,
         sandbox = @sandbox, approval_mode = @approvalMode, owner = @owner,
         last_slot = NULL, last_status = NULL, last_run_id = NULL, runs = 0, skipped = 0`,
    );
    const set = (column: string) => db.prepare(`UPDATE cron_jobs SET ${column} = ?, updated_at = ? WHERE name = ?`);
    const sets = {
      schedule: set("schedule"),
      prompt: set("prompt"),
      model: set("model"),
      session: set("session"),
      catchUp: set("catch_up"),
      timeoutMs: set("timeout_ms"),
      nextAt: set("next_at"),
      enabled: set("enabled"),
      removed: set("removed"),
      sandbox: set("sandbox"),
      approvalMode: set("approval_mode"),
    };
    const claimed = db.prepare(
      `INSERT OR IGNORE INTO cron_runs(name, slot, manual, status, session_key, claimed_at) VALUES (?, ?, ?, 'claimed', ?, ?)`,
    );
    const skipped = db.prepare(
      `INSERT OR IGNORE INTO cron_runs(name, slot, manual, status, claimed_at, count, reason) VALUES (?, ?, 0, 'skipped', ?, ?, ?)`,
    );
    const countSkipped = db.prepare("UPDATE cron_jobs SET skipped = skipped + ? WHERE name = ?");
    const current = db.prepare("SELECT slot, manual FROM cron_runs WHERE name = ? AND slot = ? AND status IN ('claimed', 'running') ");
    const started = db.prepare("UPDATE cron_runs SET status = 'running', run_id = ? WHERE name = ? AND slot = ? AND status = 'claimed'");
    const ended = db.prepare(
      `UPDATE cron_runs SET status = ?, run_id = COALESCE(?, run_id), ended_at = ?, duration_ms = ?, input_tokens = ?, output_tokens = ?, error = ?
       WHERE name = ? AND slot = ? AND status IN ('claimed', 'running')`,
    );
    const last = db.prepare(
      "UPDATE cron_jobs SET last_slot = ?, last_status = ?, last_run_id = COALESCE(?, last_run_id), runs = runs + 1, updated_at = ? WHERE name = ?",
    );
    return (r) => {
      if (!r.ok || r.event.kind !== "cron") return;
      const e = r.event;
      const name = e.aggregateId;
      const at = e.time;
      switch (e.type) {
        case "cron.job.created": {
          const d = e.data;
          created.run({
            name,
            schedule: JSON.stringify(d.schedule),
            prompt: d.prompt,
            model: d.model,
            session: d.session ?? `cron-${name}`,
            catchUp: d.catchUp,
            timeoutMs: d.timeoutMs,
            enabled: d.enabled ? 1 : 0,
            system: d.system ? 1 : 0,
            sandbox: d.sandbox ?? null,
            approvalMode: d.approvalMode ?? null,
            owner: d.owner ?? null,
            nextAt: d.nextAt,
            at,
          });
          break;
        }
        case "cron.job.updated": {
          const d = e.data;
          if (d.schedule) sets.schedule.run(JSON.stringify(d.schedule), at, name);
          if (d.prompt !== undefined) sets.prompt.run(d.prompt, at, name);
          if (d.model !== undefined) sets.model.run(d.model, at, name);
          if (d.session !== undefined) sets.session.run(d.session ?? `cron-${name}`, at, name);
          if (d.catchUp) sets.catchUp.run(d.catchUp, at, name);
          if (d.timeoutMs !== undefined) sets.timeoutMs.run(d.timeoutMs, at, name);
          if (d.sandbox !== undefined) sets.sandbox.run(d.sandbox, at, name);
          if (d.approvalMode !== undefined) sets.approvalMode.run(d.approvalMode, at, name);
          sets.nextAt.run(d.nextAt, at, name);
          break;
        }
        case "cron.job.enabled":
          sets.enabled.run(1, at, name);
          sets.nextAt.run(e.data.nextAt, at, name);
          break;
        case "cron.job.disabled":
          sets.enabled.run(0, at, name);
          sets.nextAt.run(null, at, name);
          break;
        case "cron.job.removed":
          sets.removed.run(1, at, name);
          sets.enabled.run(0, at, name);
          sets.nextAt.run(null, at, name);
          break;
        case "cron.slot.claimed":
          claimed.run(name, e.data.slot, e.data.manual ? 1 : 0, e.data.sessionKey, e.data.at);
          if (!e.data.manual) sets.nextAt.run(e.data.nextAt, at, name);
          break;
        case "cron.slot.skipped":
          if (skipped.run(name, e.data.from, e.data.at, e.data.count, e.data.reason).changes > 0) countSkipped.run(e.data.count, name);
          if (e.data.nextAt !== null) sets.nextAt.run(e.data.nextAt, at, name);
          break;
        case "cron.run.started":
          started.run(e.data.runId, name, e.data.slot);
          break;
        case "cron.run.completed":
        case "cron.run.failed":
        case "cron.run.timed_out": {
          if (!current.get(name, e.data.slot)) break;
          const status = e.type === "cron.run.completed" ? "completed" : e.type === "cron.run.failed" ? "failed" : "timed_out";
          const usage = e.type === "cron.run.completed" ? e.data.usage : null;
          const error = e.type === "cron.run.failed" ? JSON.stringify(e.data.error) : null;
          ended.run(
            status,
            e.data.runId,
            e.data.at,
            e.data.durationMs,
            usage?.inputTokens ?? null,
            usage?.outputTokens ?? null,
            error,
            name,
            e.data.slot,
          );
          last.run(e.data.slot, status, e.data.runId, at, name);
          break;
        }
      }
    };
  },
};
