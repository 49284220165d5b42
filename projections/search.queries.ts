import type { NatsConnection } from "@nats-io/transport-node";
import * as Schema from "effect/Schema";
import { serve, subjects } from "../bus/index.ts";
import {
  MATCH_CLOSE,
  MATCH_OPEN,
  SearchMessages,
  decodeOrFail,
  snippetParts,
  toFtsQuery,
  type MessageHit,
  type SearchMessagesResult,
} from "../schemas/index.ts";
import type { Db } from "./db.ts";
import { decodeRows } from "./rows.ts";
import { serveCompactionQueries } from "./search.compactions.ts";
import { clip } from "./summary.ts";

/**
 * Chat search: `q.search.messages` over the FTS5 index of every message (`messages_fts`, kept by
 * triggers on `messages`, so it is rebuilt from the log with them). Best matches first (bm25),
 * newer first among equals; deleted sessions are gone from `messages` and so from the index.
 */

const HitRow = Schema.Struct({
  session_key: Schema.String,
  id: Schema.String,
  role: Schema.Literals(["user", "assistant"]),
  at: Schema.Number,
  title: Schema.String,
  first_user_text: Schema.NullOr(Schema.String),
  marked: Schema.String,
});

const DEFAULT_LIMIT = 20;
// Words of context either side of a match in a snippet.
const SNIPPET_TOKENS = 16;

const SQL = (bySession: boolean) => `
  SELECT m.session_key, m.id, m.role, m.at, s.title, s.first_user_text,
         snippet(messages_fts, 0, '${MATCH_OPEN}', '${MATCH_CLOSE}', '…', ${SNIPPET_TOKENS}) AS marked
  FROM messages_fts JOIN messages m ON m.rowid = messages_fts.rowid
  JOIN sessions s ON s.key = m.session_key AND s.deleted_at IS NULL
  WHERE messages_fts MATCH ? ${bySession ? "AND m.session_key = ?" : ""}
  ORDER BY bm25(messages_fts), m.at DESC LIMIT ?`;

export const searchMessages = (db: Db, params: SearchMessages): MessageHit[] => {
  const match = toFtsQuery(params.query);
  if (!match) return [];
  const limit = params.limit ?? DEFAULT_LIMIT;
  const rows = params.sessionKey ? db.prepare(SQL(true)).all(match, params.sessionKey, limit) : db.prepare(SQL(false)).all(match, limit);
  return decodeRows(HitRow, rows, "messages_fts").map((r) => ({
    sessionKey: r.session_key,
    sessionTitle: r.title || (r.first_user_text ? clip(r.first_user_text, 60) : "New chat"),
    messageId: r.id,
    role: r.role,
    at: r.at,
    snippet: snippetParts(r.marked),
  }));
};

/** Answers `q.search.messages` and `q.search.compactions`. */
export const serveSearchQueries = (nc: NatsConnection, getDb: () => Db, checkpoint: () => number) => [
  ...serveCompactionQueries(nc, getDb, checkpoint),
  serve(nc, subjects.query("search", "messages"), (p): SearchMessagesResult => {
    const params = decodeOrFail(SearchMessages, p, "search.query params");
    return { hits: searchMessages(getDb(), params), checkpoint: checkpoint() };
  }),
];
