import type { LogRecord } from "../bus/index.ts";
import type { Projection, Touched } from "./projection.ts";
import { TextValue, decodeRow, decodeRows } from "./rows.ts";

/**
 * The transcript of every session: `q.messages.history`. A reply's text is stored once in the log,
 * in its run's end event (`run.completed`, or the partial text of a failed, interrupted or
 * cancelled run); `session.run_ended` (version 2) only says the session recorded the end. The run's
 * end comes first in the log, so its text waits in `run_replies` until the session's event makes
 * it a message. Should the order ever be the other way round, the reply fills the message in.
 */
export const messagesProjection: Projection = {
  name: "messages",
  bind: (db) => {
    const insert = db.prepare(
      `INSERT OR IGNORE INTO messages(id, session_key, seq, role, text, status, run_id, at, error, attachments)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const removeAll = db.prepare("DELETE FROM messages WHERE session_key = ?");
    const keepReply = db.prepare("INSERT OR REPLACE INTO run_replies(run_id, text) VALUES (?, ?)");
    const takeReply = db.prepare("DELETE FROM run_replies WHERE run_id = ? RETURNING text").pluck();
    const fillReply = db.prepare("UPDATE messages SET text = ? WHERE run_id = ? AND role = 'assistant' RETURNING session_key").pluck();
    // Replies waiting for their session's event, kept here until the commit: the session's event
    // usually follows within the batch, and then the reply never touches run_replies.
    const waiting = new Map<string, string>();
    const apply = (r: LogRecord, touched: Touched) => {
      if (!r.ok) return;
      const e = r.event;
      if (e.type === "run.completed" || e.type === "run.failed" || e.type === "run.interrupted" || e.type === "run.cancelled") {
        const text = e.type === "run.completed" ? e.data.text : e.data.partialText;
        const filled = decodeRows(TextValue, fillReply.all(text, e.aggregateId), "messages.session_key");
        if (filled.length === 0) waiting.set(e.aggregateId, text);
        for (const key of filled) touched.sessions.add(key);
        return;
      }
      if (e.kind !== "session") return;
      if (e.type === "session.user_message") {
        const files = e.data.attachments?.length ? JSON.stringify(e.data.attachments) : null;
        insert.run(e.data.messageId, e.aggregateId, e.seq, "user", e.data.text, "complete", e.data.runId, e.time, null, files);
      } else if (e.type === "session.run_ended") {
        const status = e.data.status === "completed" ? "complete" : e.data.status;
        const error = e.data.error ? JSON.stringify(e.data.error) : null;
        // A run that never started has no end event and so no text.
        const text = takeWaiting(e.data.runId) ?? decodeRow(TextValue, takeReply.get(e.data.runId), "run_replies.text") ?? "";
        insert.run(e.data.messageId, e.aggregateId, e.seq, "assistant", text, status, e.data.runId, e.time, error, null);
      } else if (e.type === "session.forked") {
        // All copies share the fork's sequence; the history keeps them in insertion (rowid) order.
        for (const m of e.data.messages) {
          const files = m.attachments?.length ? JSON.stringify(m.attachments) : null;
          insert.run(m.id, e.aggregateId, e.seq, m.role, m.text, m.status, m.runId, m.at, m.error ? JSON.stringify(m.error) : null, files);
        }
      } else if (e.type === "session.deleted") {
        // A deleted transcript leaves the read model; its forks hold their own copies.
        removeAll.run(e.aggregateId);
      } else return;
      touched.sessions.add(e.aggregateId);
    };
    const takeWaiting = (runId: string): string | undefined => {
      const text = waiting.get(runId);
      waiting.delete(runId);
      return text;
    };
    const flush = () => {
      for (const [runId, text] of waiting) keepReply.run(runId, text);
      waiting.clear();
    };
    return Object.assign(apply, { flush });
  },
};
