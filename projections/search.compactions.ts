import type { NatsConnection } from "@nats-io/transport-node";
import * as Schema from "effect/Schema";
import { serve, subjects } from "../bus/index.ts";
import { ListCompactions, decodeOrFail, type CompactionView, type ListCompactionsResult } from "../schemas/index.ts";
import type { Db } from "./db.ts";
import type { Projection } from "./projection.ts";
import { decodeRows } from "./rows.ts";

/**
 * Compactions as the chat shows them (a divider with the summary after the last message it
 * replaced). The messages themselves stay in `messages` and its search index: a compaction only
 * changes what prompts send, never what a person can find.
 */
export const compactionsProjection: Projection = {
  name: "compactions",
  bind: (db) => {
    const insert = db.prepare(
      `INSERT OR IGNORE INTO compactions(compaction_id, session_key, seq, at, summary, through_message_id, messages,
         tokens_before, tokens_after, model, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const removeAll = db.prepare("DELETE FROM compactions WHERE session_key = ?");
    return (r, touched) => {
      if (!r.ok) return;
      const e = r.event;
      if (e.type === "session.compacted") {
        const d = e.data;
        insert.run(
          d.compactionId,
          e.aggregateId,
          e.seq,
          e.time,
          d.summary,
          d.throughMessageId,
          d.messages,
          d.tokensBefore,
          d.tokensAfter,
          d.model,
          d.runId,
        );
      } else if (e.type === "session.deleted") {
        removeAll.run(e.aggregateId);
      } else return;
      touched.sessions.add(e.aggregateId);
    };
  },
};

const Row = Schema.Struct({
  compaction_id: Schema.String,
  at: Schema.Number,
  summary: Schema.String,
  through_message_id: Schema.String,
  messages: Schema.Number,
  tokens_before: Schema.Number,
  tokens_after: Schema.Number,
  model: Schema.String,
  run_id: Schema.NullOr(Schema.String),
});

/** A session's compactions, oldest first (bounded: a session compacts once per window's worth of turns). */
export const listCompactions = (db: Db, sessionKey: string, limit = 500): CompactionView[] =>
  decodeRows(
    Row,
    db.prepare("SELECT * FROM compactions WHERE session_key = ? ORDER BY seq LIMIT ?").all(sessionKey, limit),
    "compactions",
  ).map((r) => ({
    compactionId: r.compaction_id,
    at: r.at,
    summary: r.summary,
    throughMessageId: r.through_message_id,
    messages: r.messages,
    tokensBefore: r.tokens_before,
    tokensAfter: r.tokens_after,
    model: r.model,
    runId: r.run_id,
  }));

/** Answers `q.search.compactions`. */
export const serveCompactionQueries = (nc: NatsConnection, getDb: () => Db, checkpoint: () => number) => [
  serve(nc, subjects.query("search", "compactions"), (p): ListCompactionsResult => {
    const params = decodeOrFail(ListCompactions, p, "chat.compactions params");
    return { compactions: listCompactions(getDb(), params.sessionKey), checkpoint: checkpoint() };
  }),
];
