/**
 * Memory search cost: N chunks in a fresh memory index (SQLite FTS5 + sqlite-vec, vectors mirrored
 * in memory), then top-10 latency of keyword search, vector search and hybrid search (FTS + vector
 * + fusion), p50/p99 in wall time and in this process's CPU time (the machine may be shared: CPU
 * time is what the search costs, wall time adds waiting for a core); indexing throughput
 * (chunks/s, FTS only and with vectors stored); the load of the in-memory vectors; RSS.
 * Vector search is timed both ways the index has: sqlite-vec's exact float KNN (the reference)
 * and the in-memory scan + int8 rescoring, with its recall@10 against the exact answer; hybrid's
 * top 10 is compared with the hybrid made of the exact vector answer.
 *
 * VECTORS=clustered (default): dense vectors around 500 topic centres (queries: a chunk's vector
 * plus noise), close to what an embedding model gives. VECTORS=hashed: the scripted server's
 * hashed trigrams (sparse, non-negative: a 3-word query sets ~15 of 384 dimensions), a harder case
 * for sign bits. The embedder's own cost is bench/memory.embed.bench.ts's.
 *
 *   npx tsx bench/memory.bench.ts              # 100,000 chunks, 384 dimensions
 *   VECTORS=hashed npx tsx bench/memory.bench.ts
 *   CHUNKS=20000 DIMS=768 RESCORE=2000 npx tsx bench/memory.bench.ts
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryIndex, RESCORE, contentHash, fuse, openMemoryDb } from "../actors/memory/index.ts";
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
const CLUSTERED = process.env.VECTORS !== "hashed";
const rescore = Number(process.env.RESCORE ?? RESCORE);
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

// The index as a restarted gateway has it: a fresh handle, the vectors loaded from SQLite.
index.db.close();
const reopened = new MemoryIndex(openMemoryDb(join(dir, "memory.db")));
t = performance.now();
await reopened.loadVectors();
const loadMs = performance.now() - t;

const pct = (xs: number[], p: number) => xs.toSorted((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
/** Wall and CPU milliseconds of each call. */
const time = <T>(queries: readonly T[], fn: (q: T) => void) => {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (const q of queries) {
    const s = performance.now();
    const c = process.cpuUsage();
    fn(q);
    const used = process.cpuUsage(c);
    cpu.push((used.user + used.system) / 1000);
    wall.push(performance.now() - s);
  }
  return { wall, cpu };
};
const queries = Array.from({ length: QUERIES }, () => sentence(3));
const qvs = queries.map(queryVector);
const match = (q: string) => reopened.keywordQuery(q) ?? "";
// keywordQuery leaves out words in over half the chunks (bm25 gives them ~0 weight): same answer?
const everyWord = queries.map((q) => reopened.ftsSearch(toFtsQuery(q, { prefix: false, all: false }) ?? "", 10));
const pruned = queries.map((q) => reopened.ftsSearch(match(q), 10));
const hybridOf = (i: number, exact: boolean) => {
  const fts = reopened.ftsSearch(match(queries[i]), 40);
  const vec = reopened.vectorSearch("bench/hashed", qvs[i], 40, undefined, { exact, rescore });
  return fuse([
    { via: "fts", ids: fts },
    { via: "vector", ids: vec },
  ])
    .slice(0, 10)
    .map((x) => x.id);
};
const ix = queries.map((_, i) => i);
const keyword = time(queries, (q) => reopened.chunks(reopened.ftsSearch(match(q), 10)));
const approx: number[][] = [];
const vector = time(ix, (i) => approx.push(reopened.vectorSearch("bench/hashed", qvs[i], 10, undefined, { rescore })));
const hybridTop: number[][] = [];
const hybrid = time(ix, (i) => {
  const top = hybridOf(i, false);
  reopened.chunks(top);
  hybridTop.push(top);
});
// The reference: sqlite-vec scans every float vector, so fewer queries.
const EXACT = 40;
const exactTop: number[][] = [];
const exact = time(ix.slice(0, EXACT), (i) => exactTop.push(reopened.vectorSearch("bench/hashed", qvs[i], 10, undefined, { exact: true })));
const overlap = (a: number[][], b: number[][]) =>
  (100 * b.reduce((n, truth, i) => n + a[i].filter((id) => truth.includes(id)).length, 0)) / b.reduce((n, x) => n + x.length, 0);
const hybridExact = ix.slice(0, EXACT).map((i) => hybridOf(i, true));

const f = (x: number) => x.toFixed(2);
const line = (name: string, r: { wall: number[]; cpu: number[] }, extra = "") =>
  console.log(
    `${name}: p50 ${f(pct(r.wall, 50))} ms, p99 ${f(pct(r.wall, 99))} ms wall; p50 ${f(pct(r.cpu, 50))} ms, p99 ${f(pct(r.cpu, 99))} ms CPU${extra}`,
  );
console.log(`chunks ${N}, dims ${DIMS}, vectors ${CLUSTERED ? "clustered (dense)" : "hashed trigrams"}, rescore ${rescore}`);
console.log(
  `index FTS: ${Math.round(N / (ftsMs / 1000))} chunks/s; vectors stored: ${Math.round(N / (vecMs / 1000))} chunks/s (stand-in vectors made in ${Math.round(embedMs)} ms)`,
);
console.log(`in-memory vectors loaded from SQLite in ${Math.round(loadMs)} ms`);
line("keyword top-10", keyword, `; same top 10 as with every word ${overlap(pruned, everyWord).toFixed(1)}%`);
line("vector top-10 exact (sqlite-vec)", exact);
line("vector top-10 in-memory", vector, `; recall@10 vs exact ${overlap(approx, exactTop).toFixed(1)}%`);
line("hybrid  top-10", hybrid, `; same top 10 as with exact vectors ${overlap(hybridTop, hybridExact).toFixed(1)}%`);
console.log(`RSS with the index loaded: ${Math.round(process.memoryUsage().rss / 2 ** 20)} MiB`);
reopened.db.close();
rmSync(dir, { recursive: true, force: true });
