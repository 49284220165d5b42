import type { Projection } from "./projection.ts";

/** One row per approval: what asked, for which run, and how (and by whom) it was decided. */
export const approvalsProjection: Projection = {
  name: "approvals",
  bind: (db) => {
    const requested = db.prepare(
      `INSERT OR IGNORE INTO approvals(id, session_key, run_id, call_id, tool, command, reason, status, requested_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
    );
    const decided = db.prepare(
      "UPDATE approvals SET status = ?, decided_at = ?, decided_by = ?, always = ?, deny_reason = ? WHERE id = ? AND status = 'pending'",
    );
    return (r) => {
      if (!r.ok || r.event.kind !== "approval") return;
      const e = r.event;
      const id = e.aggregateId;
      switch (e.type) {
        case "approval.requested":
          requested.run(
            id,
            e.data.sessionKey,
            e.data.runId,
            e.data.callId,
            e.data.tool,
            e.data.command,
            e.data.reason,
            e.time,
            e.data.expiresAt,
          );
          break;
        case "approval.granted":
          decided.run("granted", e.time, e.data.by, e.data.always ? 1 : 0, null, id);
          break;
        case "approval.denied":
          decided.run("denied", e.time, e.data.by, 0, e.data.reason ?? null, id);
          break;
        case "approval.expired":
          decided.run("expired", e.time, null, 0, null, id);
          break;
      }
    };
  },
};
