import type BetterSqlite3 from "better-sqlite3";
import { VectorCodes } from "./vector.codes.ts";

/** Vectors read into memory per macrotask while a space loads (a few ms each). */
export const LOAD_SLICE = 2000;
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export const vectorOf = (b: Buffer) => new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));

/** A vector space of the index: its vec0 table is `vec_<n>`. */
export interface Space {
  readonly n: number;
  readonly dims: number;
}

/** What the loader needs of the index: its statements, its spaces and their centers, and whether it is open. */
export interface SpaceSource {
  sql(text: string): BetterSqlite3.Statement<unknown[]>;
  spaces(): readonly Space[];
  center(n: number): Float32Array | null;
  open(): boolean;
}

/**
 * The spaces' vectors in memory (`VectorCodes`), kept in step by the index's writes. A space whose
 * codes are still loading is not handed out for search (`whole`): its codes hold only part of it,
 * and the index asks sqlite-vec's exact KNN meanwhile.
 */
export class SpaceCodes {
  readonly #codes = new Map<number, VectorCodes>();
  readonly #loading = new Map<number, Promise<void>>();

  constructor(private readonly source: SpaceSource) {}

  /** A space's codes, whole or loading: the writes keep them in step either way. */
  of(n: number): VectorCodes | undefined {
    return this.#codes.get(n);
  }

  /** Drops every space's codes (a rolled-back write): the next search loads them again. */
  clear(): void {
    this.#codes.clear();
  }

  /** The space's codes when all of its vectors are in them; otherwise their load is under way. */
  whole(s: Space): VectorCodes | undefined {
    // A space of one slice is whole when `load` returns; a larger one goes on behind.
    if (!this.#codes.has(s.n) && !this.#loading.has(s.n)) void this.load(s).catch(() => this.#codes.delete(s.n));
    return this.#loading.has(s.n) ? undefined : this.#codes.get(s.n);
  }

  /** A space's vectors in memory, and whether more are on their way. */
  status(n: number): { loaded: number; loading: boolean } {
    return { loaded: this.#codes.get(n)?.size ?? 0, loading: this.#loading.has(n) };
  }

  /** Vectors of the spaces not all in memory yet, by their tables (a count: for the start, not for status). */
  toLoad(): number {
    let n = 0;
    for (const s of this.unloaded()) n += Number(this.source.sql(`SELECT count(*) FROM vec_${s.n}`).pluck().get());
    return n;
  }

  /** Loads those spaces' vectors into memory, in slices behind the caller (see `load`); how many they hold then. */
  async loadAll(): Promise<number> {
    let n = 0;
    for (const s of this.unloaded()) {
      await this.load(s);
      n += this.#codes.get(s.n)?.size ?? 0;
    }
    return n;
  }

  /** Spaces whose vectors are not all in memory yet. */
  private unloaded(): Space[] {
    return this.source.spaces().filter((s) => !this.#codes.has(s.n) || this.#loading.has(s.n));
  }

  private empty(s: Space): VectorCodes {
    const codes = new VectorCodes(s.dims, this.source.center(s.n) ?? new Float32Array(s.dims));
    this.#codes.set(s.n, codes);
    return codes;
  }

  /**
   * Reads LOAD_SLICE vectors after chunk id `after` into the codes (by id ranges: each slice is
   * its own short query, so nothing holds the connection between slices); the next `after`, or
   * null at the end.
   */
  private slice(n: number, codes: VectorCodes, after: number): number | null {
    const rows = this.source
      .sql(`SELECT c.id, v.embedding FROM chunks c JOIN vec_${n} v ON v.rowid = c.id WHERE c.id > ? ORDER BY c.id LIMIT ?`)
      .raw()
      .all(after, LOAD_SLICE) as [number, Buffer][];
    for (const [id, embedding] of rows) codes.put(id, vectorOf(embedding));
    return rows.length < LOAD_SLICE ? null : rows[rows.length - 1][0];
  }

  /**
   * Loads a space's vectors into memory: the first slice now (a small space is then whole), the
   * rest a slice per macrotask, so the event loop keeps serving (100,000 vectors took the gateway's
   * start ~47 s in one piece). Writes meanwhile go to the codes too (a slice re-reading a row
   * rewrites the same vector); a rolled-back write drops the codes, and the load starts over.
   */
  private load(s: Space): Promise<void> {
    let p = this.#loading.get(s.n);
    if (p) return p;
    let codes = this.empty(s);
    let after: number | null;
    try {
      after = this.slice(s.n, codes, 0);
    } catch (e) {
      this.#codes.delete(s.n); // part of a space is never searched as all of it
      throw e;
    }
    if (after === null) return Promise.resolve();
    p = (async () => {
      while (after !== null) {
        await yieldToLoop();
        if (!this.source.open()) return;
        if (this.#codes.get(s.n) !== codes) [codes, after] = [this.empty(s), 0];
        after = this.slice(s.n, codes, after);
      }
    })().finally(() => this.#loading.delete(s.n));
    this.#loading.set(s.n, p);
    return p;
  }
}
