import { createHash } from "node:crypto";
import { existsSync, watch, type FSWatcher } from "node:fs";
import { mkdir, readFile, readdir, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import {
  CairnError,
  type MemoryHit,
  type MemorySearchParams,
  type MemorySearchResult,
  type MemoryStatus,
  type ReindexResult,
} from "../../schemas/index.ts";
import { chunkMarkdown } from "./chunker.ts";
import type { EmbedderChain } from "./embedder.chain.ts";
import type { MemoryIndex } from "./memory.index.ts";
import { displayName, isMemoryFile, rootOf, type MemoryRoot } from "./memory.roots.ts";
import { fuse } from "./rrf.ts";

export interface MemoryManagerOptions {
  readonly index: MemoryIndex;
  readonly roots: readonly MemoryRoot[];
  readonly embedders: EmbedderChain;
  readonly now?: () => number;
  readonly report?: (line: string) => void;
  /** Quiet time after a change before the file is read (editors write in several steps). */
  readonly debounceMs?: number;
}

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");
export const contentHash = sha256;
/** Chunks embedded per request when catching up. */
const EMBED_BATCH = 64;

/**
 * The memory files and their index: a scan at start, a watcher per root (a saved file is in the
 * full-text index within the debounce plus one read, well under a second), embeddings computed
 * behind (so a slow or absent embedder never delays keyword search), and hybrid search.
 * Index writes go through one queue, so the watcher, `reindex` and `memory_save` never interleave.
 */
export class MemoryManager {
  private readonly watchers = new Map<string, FSWatcher>();
  private readonly watchErrors = new Map<string, string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private queue: Promise<unknown> = Promise.resolve();
  private embedding: Promise<number> | undefined;
  private embedAgain = false;
  private lastEmbedder: string | null = null;
  private stopped = false;
  private readonly now: () => number;
  private readonly report: (line: string) => void;

  constructor(private readonly o: MemoryManagerOptions) {
    this.now = o.now ?? Date.now;
    this.report = o.report ?? (() => {});
  }

  get roots(): readonly MemoryRoot[] {
    return this.o.roots;
  }

  /**
   * Creates `memory/`, watches, and indexes what changed since the last run. The vectors reach
   * memory by `loadVectors` (or on the first vector search): never on the start path.
   */
  async start(): Promise<void> {
    await mkdir(this.o.roots[1]?.dir ?? this.o.roots[0].dir, { recursive: true, mode: 0o700 });
    for (const r of this.o.roots) this.watchRoot(r);
    await this.reindex();
  }

  /**
   * Loads the vectors into memory a slice per macrotask (the gateway calls it once ready): until
   * then vector search asks sqlite-vec's exact KNN, slower at 100,000 chunks but the same answer.
   */
  async loadVectors(): Promise<void> {
    const total = this.o.index.vectorsToLoad();
    if (total === 0) return;
    const started = this.now();
    this.report(`memory: loading ${total} vectors into memory (vector search asks sqlite-vec until then)`);
    const n = await this.o.index.loadVectors();
    this.report(`memory: ${n} vectors in memory in ${this.now() - started} ms`);
  }

  private activeEmbedder(): string | null {
    return this.lastEmbedder ?? this.o.embedders.status().find((e) => e.state !== "open")?.name ?? null;
  }

  private watchRoot(r: MemoryRoot): void {
    try {
      // Recursive watching is native on Linux since Node 20; MEMORY.md's root is the data dir: not recursive.
      const w = watch(r.dir, { recursive: !r.only, persistent: false }, (_event, name) => {
        if (name) this.changed(join(r.dir, name.toString()));
      });
      w.on("error", (e) => {
        this.watchErrors.set(r.dir, e.message);
        this.watchers.delete(r.dir);
      });
      this.watchers.set(r.dir, w);
      this.watchErrors.delete(r.dir);
    } catch (e) {
      this.watchErrors.set(r.dir, (e as NodeJS.ErrnoException).code === "ENOENT" ? "no such directory" : (e as Error).message);
    }
  }

  private changed(file: string): void {
    const root = rootOf(this.o.roots, file);
    if (!root || !isMemoryFile(relative(root.dir, file)) || this.stopped) return;
    clearTimeout(this.timers.get(file));
    this.timers.set(
      file,
      setTimeout(() => {
        this.timers.delete(file);
        void this.enqueue(() => this.sync(file)).then((changed) => {
          if (changed) this.embedPending();
        });
      }, this.o.debounceMs ?? 50),
    );
  }

  private enqueue<T>(job: () => Promise<T>): Promise<T> {
    const next = this.queue.then(job, job);
    this.queue = next.catch((e) => this.report(`memory: ${(e as Error).message}`));
    return next;
  }

  /** Brings one file's chunks in line with the disk; true when something changed. */
  private async sync(file: string): Promise<boolean> {
    const root = rootOf(this.o.roots, file);
    let text: string;
    try {
      const s = await stat(file);
      if (!s.isFile()) throw Object.assign(new Error("not a file"), { code: "ENOENT" });
      text = await readFile(file, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT" && (e as NodeJS.ErrnoException).code !== "EISDIR") throw e;
      return this.o.index.removeFile(file);
    }
    if (!root) return false;
    const hash = sha256(text);
    if (this.o.index.file(file)?.hash === hash) return false;
    const chunks = chunkMarkdown(text).map((c) => ({ ...c, hash: sha256(c.text) }));
    this.o.index.replaceFile(
      { path: file, display: displayName(root, file), hash, size: Buffer.byteLength(text), now: this.now() },
      chunks,
    );
    return true;
  }

  private async walk(r: MemoryRoot): Promise<string[]> {
    if (r.only) return r.only.map((n) => join(r.dir, n)).filter((f) => existsSync(f));
    try {
      const entries = await readdir(r.dir, { recursive: true, withFileTypes: true });
      return entries
        .filter((e) => e.isFile())
        .map((e) => join(e.parentPath ?? e.path, e.name))
        .filter((f) => isMemoryFile(relative(r.dir, f)));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw e;
    }
  }

  /**
   * Reads every file again (what changed is re-chunked; vectors come from the cache when the text
   * did not change), drops files that are gone, then embeds what lacks a vector.
   */
  async reindex(onProgress?: (done: number, total: number) => void): Promise<ReindexResult> {
    const started = this.now();
    const files = (await Promise.all(this.o.roots.map((r) => this.walk(r)))).flat();
    const known = this.o.index.files().map((f) => f.path);
    const all = [...new Set([...files, ...known])];
    await this.enqueue(async () => {
      for (const [i, f] of all.entries()) {
        await this.sync(f);
        onProgress?.(i + 1, all.length);
      }
    });
    const embedded = await this.embedPendingNow();
    const c = this.o.index.counts(null);
    return { files: c.files, chunks: c.chunks, embedded, ms: this.now() - started };
  }

  /** Starts embedding in the background (one at a time; a request during a pass runs another after it). */
  private embedPending(): void {
    if (this.embedding) {
      this.embedAgain = true;
      return;
    }
    void this.embedPendingNow();
  }

  private async embedPendingNow(): Promise<number> {
    while (this.embedding) await this.embedding;
    this.embedding = (async () => {
      let total = 0;
      do {
        this.embedAgain = false;
        total += await this.embedMissing();
      } while (this.embedAgain && !this.stopped);
      return total;
    })().finally(() => (this.embedding = undefined));
    return this.embedding;
  }

  private async embedMissing(): Promise<number> {
    let done = 0;
    for (;;) {
      // The embedder that would answer now decides the space; a fallback answering fills its own.
      const probe = this.o.embedders.embedders.length === 0 ? undefined : (this.lastEmbedder ?? this.o.embedders.embedders[0].id);
      if (!probe || this.stopped) return done;
      const batch = this.o.index.missingVectors(probe, EMBED_BATCH);
      if (batch.length === 0) return done;
      const r = await this.o.embedders.embed(batch.map((b) => b.text));
      if (r.embedderId === null) return done;
      if (r.embedderId !== probe) {
        // Another embedder answered: its space, its own missing set, next round.
        this.lastEmbedder = r.embedderId;
        continue;
      }
      done += this.o.index.storeVectors(
        r.embedderId,
        batch.map((b) => b.id),
        r.vectors,
      );
    }
  }

  /** Resolves once every change seen so far is in the full-text index and embedded (tests, `memory_save`). */
  async settled(): Promise<void> {
    await this.queue;
    while (this.embedding) await this.embedding;
  }

  async search(p: MemorySearchParams): Promise<MemorySearchResult> {
    const k = p.k ?? 5;
    const depth = Math.max(k * 4, 20);
    // The query's embedding first: the keyword leg runs while the embedder answers.
    const embedding = this.o.embedders.embed([p.query]);
    embedding.catch(() => {}); // awaited below; a keyword leg that throws must not leave it unhandled
    const match = this.o.index.keywordQuery(p.query);
    const fts = match ? this.o.index.ftsSearch(match, depth, p.path_prefix) : [];
    const e = await embedding;
    let vec: number[] = [];
    if (e.embedderId !== null) {
      this.lastEmbedder = e.embedderId;
      vec = this.o.index.vectorSearch(e.embedderId, e.vectors[0], depth, p.path_prefix);
    }
    const fused = fuse([
      { via: "fts", ids: fts },
      { via: "vector", ids: vec },
    ]).slice(0, k);
    const rows = this.o.index.chunks(fused.map((f) => f.id));
    const hits: MemoryHit[] = fused.flatMap((f) => {
      const r = rows.get(f.id);
      return r
        ? [{ file: r.display, startLine: r.start_line, endLine: r.end_line, heading: r.heading, text: r.text, score: f.score, via: f.via }]
        : [];
    });
    return e.embedderId === null
      ? { hits, mode: "keyword", degraded: `keyword search only: ${e.reason}` }
      : { hits, mode: "hybrid", degraded: null };
  }

  /** Lines of an indexed file, by the name search gave it; never a path the index does not hold. */
  async get(name: string, from = 1, to?: number): Promise<{ file: string; from: number; to: number; total: number; text: string }> {
    const f = this.o.index.files().find((x) => x.display === name);
    if (!f) throw new CairnError("not_found", `no memory file '${name}'; memory_search names the files it finds`);
    const lines = (await readFile(f.path, "utf8")).split(/\r?\n/);
    const first = Math.max(1, from);
    const last = Math.min(lines.length, to ?? first + 199);
    if (first > lines.length) throw new CairnError("bad_request", `${name} has ${lines.length} lines`);
    return { file: name, from: first, to: last, total: lines.length, text: lines.slice(first - 1, last).join("\n") };
  }

  /** Writes a file under a root and indexes it before answering (the agent may search for it next). */
  async indexNow(file: string): Promise<void> {
    const changed = await this.enqueue(() => this.sync(file));
    if (changed) this.embedPending();
  }

  status(): MemoryStatus {
    const embedders = this.o.embedders.status();
    const active = this.activeEmbedder();
    const c = this.o.index.counts(active);
    const inMemory = active ? this.o.index.vectorsLoaded(active) : { loaded: 0, loading: false };
    const anyUp = embedders.some((e) => e.state === "ok");
    return {
      enabled: true,
      directories: this.o.roots.map((r) => ({
        path: r.only ? join(r.dir, r.only[0]) : r.dir,
        watching: this.watchers.has(r.dir),
        error: this.watchErrors.get(r.dir) ?? null,
      })),
      files: c.files,
      chunks: c.chunks,
      vectors: c.vectors,
      vectorsInMemory: inMemory,
      embedders,
      mode: anyUp ? "hybrid" : "keyword",
      cachedEmbeddings: c.cached,
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    await this.queue;
    while (this.embedding) await this.embedding;
    await this.o.embedders.close();
  }
}
