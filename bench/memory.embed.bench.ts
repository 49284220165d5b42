/**
 * Memory indexing throughput, end to end through the memory manager (files read, chunked by
 * headings, FTS5 by trigger, vectors stored in sqlite-vec): a `reindex` of CHUNKS fresh chunks
 * with no embedder (full-text only), then with the local GGUF embedder (node-llama-cpp, CPU).
 * The local model is the tiny one the tests generate (tests/fixtures/gguf): its cost per token is
 * far below a real embedding model's (e.g. a 384-dimension MiniLM), so the local figure is the
 * pipeline's ceiling, not a model's speed; MODEL=/path/to/model.gguf measures a real one.
 *
 *   npx tsx bench/memory.embed.bench.ts             # 2,000 chunks
 *   CHUNKS=500 MODEL=~/models/all-MiniLM-L6-v2.Q8_0.gguf npx tsx bench/memory.embed.bench.ts
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setupMemory } from "../actors/memory/index.ts";
import type { MemoryConfig } from "../schemas/index.ts";
import { tinyModelCached } from "../tests/fixtures/gguf/index.ts";

const N = Number(process.env.CHUNKS ?? 2000);
const PER_FILE = 50;
const model = process.env.MODEL ?? (await tinyModelCached());

/** A data dir whose memory/ holds N sections (one chunk each), in files of PER_FILE. */
const dataDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "cairn-memory-embed-bench-"));
  mkdirSync(join(dir, "memory"));
  for (let f = 0; f < N / PER_FILE; f++) {
    const sections = Array.from(
      { length: PER_FILE },
      (_, j) => `# Note ${f}.${j}\nThe harbour log for day ${f * PER_FILE + j}: ships came in, the tide was high, nets were mended.\n`,
    );
    writeFileSync(join(dir, "memory", `f${f}.md`), sections.join("\n"));
  }
  return dir;
};

const run = async (config: MemoryConfig) => {
  const dir = dataDir();
  const memory = setupMemory(config, { dataDir: dir, env: {} });
  if (!memory) throw new Error("memory is off");
  const t = performance.now();
  const r = await memory.manager.reindex();
  const ms = performance.now() - t;
  await memory.manager.stop();
  rmSync(dir, { recursive: true, force: true });
  if (r.chunks !== N) throw new Error(`indexed ${r.chunks} chunks, expected ${N}`);
  return { chunks: r.chunks, embedded: r.embedded, ms, perSecond: Math.round(r.chunks / (ms / 1000)) };
};

const fts = await run({});
const local = await run({ embeddings: [{ provider: "local", model_path: model }] });
if (local.embedded !== N) throw new Error(`embedded ${local.embedded} of ${N}`);
console.log(`chunks ${N} in ${N / PER_FILE} files; local model ${process.env.MODEL ?? "tiny test GGUF"}`);
console.log(`index FTS only: ${fts.perSecond} chunks/s (${Math.round(fts.ms)} ms)`);
console.log(`index with the local embedder: ${local.perSecond} chunks/s (${Math.round(local.ms)} ms, ${local.embedded} embedded)`);
console.log(`RSS: ${Math.round(process.memoryUsage().rss / 2 ** 20)} MiB`);
