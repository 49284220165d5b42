import type { Projection } from "./projection.ts";

/** The transcript of every session: `q.messages.history`. */
export const messagesProjection: Projection = {
  name: "messages",
  bind: (db) => {
    const insert = db.prepare(
      `INSERT OR IGNORE INTO messages(id, session_key, seq, role, text, status, run_id, at, error)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    return (r, touched) => {
      if (!r.ok || r.event.kind !== "session") return;
      const e = r.event;
      if (e.type === "session.user_message") {
        insert.run(e.data.messageId, e.aggregateId, e.seq, "user", e.data.text, "complete", e.data.runId, e.time, null);
      } else if (e.type === "session.run_ended") {
        const status = e.data.status === "completed" ? "complete" : e.data.status;
        const error = e.data.error ? JSON.stringify(e.data.error) : null;
        insert.run(e.data.messageId, e.aggregateId, e.seq, "assistant", e.data.text, status, e.data.runId, e.time, error);
      } else return;
      touched.sessions.add(e.aggregateId);
    };
  },
};
