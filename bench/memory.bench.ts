/**
 * Memory search cost: N chunks in a fresh memory index (SQLite FTS5 + sqlite-vec), then top-10
 * latency of keyword search and of hybrid search (query embedding + KNN + FTS + fusion), p50/p99;
 * indexing throughput (chunks/s, FTS only and with vectors stored); RSS with the index loaded.
 * Vectors are the scripted server's hashed trigrams (a stand-in for a model: the cost measured is
 * the index's, not an embedder's).
 *
 *   npx tsx bench/memory.bench.ts              # 100,000 chunks, 384 dimensions
 *   CHUNKS=20000 DIMS=768 npx tsx bench/memory.bench.ts
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryIndex, contentHash, fuse, openMemoryDb } from "../actors/memory/index.ts";
import { toFtsQuery } from "../schemas/index.ts";
import { hashedEmbedding } from "../tests/fixtures/llm-server/embeddings.wire.ts";

const N = Number(process.env.CHUNKS ?? 100_000);
const DIMS = Number(process.env.DIMS ?? 384);
const QUERIES = 200;
let seed = 42;
const rand = () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed / 2 ** 31;
};
// A 5,000-word vocabulary drawn with a Zipf-like skew, like prose: common words everywhere, most rare.
const SYL = ["ka", "lo", "mi", "ne", "ru", "ta", "vo", "shi", "den", "gar", "pol", "ter", "zu", "bri", "fen"];
const WORDS = Array.from({ length: 5000 }, (_, i) => `${SYL[i % 15]}${SYL[Math.floor(i / 15) % 15]}${SYL[Math.floor(i / 225) % 15]}`);
const word = () => WORDS[Math.floor(WORDS.length * rand() ** 3)];
const sentence = (n: number) => Array.from({ length: n }, word).join(" ");

const dir = mkdtempSync(join(tmpdir(), "cairn-memory-bench-"));
const index = new MemoryIndex(openMemoryDb(join(dir, "memory.db")));
const PER_FILE = 50;
const texts: string[] = [];
for (let i = 0; i < N; i++) texts.push(`${sentence(30)} item ${i}`);

let t = performance.now();
const ids: number[] = [];
for (let f = 0; f < N / PER_FILE; f++) {
  const chunks = texts
    .slice(f * PER_FILE, (f + 1) * PER_FILE)
    .map((text, j) => ({ startLine: j * 3 + 1, endLine: j * 3 + 2, heading: `Section ${j}`, text, hash: contentHash(text) }));
  ids.push(...index.replaceFile({ path: `/bench/f${f}.md`, display: `memory/f${f}.md`, hash: String(f), size: 0, now: 0 }, chunks));
}
const ftsMs = performance.now() - t;
t = performance.now();
const vectors = texts.map((x) => hashedEmbedding(x, DIMS));
const embedMs = performance.now() - t;
t = performance.now();
for (let i = 0; i < ids.length; i += 1000) index.storeVectors("bench/hashed", ids.slice(i, i + 1000), vectors.slice(i, i + 1000));
const vecMs = performance.now() - t;

const pct = (xs: number[], p: number) => xs.toSorted((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const time = (fn: (q: string) => void) => {
  const out: number[] = [];
  for (let i = 0; i < QUERIES; i++) {
    const q = sentence(3);
    const s = performance.now();
    fn(q);
    out.push(performance.now() - s);
  }
  return out;
};
const keyword = time((q) => index.chunks(index.ftsSearch(toFtsQuery(q, { prefix: false, all: false }) ?? "", 10)));
const hybrid = time((q) => {
  const fts = index.ftsSearch(toFtsQuery(q, { prefix: false, all: false }) ?? "", 40);
  const vec = index.vectorSearch("bench/hashed", hashedEmbedding(q, DIMS), 40);
  const top = fuse([
    { via: "fts", ids: fts },
    { via: "vector", ids: vec },
  ]).slice(0, 10);
  index.chunks(top.map((x) => x.id));
});
const f = (x: number) => x.toFixed(2);
console.log(`chunks ${N}, dims ${DIMS}`);
console.log(
  `index FTS: ${Math.round(N / (ftsMs / 1000))} chunks/s; vectors stored: ${Math.round(N / (vecMs / 1000))} chunks/s (hashing stand-in ${Math.round(embedMs)} ms)`,
);
console.log(`keyword top-10: p50 ${f(pct(keyword, 50))} ms, p99 ${f(pct(keyword, 99))} ms`);
console.log(`hybrid  top-10: p50 ${f(pct(hybrid, 50))} ms, p99 ${f(pct(hybrid, 99))} ms`);
console.log(`RSS with the index loaded: ${Math.round(process.memoryUsage().rss / 2 ** 20)} MiB`);
index.db.close();
rmSync(dir, { recursive: true, force: true });
