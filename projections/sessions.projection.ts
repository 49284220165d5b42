import type { Projection } from "./projection.ts";

/** One row per session: the sidebar and `q.sessions.list`. (Its usage totals come from run events: see the runs projection.) */
export const sessionsProjection: Projection = {
  name: "sessions",
  bind: (db) => {
    const insert = db.prepare("INSERT OR IGNORE INTO sessions(key, title, model, created_at, updated_at) VALUES (?, ?, ?, ?, ?)");
    const userMessage = db.prepare(
      `UPDATE sessions SET updated_at = ?, message_count = message_count + 1, active_run_id = ?,
       first_user_text = COALESCE(first_user_text, ?) WHERE key = ?`,
    );
    const runEnded = db.prepare(
      "UPDATE sessions SET updated_at = ?, message_count = message_count + 1, active_run_id = NULL WHERE key = ?",
    );
    // A setting changed: one column, and the session moves up the recency-ordered list.
    const setColumn = (column: "model" | "sandbox" | "node" | "mcp") =>
      db.prepare(`UPDATE sessions SET ${column} = ?, updated_at = ? WHERE key = ?`);
    // Renaming or pinning is not activity: the chat keeps its place in time.
    const renamed = db.prepare("UPDATE sessions SET title = ? WHERE key = ?");
    const pinned = db.prepare("UPDATE sessions SET pinned = ? WHERE key = ?");
    const modelSet = setColumn("model");
    const forked = db.prepare(
      `INSERT OR IGNORE INTO sessions(key, title, model, created_at, updated_at, message_count, first_user_text,
       parent_key, fork_point, label, sandbox, node, mcp) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const sandboxSet = setColumn("sandbox");
    const nodeSet = setColumn("node");
    const mcpSet = setColumn("mcp");
    const json = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));
    // The row stays (forks still name it as their parent); every query leaves it out.
    const deleted = db.prepare("UPDATE sessions SET deleted_at = ? WHERE key = ?");
    return (r, touched) => {
      if (!r.ok || r.event.kind !== "session") return;
      const e = r.event;
      const key = e.aggregateId;
      switch (e.type) {
        case "session.created":
          insert.run(key, e.data.title, e.data.model, e.time, e.time);
          break;
        case "session.user_message":
          userMessage.run(e.time, e.data.runId, e.data.text.slice(0, 200), key);
          break;
        case "session.run_ended":
          runEnded.run(e.time, key);
          break;
        case "session.renamed":
          renamed.run(e.data.title, key);
          break;
        case "session.pinned":
          pinned.run(e.data.pinned ? 1 : 0, key);
          break;
        case "session.model_set":
          modelSet.run(e.data.model, e.time, key);
          break;
        case "session.forked": {
          const d = e.data;
          const firstUser = d.messages.find((m) => m.role === "user")?.text.slice(0, 200) ?? null;
          forked.run(
            key,
            d.title,
            d.model,
            e.time,
            e.time,
            d.messages.length,
            firstUser,
            d.parentKey,
            d.forkPoint,
            d.label,
            d.sandbox,
            d.node ?? null,
            json(d.mcp),
          );
          break;
        }
        case "session.sandbox_set":
          sandboxSet.run(e.data.sandbox, e.time, key);
          break;
        case "session.node_set":
          nodeSet.run(e.data.node, e.time, key);
          break;
        case "session.mcp_set":
          mcpSet.run(json(e.data.mcp), e.time, key);
          break;
        case "session.deleted":
          deleted.run(e.time, key);
          break;
      }
      touched.sessionList = true;
      touched.sessions.add(key);
    };
  },
};
