/**
 * Compaction's added latency: the third turn of a session whose history outgrows the model's
 * context window (the model list says 600 tokens, as in tests/actors/run/compaction.test.ts), so
 * the run first asks for a summary (`run.compaction_started` → `session.compacted` →
 * `run.compacted`), against the third turn of a session of short turns that fits. Real NATS,
 * log, actors and OpenAI SDK; the scripted LLM server answers at once, so the figure is cairn's
 * own cost of compacting (one more LLM round trip, three more events); with a real model the
 * summary call's generation time comes on top of it.
 *
 *   npx tsx bench/compaction.bench.ts          # 20 sessions of each kind
 *   RUNS=50 npx tsx bench/compaction.bench.ts
 */
import { SnapshotStore } from "../bus/index.ts";
import { startActorSystem } from "../actors/index.ts";
import { ModelDiscovery } from "../actors/llm/index.ts";
import { aggregateEvents, chatUntilEnded, startStack } from "../tests/fixtures/stack.ts";
import { percentile } from "./lib/util.ts";

const RUNS = Number(process.env.RUNS ?? 20);
const WINDOW = 600;
const s = await startStack();
try {
  await s.actors.stop();
  s.llm.models({ models: [{ id: "test-model", context_length: WINDOW }] });
  const actors = startActorSystem({
    nc: s.nc,
    log: s.log,
    snapshots: await SnapshotStore.open(s.nc),
    model: {
      defaultModel: "openai/test-model",
      env: { OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: s.llm.openaiBaseUrl },
      config: { discovery: new ModelDiscovery({ cacheFile: null }) },
    },
  });
  // ~100 tokens each: the third such turn (with the echoed replies) outgrows the window.
  const long = (n: number) => `turn ${n}: ${"lorem ipsum dolor sit amet ".repeat(15)}`;
  const short = (n: number) => `turn ${n}: a short one`;
  const thirdTurn = async (key: string, text: (n: number) => string, compacts: boolean) => {
    await chatUntilEnded(s.nc, key, text(1));
    await chatUntilEnded(s.nc, key, text(2));
    if (compacts) s.llm.script({ chunks: ["SUMMARY: turns 1 and 2."] }, { chunks: ["reply three"] });
    else s.llm.script({ chunks: ["reply three"] });
    const t = performance.now();
    const { runId } = await chatUntilEnded(s.nc, key, text(3));
    const ms = performance.now() - t;
    const types = (await aggregateEvents(s.log, "run", runId)).map((e) => e.type);
    if (types.includes("run.compacted") !== compacts)
      throw new Error(`${key}: compaction ${compacts ? "expected" : "unexpected"}: ${types}`);
    return ms;
  };
  await thirdTurn("warm-plain", short, false);
  await thirdTurn("warm-compact", long, true);
  const plain: number[] = [];
  const compacted: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    plain.push(await thirdTurn(`plain-${i}`, short, false));
    compacted.push(await thirdTurn(`compact-${i}`, long, true));
  }
  const f = (x: number) => x.toFixed(1);
  const p = (xs: number[], q: number) => percentile(xs, q);
  console.log(`${RUNS} sessions of each; window ${WINDOW} tokens; scripted LLM server (answers at once)`);
  console.log(`turn without compaction: p50 ${f(p(plain, 50))} ms, p99 ${f(p(plain, 99))} ms`);
  console.log(`turn that compacts first: p50 ${f(p(compacted, 50))} ms, p99 ${f(p(compacted, 99))} ms`);
  console.log(`added by compaction: p50 ${f(p(compacted, 50) - p(plain, 50))} ms`);
  await actors.stop();
} finally {
  await s.stop();
}
