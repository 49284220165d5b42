/**
 * Memory search cost: N chunks in a fresh memory index (SQLite FTS5 + sqlite-vec), then top-10
 * latency of keyword search and of hybrid search (query embedding + KNN + FTS + fusion), p50/p99;
 * indexing throughput (chunks/s, FTS only and with vectors stored); RSS with the index loaded.
 * Vectors are the scripted server's hashed trigrams (a stand-in for a model: the cost measured is
 * the index's, not an embedder's). Vector search is timed both ways the index does it: exact
 * (sqlite-vec float KNN) and binary (KNN over sign bits, then exact rescoring), with the binary
 * step's recall@10 against the exact answer; hybrid uses what the index chooses for this size.
 *
 * VECTORS=clustered replaces the stand-in by dense vectors around 500 topic centres (queries: a
 * chunk's vector plus noise), closer to what an embedding model gives than hashed trigrams (sparse,
 * non-negative: a 3-word query sets ~15 of 384 dimensions, so sign bits say little about it).
 *
 *   npx tsx bench/memory.bench.ts              # 100,000 chunks, 384 dimensions
 *   VECTORS=clustered npx tsx bench/memory.bench.ts
 *   CHUNKS=20000 DIMS=768 npx tsx bench/memory.bench.ts
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryIndex, OVERSAMPLE, contentHash, fuse, openMemoryDb } from "../actors/memory/index.ts";
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
const CLUSTERED = process.env.VECTORS === "clustered";
const gauss = () => Math.sqrt(-2 * Math.log(rand() || 1e-12)) * Math.cos(2 * Math.PI * rand());
const unit = (v: Float32Array) => {
  const n = Math.hypot(...v) || 1;
  for (let i = 0; i < v.length; i++) v[i] /= n;
  return v;
};
const centres = Array.from({ length: 500 }, () => unit(Float32Array.from({ length: DIMS }, gauss)));
const near = (v: Float32Array, spread: number) => unit(v.map((x) => x + spread * gauss()));
const vectors = texts.map((x, i) => (CLUSTERED ? near(centres[i % centres.length], 0.06) : hashedEmbedding(x, DIMS)));
const queryVector = (q: string) => (CLUSTERED ? near(vectors[Math.floor(rand() * N)], 0.04) : hashedEmbedding(q, DIMS));
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
  const vec = index.vectorSearch("bench/hashed", queryVector(q), 40);
  const top = fuse([
    { via: "fts", ids: fts },
    { via: "vector", ids: vec },
  ]).slice(0, 10);
  index.chunks(top.map((x) => x.id));
});
const exactMs: number[] = [];
const binaryMs: number[] = [];
let agree = 0;
for (let i = 0; i < QUERIES; i++) {
  const qv = queryVector(sentence(3));
  let s = performance.now();
  const exact = index.vectorSearch("bench/hashed", qv, 10, undefined, { exactBelow: Number.POSITIVE_INFINITY });
  exactMs.push(performance.now() - s);
  s = performance.now();
  const binary = index.vectorSearch("bench/hashed", qv, 10, undefined, { exactBelow: 0 });
  binaryMs.push(performance.now() - s);
  agree += binary.filter((id) => exact.includes(id)).length;
}
const f = (x: number) => x.toFixed(2);
console.log(`chunks ${N}, dims ${DIMS}, vectors ${CLUSTERED ? "clustered (dense)" : "hashed trigrams"}`);
console.log(
  `index FTS: ${Math.round(N / (ftsMs / 1000))} chunks/s; vectors stored: ${Math.round(N / (vecMs / 1000))} chunks/s (hashing stand-in ${Math.round(embedMs)} ms)`,
);
console.log(`keyword top-10: p50 ${f(pct(keyword, 50))} ms, p99 ${f(pct(keyword, 99))} ms`);
console.log(`vector top-10 exact:  p50 ${f(pct(exactMs, 50))} ms, p99 ${f(pct(exactMs, 99))} ms`);
console.log(
  `vector top-10 binary: p50 ${f(pct(binaryMs, 50))} ms, p99 ${f(pct(binaryMs, 99))} ms (oversample ${OVERSAMPLE}, recall@10 vs exact ${((100 * agree) / (10 * QUERIES)).toFixed(1)}%)`,
);
console.log(`hybrid  top-10: p50 ${f(pct(hybrid, 50))} ms, p99 ${f(pct(hybrid, 99))} ms`);
console.log(`RSS with the index loaded: ${Math.round(process.memoryUsage().rss / 2 ** 20)} MiB`);
index.db.close();
rmSync(dir, { recursive: true, force: true });
