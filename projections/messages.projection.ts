import type { Projection } from "./projection.ts";

/** The transcript of every session: `q.messages.history`. */
export const messagesProjection: Projection = {
  name: "messages",
  bind: (db) => {
    const insert = db.prepare(
      `INSERT OR IGNORE INTO messages(id, session_key, seq, role, text, status, run_id, at, error)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const removeAll = db.prepare("DELETE FROM messages WHERE session_key = ?");
    return (r, touched) => {
      if (!r.ok || r.event.kind !== "session") return;
      const e = r.event;
      if (e.type === "session.user_message") {
        insert.run(e.data.messageId, e.aggregateId, e.seq, "user", e.data.text, "complete", e.data.runId, e.time, null);
      } else if (e.type === "session.run_ended") {
        const status = e.data.status === "completed" ? "complete" : e.data.status;
        const error = e.data.error ? JSON.stringify(e.data.error) : null;
        insert.run(e.data.messageId, e.aggregateId, e.seq, "assistant", e.data.text, status, e.data.runId, e.time, error);
      } else if (e.type === "session.forked") {
        // All copies share the fork's sequence; the history keeps them in insertion (rowid) order.
        for (const m of e.data.messages) {
          insert.run(m.id, e.aggregateId, e.seq, m.role, m.text, m.status, m.runId, m.at, m.error ? JSON.stringify(m.error) : null);
        }
      } else if (e.type === "session.deleted") {
        // A deleted transcript leaves the read model; its forks hold their own copies.
        removeAll.run(e.aggregateId);
      } else return;
      touched.sessions.add(e.aggregateId);
    };
  },
};
