import Database from "better-sqlite3";
import { chmodSync, closeSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import * as Schema from "effect/Schema";
import { METRICS_DDL } from "./metrics.ddl.ts";
import { decodeRow, decodeRows } from "./rows.ts";

export type Db = Database.Database;

/**
 * The read-model schema. Everything here is derived from the log and may be deleted at any time;
 * a schema change bumps SCHEMA_VERSION, which makes the projector rebuild from sequence 1.
 */
export const SCHEMA_VERSION = 21;

const DDL = `
CREATE TABLE IF NOT EXISTS checkpoints (name TEXT PRIMARY KEY, seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
  key TEXT PRIMARY KEY, title TEXT NOT NULL, model TEXT, created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL, message_count INTEGER NOT NULL DEFAULT 0, active_run_id TEXT,
  first_user_text TEXT,
  runs INTEGER NOT NULL DEFAULT 0, input_tokens INTEGER NOT NULL DEFAULT 0,
  output_tokens INTEGER NOT NULL DEFAULT 0, cache_read_tokens INTEGER NOT NULL DEFAULT 0,
  cache_write_tokens INTEGER NOT NULL DEFAULT 0,
  parent_key TEXT, fork_point INTEGER, label TEXT, sandbox TEXT, deleted_at INTEGER, node TEXT,
  mcp TEXT, pinned INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS sessions_recent ON sessions(pinned DESC, updated_at DESC);
CREATE INDEX IF NOT EXISTS sessions_active ON sessions(active_run_id) WHERE active_run_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS messages (
  id TEXT NOT NULL, session_key TEXT NOT NULL, seq INTEGER NOT NULL, role TEXT NOT NULL,
  text TEXT NOT NULL, status TEXT NOT NULL, run_id TEXT, at INTEGER NOT NULL, error TEXT,
  attachments TEXT,
  PRIMARY KEY (session_key, id)
);
CREATE INDEX IF NOT EXISTS messages_by_session ON messages(session_key, seq);
-- A run's end fills its reply into the message (messages.projection.ts): without this, a scan per run.
CREATE INDEX IF NOT EXISTS messages_by_run ON messages(run_id);
-- Chat search (search.queries.ts): an FTS5 index over messages.text that stores no copy of the
-- text (external content); the triggers keep it in the same transaction as the messages.
CREATE VIRTUAL TABLE IF NOT EXISTS messages_fts USING fts5(
  text, content='messages', content_rowid='rowid', tokenize='porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS messages_fts_ai AFTER INSERT ON messages BEGIN
  INSERT INTO messages_fts(rowid, text) VALUES (new.rowid, new.text);
END;
CREATE TRIGGER IF NOT EXISTS messages_fts_ad AFTER DELETE ON messages BEGIN
  INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
END;
CREATE TRIGGER IF NOT EXISTS messages_fts_au AFTER UPDATE OF text ON messages BEGIN
  INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
  INSERT INTO messages_fts(rowid, text) VALUES (new.rowid, new.text);
END;
-- The summaries that replaced older turns in prompts (search.compactions.ts): the chat's dividers.
CREATE TABLE IF NOT EXISTS compactions (
  compaction_id TEXT PRIMARY KEY, session_key TEXT NOT NULL, seq INTEGER NOT NULL, at INTEGER NOT NULL,
  summary TEXT NOT NULL, through_message_id TEXT NOT NULL, messages INTEGER NOT NULL,
  tokens_before INTEGER NOT NULL, tokens_after INTEGER NOT NULL, model TEXT NOT NULL, run_id TEXT
);
CREATE INDEX IF NOT EXISTS compactions_by_session ON compactions(session_key, seq);
CREATE TABLE IF NOT EXISTS run_replies (run_id TEXT PRIMARY KEY, text TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
  run_id TEXT PRIMARY KEY, session_key TEXT NOT NULL, model TEXT NOT NULL, status TEXT NOT NULL,
  started_at INTEGER NOT NULL, ended_at INTEGER, input_tokens INTEGER, output_tokens INTEGER,
  cache_read_tokens INTEGER, cache_write_tokens INTEGER, finish_reason TEXT, error TEXT,
  switches INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS runs_by_session ON runs(session_key, started_at);
CREATE TABLE IF NOT EXISTS audit (
  seq INTEGER PRIMARY KEY, time INTEGER NOT NULL, kind TEXT NOT NULL, aggregate_id TEXT NOT NULL,
  type TEXT NOT NULL, event_id TEXT NOT NULL, correlation_id TEXT, causation_id TEXT,
  summary TEXT NOT NULL, data TEXT, error TEXT,
  actor TEXT, category TEXT, session_key TEXT, run_id TEXT, call_id TEXT
);
-- cairn audit: causation chains are walked by event id; filters by session, run and decision.
CREATE INDEX IF NOT EXISTS audit_by_event ON audit(event_id);
CREATE INDEX IF NOT EXISTS audit_by_aggregate ON audit(kind, aggregate_id, seq);
CREATE INDEX IF NOT EXISTS audit_by_session ON audit(session_key, seq) WHERE session_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS audit_by_run ON audit(run_id, seq) WHERE run_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS audit_decisions ON audit(category, seq) WHERE category IS NOT NULL;
-- The events explorer: a tool call's events, and what an event caused (its causation tree).
CREATE INDEX IF NOT EXISTS audit_by_call ON audit(run_id, call_id, seq) WHERE call_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS audit_by_cause ON audit(causation_id, seq) WHERE causation_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS approvals (
  id TEXT PRIMARY KEY, session_key TEXT NOT NULL, run_id TEXT NOT NULL, call_id TEXT NOT NULL,
  tool TEXT NOT NULL, command TEXT NOT NULL, reason TEXT NOT NULL, status TEXT NOT NULL,
  requested_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, decided_at INTEGER, decided_by TEXT,
  always INTEGER NOT NULL DEFAULT 0, deny_reason TEXT
);
CREATE INDEX IF NOT EXISTS approvals_recent ON approvals(status, requested_at DESC);
CREATE TABLE IF NOT EXISTS tool_calls (
  run_id TEXT NOT NULL, call_id TEXT NOT NULL, session_key TEXT NOT NULL, name TEXT NOT NULL,
  arguments TEXT NOT NULL, status TEXT NOT NULL, requested_at INTEGER NOT NULL, started_at INTEGER,
  ended_at INTEGER, duration_ms INTEGER, output TEXT, truncated INTEGER NOT NULL DEFAULT 0,
  is_error INTEGER NOT NULL DEFAULT 0, full_output TEXT, approval_id TEXT, iteration INTEGER NOT NULL, text_offset INTEGER,
  PRIMARY KEY (run_id, call_id)
);
CREATE INDEX IF NOT EXISTS tool_calls_by_session ON tool_calls(session_key, requested_at);
CREATE TABLE IF NOT EXISTS nodes (
  node_id TEXT PRIMARY KEY, name TEXT NOT NULL, fingerprint TEXT NOT NULL, public_key TEXT NOT NULL,
  status TEXT NOT NULL, request_id TEXT, requested_at INTEGER, approved_at INTEGER, revoked_at INTEGER,
  decided_by TEXT, address TEXT, hostname TEXT NOT NULL, platform TEXT NOT NULL, working_dir TEXT NOT NULL,
  alerts TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS nodes_by_request ON nodes(request_id);
CREATE TABLE IF NOT EXISTS auth_keys (
  id TEXT PRIMARY KEY, label TEXT NOT NULL, scopes TEXT NOT NULL, hash TEXT NOT NULL UNIQUE, prefix TEXT NOT NULL,
  created_at INTEGER NOT NULL, created_by TEXT NOT NULL, revoked_at INTEGER
);
CREATE TABLE IF NOT EXISTS auth_sessions (
  id TEXT PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE, method TEXT NOT NULL, created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL, address TEXT NOT NULL, client TEXT NOT NULL, revoked_at INTEGER
);
CREATE TABLE IF NOT EXISTS auth_passkeys (id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at INTEGER NOT NULL, last_used_at INTEGER);
CREATE TABLE IF NOT EXISTS auth_password (id INTEGER PRIMARY KEY CHECK (id = 1), changed_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS cron_jobs (
  name TEXT PRIMARY KEY, schedule TEXT NOT NULL, prompt TEXT NOT NULL, model TEXT, session TEXT NOT NULL,
  catch_up TEXT NOT NULL, timeout_ms INTEGER NOT NULL, enabled INTEGER NOT NULL, system INTEGER NOT NULL, next_at INTEGER,
  last_slot INTEGER, last_status TEXT, last_run_id TEXT, runs INTEGER NOT NULL DEFAULT 0, skipped INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, removed INTEGER NOT NULL DEFAULT 0,
  sandbox TEXT, approval_mode TEXT, owner TEXT
);
CREATE TABLE IF NOT EXISTS cron_runs (
  name TEXT NOT NULL, slot INTEGER NOT NULL, manual INTEGER NOT NULL, status TEXT NOT NULL, run_id TEXT, session_key TEXT,
  claimed_at INTEGER NOT NULL, ended_at INTEGER, duration_ms INTEGER, input_tokens INTEGER, output_tokens INTEGER,
  count INTEGER NOT NULL DEFAULT 1, reason TEXT, error TEXT, PRIMARY KEY (name, slot, manual)
);
CREATE INDEX IF NOT EXISTS cron_runs_open ON cron_runs(name) WHERE status IN ('claimed', 'running');
CREATE INDEX IF NOT EXISTS cron_jobs_next ON cron_jobs(next_at) WHERE removed = 0;
CREATE TABLE IF NOT EXISTS channel_senders (
  channel TEXT NOT NULL, user_id TEXT NOT NULL, name TEXT NOT NULL, chat_id TEXT NOT NULL, status TEXT NOT NULL,
  first_seen INTEGER NOT NULL, decided_at INTEGER, decided_by TEXT, messages INTEGER NOT NULL DEFAULT 0, last_at INTEGER,
  access TEXT,
  PRIMARY KEY (channel, user_id)
);
`;

const TableName = Schema.Struct({ name: Schema.String });

/**
 * The read models hold every chat: the file and its -wal/-shm are 0600 in a 0700 folder. SQLite
 * creates -wal and -shm with the database file's own mode, so the file is made (or tightened)
 * first; an existing -wal/-shm from an older install is tightened too.
 */
function makePrivate(file: string): void {
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  closeSync(openSync(file, "a", 0o600));
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      chmodSync(f, 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
  }
}

/** Opens (creating if needed) a projection database in WAL mode, private to its owner. */
export function openDb(file: string): { db: Db; fresh: boolean } {
  makePrivate(file);
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("foreign_keys = ON");
  const version = decodeRow(Schema.Number, db.pragma("user_version", { simple: true }), "user_version");
  let fresh = false;
  if (version !== SCHEMA_VERSION) {
    // An older layout is simply dropped: the log rebuilds it. Virtual tables (FTS5) go first, taking
    // their shadow tables with them; a shadow table dropped alone would leave a broken index.
    const tables = decodeRows(
      TableName,
      db.prepare("SELECT name FROM sqlite_master WHERE type='table' ORDER BY sql NOT LIKE 'CREATE VIRTUAL TABLE%'").all(),
      "sqlite_master",
    );
    db.transaction(() => {
      for (const t of tables) db.exec(`DROP TABLE IF EXISTS "${t.name}"`);
      db.exec(DDL + METRICS_DDL);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    })();
    fresh = true;
  }
  return { db, fresh };
}

const SEARCH_TRIGGERS = ["messages_fts_ai", "messages_fts_ad", "messages_fts_au"] as const;

/**
 * Indexes only the queries read (no projection looks rows up by them while applying): a fresh
 * fill sorts each one once at the end instead of updating it row by row — on a million events
 * the audit table's six alone cost more than its inserts.
 */
const QUERY_INDEXES = [
  "sessions_recent",
  "messages_by_session",
  "runs_by_session",
  "audit_by_event",
  "audit_by_session",
  "audit_by_run",
  "audit_decisions",
  "audit_by_call",
  "audit_by_cause",
  "approvals_recent",
  "tool_calls_by_session",
] as const;

/**
 * For a database being filled from scratch (a rebuild, a replay): the chat search index is not
 * kept up to date message by message — its triggers cost about a quarter of a replay (FTS5
 * tokenizes each insert and update) — nor are the indexes only queries use; `buildDeferredIndexes`
 * builds them all once at the end, from the finished tables.
 */
export function deferIndexes(db: Db): void {
  for (const t of SEARCH_TRIGGERS) db.exec(`DROP TRIGGER IF EXISTS ${t}`);
  for (const i of QUERY_INDEXES) db.exec(`DROP INDEX IF EXISTS ${i}`);
}

/** Builds the search index and the query indexes, and puts the search triggers back (after `deferIndexes`). */
export function buildDeferredIndexes(db: Db): void {
  db.transaction(() => {
    db.exec("INSERT INTO messages_fts(messages_fts) VALUES ('rebuild')");
    db.exec(DDL);
  })();
}

/**
 * A throwaway read-model database in memory, with the current layout: what a time-travel view
 * folds one session's events into (the live projections' own code, none of their files).
 */
export function openMemoryDb(): Db {
  const db = new Database(":memory:");
  db.pragma("foreign_keys = ON");
  db.exec(DDL + METRICS_DDL);
  return db;
}

const CheckpointSeq = Schema.Number;

export const getCheckpoint = (db: Db, name: string): number =>
  decodeRow(CheckpointSeq, db.prepare("SELECT seq FROM checkpoints WHERE name = ?").pluck().get(name), "checkpoints.seq") ?? 0;

/** Writes a projection's checkpoint; the statement is prepared once, the writer runs on every commit. */
export const checkpointWriter = (db: Db): ((name: string, seq: number) => void) => {
  const upsert = db.prepare("INSERT INTO checkpoints(name, seq) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET seq = excluded.seq");
  return (name, seq) => void upsert.run(name, seq);
};
