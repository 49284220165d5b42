import type BetterSqlite3 from "better-sqlite3";
import * as Schema from "effect/Schema";
import { CairnError } from "../../schemas/index.ts";
import type { Chunk } from "./chunker.ts";
import type { EmbeddingCache } from "./embedder.chain.ts";
import type { MemoryDb } from "./memory.db.ts";

/**
 * The memory index's reads and writes: files and their chunks (FTS5 follows by trigger), vectors
 * per embedder in sqlite-vec, and the embedding cache. Rows are decoded where they are read.
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

/** From this many vectors a space is searched over its sign bits first, then rescored exactly. */
export const BINARY_FROM = 20_000;
/** Candidates the binary step keeps per result wanted. */
export const OVERSAMPLE = 2;

const blob = (v: Float32Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
const vector = (b: Buffer) => new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
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
    return this.db.transaction(() => {
      this.deleteChunks(f.path);
      this.db
        .prepare(
          `INSERT INTO files(path, display, hash, size, indexed_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT(path) DO UPDATE SET display = excluded.display, hash = excluded.hash, size = excluded.size, indexed_at = excluded.indexed_at`,
        )
        .run(f.path, f.display, f.hash, f.size, f.now);
      const insert = this.db.prepare("INSERT INTO chunks(path, start_line, end_line, heading, text, hash) VALUES (?, ?, ?, ?, ?, ?)");
      return chunks.map((c) => Number(insert.run(f.path, c.startLine, c.endLine, c.heading, c.text, c.hash).lastInsertRowid));
    })();
  }

  removeFile(path: string): boolean {
    return this.db.transaction(() => {
      this.deleteChunks(path);
      return this.db.prepare("DELETE FROM files WHERE path = ?").run(path).changes > 0;
    })();
  }

  private deleteChunks(path: string): void {
    const ids = decode(IdRow, this.db.prepare("SELECT id FROM chunks WHERE path = ?").all(path), "chunks").map((r) => BigInt(r.id));
    for (const s of this.spaces()) {
      const del = this.db.prepare(`DELETE FROM vec_${s.n} WHERE rowid = ?`);
      const delBits = this.db.prepare(`DELETE FROM vecb_${s.n} WHERE rowid = ?`);
      for (const id of ids) {
        del.run(id);
        delBits.run(id);
      }
      this.sizes.delete(s.n);
    }
    this.db.prepare("DELETE FROM chunks WHERE path = ?").run(path);
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
    // bit[] needs a multiple of 8 dimensions; other spaces are always searched exactly.
    if (dims % 8 === 0) this.db.exec(`CREATE VIRTUAL TABLE vecb_${n} USING vec0(embedding bit[${dims}])`);
    return n;
  }

  /** Stores vectors of chunks that still exist (a file may have changed while they were computed). */
  storeVectors(embedder: string, ids: readonly number[], vectors: readonly Float32Array[]): number {
    if (ids.length === 0) return 0;
    return this.db.transaction(() => {
      const n = this.space(embedder, vectors[0].length);
      const exists = this.db.prepare("SELECT 1 FROM chunks WHERE id = ?").pluck();
      const put = this.db.prepare(`INSERT OR REPLACE INTO vec_${n}(rowid, embedding) VALUES (?, ?)`);
      const center = this.center(n, vectors);
      const bits =
        center && this.hasBits(n)
          ? this.db.prepare(`INSERT OR REPLACE INTO vecb_${n}(rowid, embedding) VALUES (?, vec_quantize_binary(vec_sub(?, ?)))`)
          : null;
      this.sizes.delete(n);
      let stored = 0;
      ids.forEach((id, i) => {
        if (exists.get(id) === undefined) return;
        put.run(BigInt(id), blob(vectors[i]));
        bits?.run(BigInt(id), blob(vectors[i]), center);
        stored++;
      });
      return stored;
    })();
  }

  /** Chunks without a vector in an embedder's space (all of them when it has none yet). */
  missingVectors(embedder: string, limit: number): { id: number; text: string }[] {
    const s = this.spaces().find((x) => x.embedder === embedder);
    const sql = s
      ? `SELECT id, text FROM chunks WHERE id NOT IN (SELECT rowid FROM vec_${s.n}) ORDER BY id LIMIT ?`
      : "SELECT id, text FROM chunks ORDER BY id LIMIT ?";
    return decode(Schema.Struct({ id: Schema.Number, text: Schema.String }), this.db.prepare(sql).all(limit), "chunks");
  }

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

  /** Vectors per binary table, counted once (vec0 counts by scanning); dropped on every write. */
  private readonly sizes = new Map<number, number>();

  /** The space's center, fixed by its first batch (the mean of those vectors). */
  private center(n: number, first: readonly Float32Array[]): Buffer | null {
    const had = this.sql("SELECT center FROM vec_spaces WHERE n = ?").pluck().get(n);
    if (Buffer.isBuffer(had)) return had;
    if (first.length === 0) return null;
    const mean = new Float32Array(first[0].length);
    for (const v of first) for (let i = 0; i < mean.length; i++) mean[i] += v[i] / first.length;
    const b = blob(mean);
    this.db.prepare("UPDATE vec_spaces SET center = ? WHERE n = ?").run(b, n);
    return b;
  }

  private binarySize(n: number): number {
    let size = this.sizes.get(n);
    if (size === undefined) {
      size = this.hasBits(n) ? Number(this.db.prepare(`SELECT count(*) FROM vecb_${n}_rowids`).pluck().get()) : 0;
      this.sizes.set(n, size);
    }
    return size;
  }

  private hasBits(n: number): boolean {
    return this.sql("SELECT 1 FROM sqlite_master WHERE name = ?").pluck().get(`vecb_${n}`) !== undefined;
  }

  /**
   * Chunk ids, nearest first, by sqlite-vec's KNN over the embedder's space. A space of at least
   * `exactBelow` vectors is searched in two steps: KNN over the sign bits (hamming) for
   * `oversample` × k candidates, then those rescored by exact cosine distance — a scan of 1/32 of
   * the bytes, traded for recall the bench measures (bench/memory.bench.ts). Smaller spaces are
   * scanned exactly.
   */
  vectorSearch(
    embedder: string,
    query: Float32Array,
    limit: number,
    prefix?: string,
    o: { exactBelow?: number; oversample?: number } = {},
  ): number[] {
    const s = this.spaces().find((x) => x.embedder === embedder);
    if (!s || s.dims !== query.length) return [];
    // KNN first, the path filter after: ask for more when a filter will drop some. vec0 wants its
    // KNN query alone (one MATCH, one ORDER BY distance), so the filter is applied to its answer.
    const k = prefix ? Math.min(limit * 8, 4096) : limit;
    const q = blob(query);
    const center = this.sql("SELECT center FROM vec_spaces WHERE n = ?").pluck().get(s.n);
    let ids: number[];
    if (Buffer.isBuffer(center) && this.binarySize(s.n) >= (o.exactBelow ?? BINARY_FROM)) {
      const coarse = decode(
        IdRow,
        this.db
          .prepare(
            `SELECT rowid AS id FROM vecb_${s.n} WHERE embedding MATCH vec_quantize_binary(vec_sub(?, ?)) AND k = ? ORDER BY distance`,
          )
          .all(q, center, Math.min(k * (o.oversample ?? OVERSAMPLE), 4096)),
        "vec0",
      ).map((r) => r.id);
      const exact = this.sql(`SELECT vec_distance_cosine(embedding, ?) FROM vec_${s.n} WHERE rowid = ?`).pluck();
      ids = coarse
        .map((id) => ({ id, d: Number(exact.get(q, BigInt(id))) }))
        .sort((a, b) => a.d - b.d || a.id - b.id)
        .slice(0, k)
        .map((x) => x.id);
    } else {
      const rows = this.sql(`SELECT rowid AS id FROM vec_${s.n} WHERE embedding MATCH ? AND k = ? ORDER BY distance`).all(q, k);
      ids = decode(IdRow, rows, "vec0").map((r) => r.id);
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
        if (Buffer.isBuffer(b)) out.set(h, vector(b));
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
