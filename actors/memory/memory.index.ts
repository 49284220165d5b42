import type BetterSqlite3 from "better-sqlite3";
import * as Schema from "effect/Schema";
import { CairnError, toFtsQuery } from "../../schemas/index.ts";
import type { Chunk } from "./chunker.ts";
import type { EmbeddingCache } from "./embedder.chain.ts";
import type { MemoryDb } from "./memory.db.ts";
import { SpaceCodes, vectorOf } from "./vector.spaces.ts";

/**
 * The memory index's reads and writes: files and their chunks (FTS5 follows by trigger), vectors
 * per embedder in sqlite-vec (the truth) mirrored in memory for search (`VectorCodes`), and the
 * embedding cache. Rows are decoded where they are read.
 */

export const ChunkRow = Schema.Struct({
  id: Schema.Number,
  display: Schema.String,
  start_line: Schema.Number,
  end_line: Schema.Number,
  heading: Schema.String,
  text: Schema.String,
});
export type ChunkRow = typeof ChunkRow.Type;
const IdRow = Schema.Struct({ id: Schema.Number });
const FileRow = Schema.Struct({ path: Schema.String, display: Schema.String, hash: Schema.String });
const SpaceRow = Schema.Struct({ n: Schema.Number, embedder: Schema.String, dims: Schema.Number });

const decode = <S extends Schema.ConstraintDecoder<unknown>>(schema: S, rows: readonly unknown[], what: string): S["Type"][] => {
  const d = Schema.decodeUnknownSync(schema as Schema.ConstraintDecoder<S["Type"]>);
  return rows.map((r) => {
    try {
      return d(r);
    } catch (e) {
      throw new CairnError("internal", `a ${what} row of the memory index has the wrong shape: ${(e as Error).message}`);
    }
  });
};

/**
 * Candidates the sign-bit scan keeps for rescoring (at least; more when more results are wanted):
 * recall against the exact top 10 is measured by bench/memory.bench.ts; below this many vectors
 * every one is rescored.
 */
export const RESCORE = 500;
/** Chunks a keyword search scores at most, unless its rarest word alone matches more (see keywordQuery). */
export const KEYWORD_ROWS = 30_000;
const blob = (v: Float32Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
/** LIKE with the prefix taken literally. */
const likePrefix = (p: string) => `${p.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

type Statement = BetterSqlite3.Statement<unknown[]>;

export class MemoryIndex {
  constructor(readonly db: MemoryDb) {}

  /** Prepared statements by SQL: preparing one over vec0 costs more than a small search. */
  readonly #statements = new Map<string, Statement>();
  private sql(text: string): Statement {
    let st = this.#statements.get(text);
    if (!st) {
      st = this.db.prepare(text);
      this.#statements.set(text, st);
    }
    return st;
  }

  file(path: string): { path: string; display: string; hash: string } | undefined {
    return decode(FileRow, this.db.prepare("SELECT path, display, hash FROM files WHERE path = ?").all(path), "files")[0];
  }

  files(): { path: string; display: string; hash: string }[] {
    return decode(FileRow, this.db.prepare("SELECT path, display, hash FROM files ORDER BY display").all(), "files");
  }

  /** Replaces a file's chunks in one transaction; answers the new chunk ids in order. */
  replaceFile(
    f: { path: string; display: string; hash: string; size: number; now: number },
    chunks: readonly (Chunk & { hash: string })[],
  ): number[] {
    return this.transaction(() => {
      this.deleteChunks(f.path);
      this.db
        .prepare(
          `INSERT INTO files(path, display, hash, size, indexed_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT(path) DO UPDATE SET display = excluded.display, hash = excluded.hash, size = excluded.size, indexed_at = excluded.indexed_at`,
        )
        .run(f.path, f.display, f.hash, f.size, f.now);
      const insert = this.db.prepare("INSERT INTO chunks(path, start_line, end_line, heading, text, hash) VALUES (?, ?, ?, ?, ?, ?)");
      return chunks.map((c) => Number(insert.run(f.path, c.startLine, c.endLine, c.heading, c.text, c.hash).lastInsertRowid));
    });
  }

  removeFile(path: string): boolean {
    return this.transaction(() => {
      this.deleteChunks(path);
      return this.db.prepare("DELETE FROM files WHERE path = ?").run(path).changes > 0;
    });
  }

  private deleteChunks(path: string): void {
    const ids = decode(IdRow, this.db.prepare("SELECT id FROM chunks WHERE path = ?").all(path), "chunks").map((r) => r.id);
    for (const s of this.spaces()) {
      const del = this.db.prepare(`DELETE FROM vec_${s.n} WHERE rowid = ?`);
      for (const id of ids) del.run(BigInt(id));
      this.afterCommit(() => {
        const codes = this.#vectors.of(s.n);
        for (const id of ids) codes?.remove(id);
      });
    }
    this.db.prepare("DELETE FROM chunks WHERE path = ?").run(path);
  }

  /**
   * The in-memory codes follow SQLite only once a write commits: a rolled-back write drops them
   * all instead (the next search loads them again), so they never hold what the table does not.
   */
  #pending: (() => void)[] = [];
  private afterCommit(f: () => void): void {
    this.#pending.push(f);
  }
  private transaction<T>(f: () => T): T {
    this.#rows = undefined;
    this.#matching.clear();
    try {
      const out = this.db.transaction(f)();
      for (const g of this.#pending) g();
      return out;
    } catch (e) {
      this.#vectors.clear();
      throw e;
    } finally {
      this.#pending = [];
    }
  }

  spaces(): { n: number; embedder: string; dims: number }[] {
    return decode(SpaceRow, this.sql("SELECT n, embedder, dims FROM vec_spaces ORDER BY n").all(), "vec_spaces");
  }

  /** The vec0 table of an embedder, made on its first vectors (their length fixes the dimensions). */
  private space(embedder: string, dims: number): number {
    const found = this.spaces().find((s) => s.embedder === embedder);
    if (found) {
      if (found.dims !== dims)
        throw new CairnError("provider_error", `${embedder} answered ${dims} dimensions, it used to answer ${found.dims}`);
      return found.n;
    }
    const n = Number(this.db.prepare("INSERT INTO vec_spaces(embedder, dims) VALUES (?, ?)").run(embedder, dims).lastInsertRowid);
    this.db.exec(`CREATE VIRTUAL TABLE vec_${n} USING vec0(embedding float[${dims}] distance_metric=cosine)`);
    return n;
  }

  /** Stores vectors of chunks that still exist (a file may have changed while they were computed). */
  storeVectors(embedder: string, ids: readonly number[], vectors: readonly Float32Array[]): number {
    if (ids.length === 0) return 0;
    return this.transaction(() => {
      const n = this.space(embedder, vectors[0].length);
      const exists = this.db.prepare("SELECT 1 FROM chunks WHERE id = ?").pluck();
      const put = this.db.prepare(`INSERT OR REPLACE INTO vec_${n}(rowid, embedding) VALUES (?, ?)`);
      this.center(n, vectors);
      const stored: number[] = [];
      ids.forEach((id, i) => {
        if (exists.get(id) === undefined) return;
        put.run(BigInt(id), blob(vectors[i]));
        stored.push(i);
      });
      this.afterCommit(() => {
        const codes = this.#vectors.of(n);
        for (const i of stored) codes?.put(ids[i], vectors[i]);
      });
      return stored.length;
    });
  }

  /** Chunks without a vector in an embedder's space (all of them when it has none yet). */
  missingVectors(embedder: string, limit: number): { id: number; text: string }[] {
    const s = this.spaces().find((x) => x.embedder === embedder);
    const sql = s
      ? `SELECT id, text FROM chunks WHERE id NOT IN (SELECT rowid FROM vec_${s.n}) ORDER BY id LIMIT ?`
      : "SELECT id, text FROM chunks ORDER BY id LIMIT ?";
    return decode(Schema.Struct({ id: Schema.Number, text: Schema.String }), this.db.prepare(sql).all(limit), "chunks");
  }

  /**
   * The FTS5 query for a question (any word, see toFtsQuery): its rarest words, as many as match
   * KEYWORD_ROWS chunks together (at least one). bm25 is the cost of a keyword search (~1 µs a
   * matching row, every one scored), and a common word adds many rows for little rank: a word in
   * over half the chunks has an idf of ~0 (FTS5 clamps log((N − n + 0.5) / (n + 0.5)) ≤ 0), so it
   * never goes in while a rarer word is there; words past the budget are the commonest ones left,
   * and bench/memory.bench.ts measures how often that changes the top 10.
   */
  keywordQuery(text: string): string | undefined {
    const found = text.match(/[\p{L}\p{N}_]+/gu);
    if (!found) return undefined;
    const words = [...new Set(found.slice(0, 32))];
    this.#rows ??= Number(this.sql("SELECT count(*) FROM chunks").pluck().get());
    const count = this.sql("SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ?").pluck();
    const df = (w: string) => {
      const known = this.#matching.get(w);
      if (known !== undefined) return known;
      if (this.#matching.size >= 50_000) this.#matching.clear();
      const n = Number(count.get(`"${w}"`));
      this.#matching.set(w, n);
      return n;
    };
    const half = this.#rows / 2;
    const byRarity = words.toSorted((a, b) => df(a) - df(b));
    const pool = df(byRarity[0]) <= half ? byRarity.filter((w) => df(w) <= half) : byRarity;
    const kept: string[] = [];
    let rows = 0;
    for (const w of pool) {
      if (kept.length > 0 && rows + df(w) > KEYWORD_ROWS) break;
      kept.push(w);
      rows += df(w);
    }
    return toFtsQuery(kept.join(" "), { prefix: false, all: false });
  }
  /** Chunks counted once, and chunks matching a word, for keywordQuery; dropped by every write. */
  #rows: number | undefined;
  readonly #matching = new Map<string, number>();

  /** Chunk ids, best bm25 first (the heading weighs double). */
  ftsSearch(match: string, limit: number, prefix?: string): number[] {
    // Without a path filter FTS5 ranks alone (no join per matching row, only for the `limit` kept).
    const rows = prefix
      ? this.sql(
          `SELECT c.id FROM chunks_fts JOIN chunks c ON c.id = chunks_fts.rowid JOIN files f ON f.path = c.path
             WHERE chunks_fts MATCH ? AND f.display LIKE ? ESCAPE '\\' ORDER BY bm25(chunks_fts, 2.0, 1.0), c.id LIMIT ?`,
        ).all(match, likePrefix(prefix), limit)
      : this.sql("SELECT rowid AS id FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY bm25(chunks_fts, 2.0, 1.0), rowid LIMIT ?").all(
          match,
          limit,
        );
    return decode(IdRow, rows, "chunks_fts").map((r) => r.id);
  }

  /** The space's center, fixed by its first batch (the mean of those vectors). */
  private center(n: number, first: readonly Float32Array[]): Float32Array | null {
    const had = this.sql("SELECT center FROM vec_spaces WHERE n = ?").pluck().get(n);
    if (Buffer.isBuffer(had)) return vectorOf(had);
    if (first.length === 0) return null;
    const mean = new Float32Array(first[0].length);
    for (const v of first) for (let i = 0; i < mean.length; i++) mean[i] += v[i] / first.length;
    this.db.prepare("UPDATE vec_spaces SET center = ? WHERE n = ?").run(blob(mean), n);
    return mean;
  }

  /** Spaces' vectors in memory, kept in step by the writes (see SpaceCodes). */
  readonly #vectors = new SpaceCodes({
    sql: (text) => this.sql(text),
    spaces: () => this.spaces(),
    center: (n) => this.center(n, []),
    open: () => this.db.open,
  });

  /** Vectors of the spaces not all in memory yet, by their tables (a count: for the start, not for status). */
  vectorsToLoad(): number {
    return this.#vectors.toLoad();
  }

  /** Loads those spaces' vectors into memory, in slices behind the caller; how many they hold then. */
  loadVectors(): Promise<number> {
    return this.#vectors.loadAll();
  }

  /** A space's vectors in memory (its codes are kept in step with its table: all of it once loaded). */
  vectorsLoaded(embedder: string): { loaded: number; loading: boolean } {
    const s = this.spaces().find((x) => x.embedder === embedder);
    return s ? this.#vectors.status(s.n) : { loaded: 0, loading: false };
  }

  /**
   * Chunk ids, nearest first by cosine distance, in the embedder's space: a scan of the in-memory
   * sign bits keeps `rescore` candidates (RESCORE at least), rescored over their int8
   * copies (see VectorCodes). `exact` asks sqlite-vec's float KNN instead: the reference answer
   * the bench measures recall against, too slow for large spaces (a scan of every float).
   */
  vectorSearch(
    embedder: string,
    query: Float32Array,
    limit: number,
    prefix?: string,
    o: { exact?: boolean; rescore?: number } = {},
  ): number[] {
    const s = this.spaces().find((x) => x.embedder === embedder);
    if (!s || s.dims !== query.length) return [];
    // KNN first, the path filter after: ask for more when a filter will drop some.
    const k = prefix ? Math.min(limit * 8, 4096) : limit;
    let ids: number[];
    if (o.exact) {
      // vec0 wants its KNN query alone (one MATCH, one ORDER BY distance), so a filter comes after.
      const rows = this.sql(`SELECT rowid AS id FROM vec_${s.n} WHERE embedding MATCH ? AND k = ? ORDER BY distance`).all(blob(query), k);
      ids = decode(IdRow, rows, "vec0").map((r) => r.id);
    } else {
      const codes = this.#vectors.whole(s);
      ids = codes
        ? codes.search(query, k, Math.max(o.rescore ?? RESCORE, k * 4)).map((x) => x.id)
        : this.vectorSearch(embedder, query, k, undefined, { exact: true });
    }
    if (!prefix) return ids.slice(0, limit);
    const found = this.chunks(ids);
    return ids.filter((id) => found.get(id)?.display.startsWith(prefix)).slice(0, limit);
  }

  chunks(ids: readonly number[]): Map<number, ChunkRow> {
    const get = this.sql(
      "SELECT c.id, f.display, c.start_line, c.end_line, c.heading, c.text FROM chunks c JOIN files f ON f.path = c.path WHERE c.id = ?",
    );
    const out = new Map<number, ChunkRow>();
    for (const id of ids) {
      const [row] = decode(ChunkRow, [get.get(id)].filter(Boolean), "chunks");
      if (row) out.set(id, row);
    }
    return out;
  }

  counts(embedder: string | null): { files: number; chunks: number; vectors: number; cached: number } {
    const one = (sql: string) => Number(this.db.prepare(sql).pluck().get());
    const s = embedder ? this.spaces().find((x) => x.embedder === embedder) : undefined;
    return {
      files: one("SELECT count(*) FROM files"),
      chunks: one("SELECT count(*) FROM chunks"),
      vectors: s ? one(`SELECT count(*) FROM vec_${s.n}`) : 0,
      cached: one("SELECT count(*) FROM embedding_cache"),
    };
  }

  readonly cache: EmbeddingCache = {
    get: (embedder, hashes) => {
      const get = this.db.prepare("SELECT vector FROM embedding_cache WHERE embedder = ? AND hash = ?").pluck();
      const out = new Map<string, Float32Array>();
      for (const h of hashes) {
        const b = get.get(embedder, h);
        if (Buffer.isBuffer(b)) out.set(h, vectorOf(b));
      }
      return out;
    },
    put: (embedder, entries) => {
      const put = this.db.prepare("INSERT OR REPLACE INTO embedding_cache(embedder, hash, vector) VALUES (?, ?, ?)");
      this.db.transaction(() => {
        for (const [h, v] of entries) put.run(embedder, h, blob(v));
      })();
    },
  };
}
