import Database from "better-sqlite3";
import { chmodSync, closeSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import * as sqliteVec from "sqlite-vec";

export type MemoryDb = Database.Database;

/**
 * The memory index: a cache of the memory files (they are the truth, not the log), so a layout
 * change simply drops it and `reindex` rebuilds it from the files. Vectors live in sqlite-vec
 * `vec0` tables, one per embedder (a vector space: two models' vectors are never compared), and
 * are mirrored in memory for search (sign bits and int8 copies, see vector.codes.ts). Bits are
 * taken after subtracting the space's `center` (the mean of its first batch of vectors): models'
 * vectors share a common direction, and signs of uncentred vectors say little.
 * 2: the binary tables. 3: no binary tables (the sign bits live in memory).
 */
export const MEMORY_SCHEMA_VERSION = 3;

const DDL = `
CREATE TABLE IF NOT EXISTS files (
  path TEXT PRIMARY KEY, display TEXT NOT NULL UNIQUE, hash TEXT NOT NULL, size INTEGER NOT NULL, indexed_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
  id INTEGER PRIMARY KEY, path TEXT NOT NULL, start_line INTEGER NOT NULL, end_line INTEGER NOT NULL,
  heading TEXT NOT NULL, text TEXT NOT NULL, hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_by_path ON chunks(path);
-- External content: the index holds no second copy of the text; triggers keep it in step.
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
  heading, text, content='chunks', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS chunks_fts_ai AFTER INSERT ON chunks BEGIN
  INSERT INTO chunks_fts(rowid, heading, text) VALUES (new.id, new.heading, new.text);
END;
CREATE TRIGGER IF NOT EXISTS chunks_fts_ad AFTER DELETE ON chunks BEGIN
  INSERT INTO chunks_fts(chunks_fts, rowid, heading, text) VALUES ('delete', old.id, old.heading, old.text);
END;
CREATE TABLE IF NOT EXISTS embedding_cache (
  embedder TEXT NOT NULL, hash TEXT NOT NULL, vector BLOB NOT NULL, PRIMARY KEY (embedder, hash)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS vec_spaces (n INTEGER PRIMARY KEY, embedder TEXT NOT NULL UNIQUE, dims INTEGER NOT NULL, center BLOB);
`;

/** Opens (creating if needed) the memory index, private to its owner, with sqlite-vec loaded. */
export function openMemoryDb(file: string): MemoryDb {
  if (file !== ":memory:") {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    closeSync(openSync(file, "a", 0o600));
    chmodSync(file, 0o600);
  }
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  sqliteVec.load(db);
  if (db.pragma("user_version", { simple: true }) !== MEMORY_SCHEMA_VERSION) {
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type='table' ORDER BY sql NOT LIKE 'CREATE VIRTUAL TABLE%'")
      .pluck()
      .all() as string[];
    db.transaction(() => {
      for (const t of tables) db.exec(`DROP TABLE IF EXISTS "${t}"`);
      db.exec(DDL);
      db.pragma(`user_version = ${MEMORY_SCHEMA_VERSION}`);
    })();
  }
  return db;
}
