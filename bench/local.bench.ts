/**
 * Local inference benchmark, run by hand (never by the test suite; figures are reported, not
 * asserted):
 *
 *   npx tsx bench/local.bench.ts                 # tiny test model: default threads, 1 thread, one more than default
 *   npx tsx bench/local.bench.ts --tokens 1024 --runs 7
 *   npx tsx bench/local.bench.ts --model ~/models/qwen2.5-0.5b-instruct-q4_k_m.gguf
 *   npx tsx bench/local.bench.ts --nlc-defaults  # also node-llama-cpp's own thread defaults
 *
 * Streams replies through the local provider (the same path a run takes) and reports, per thread
 * setting: load time, time to first token, and decode tokens/s (median over the runs; the
 * first run is a warm-up). Prints a table, then one JSON line with every number.
 *
 * `--nlc-defaults` adds a row for node-llama-cpp with no thread settings at all (its `maxThreads`
 * defaults to max(math cores, 4)): on a 2-core machine that oversubscribes the cores, which is
 * why cairn always passes `threads` explicitly.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createLocalProvider, defaultThreads, llamaRuntimeInfo } from "../actors/llm/local/index.ts";
import { makeTinyModel } from "../tests/fixtures/gguf/index.ts";

const { values } = parseArgs({
  options: {
    model: { type: "string" },
    tokens: { type: "string", default: "512" },
    runs: { type: "string", default: "5" },
    threads: { type: "string" },
    "nlc-defaults": { type: "boolean", default: false },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  process.stdout.write(
    "usage: npx tsx bench/local.bench.ts [--model file.gguf] [--tokens 512] [--runs 5] [--threads 1,2] [--nlc-defaults]\n",
  );
  process.exit(0);
}
const log = (s: string) => process.stderr.write(`${s}\n`);
const maxTokens = Number(values.tokens);
const runs = Math.max(2, Number(values.runs));
const defaults = defaultThreads();
const threadSettings = values.threads ? values.threads.split(",").map(Number) : [...new Set([defaults, 1, defaults + 1])];

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

interface Row {
  label: string;
  threads: number | "nlc default";
  loadMs: number;
  ttftMs: number;
  tokensPerSecond: number;
  tokens: number;
}

const tmp = await mkdtemp(join(tmpdir(), "cairn-local-bench-"));
const cleanup = () => rm(tmp, { recursive: true, force: true });
process.on("SIGINT", () => void cleanup().finally(() => process.exit(130)));
const modelPath = values.model ?? (await makeTinyModel(tmp));
const prompt = {
  model: "bench",
  system: "You are a helpful assistant.",
  messages: [{ role: "user" as const, text: "Write a long story about a cairn on a mountain." }],
};

async function measure(label: string, threads: number): Promise<Row> {
  const provider = createLocalProvider({ modelPath, threads, sampling: { temperature: 0 } });
  const t0 = performance.now();
  await provider.load();
  const loadMs = performance.now() - t0;
  const ttft: number[] = [];
  const tps: number[] = [];
  let tokens = 0;
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    let first = 0;
    let out = 0;
    for await (const c of provider.stream({ ...prompt, maxTokens })) {
      if (c.type === "delta" && !first) first = performance.now();
      if (c.type === "done") out = c.usage?.outputTokens ?? 0;
    }
    const end = performance.now();
    if (i === 0) continue; // warm-up
    ttft.push(first - start);
    // Decode rate: tokens after the first over the time after the first.
    tps.push((out - 1) / ((end - first) / 1000));
    tokens = out;
  }
  await provider.unload();
  return { label, threads, loadMs, ttftMs: median(ttft), tokensPerSecond: median(tps), tokens };
}

/** node-llama-cpp as documented, with no thread settings (its own getLlama and context). */
async function measureNlcDefaults(): Promise<Row> {
  const { getLlama, LlamaChat, resolveChatWrapper } = await import("node-llama-cpp");
  const llama = await getLlama({ gpu: false, build: "never", skipDownload: true, progressLogs: false });
  const t0 = performance.now();
  const model = await llama.loadModel({ modelPath });
  const context = await model.createContext({ contextSize: { max: 2048 } });
  const loadMs = performance.now() - t0;
  const chat = new LlamaChat({ contextSequence: context.getSequence(), chatWrapper: resolveChatWrapper(model) });
  const history = [
    { type: "system" as const, text: prompt.system },
    { type: "user" as const, text: prompt.messages[0].text },
    { type: "model" as const, response: [] },
  ];
  const ttft: number[] = [];
  const tps: number[] = [];
  let tokens = 0;
  const nlcRuns = Math.min(runs, 3); // slow by design: keep it short
  const nlcTokens = Math.min(maxTokens, 64);
  for (let i = 0; i < nlcRuns; i++) {
    const start = performance.now();
    let first = 0;
    let out = 0;
    await chat.generateResponse(history, {
      maxTokens: nlcTokens,
      onToken: (t) => {
        if (!first) first = performance.now();
        out += t.length;
      },
    });
    const end = performance.now();
    if (i === 0) continue;
    ttft.push(first - start);
    tps.push((out - 1) / ((end - first) / 1000));
    tokens = out;
  }
  log(`  (node-llama-cpp defaults: context threads ${context.idealThreads}, llama maxThreads ${llama.maxThreads})`);
  await model.dispose();
  await llama.dispose();
  return { label: "node-llama-cpp defaults", threads: "nlc default", loadMs, ttftMs: median(ttft), tokensPerSecond: median(tps), tokens };
}

const rows: Row[] = [];
let failed = false;
try {
  const rt = await llamaRuntimeInfo("cpu");
  log(
    `local bench: ${values.model ? modelPath : "tiny test model"}; ${maxTokens} tokens × ${runs} runs (1 warm-up); ` +
      `${cpus().length} × ${cpus()[0]?.model ?? "?"}; default threads ${defaults}; llama.cpp ${rt.llamaCpp} (${rt.buildType}); load ${loadavg()
        .map((x) => round(x, 2))
        .join(" ")}`,
  );
  for (const t of threadSettings) {
    const label = t === defaults ? `cairn default (${t} thread${t === 1 ? "" : "s"})` : `${t} thread${t === 1 ? "" : "s"}`;
    log(`  measuring ${label}…`);
    rows.push(await measure(label, t));
  }
  if (values["nlc-defaults"]) {
    log("  measuring node-llama-cpp defaults…");
    rows.push(await measureNlcDefaults());
  }
} catch (e) {
  failed = true;
  log(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
} finally {
  await cleanup();
}

const table = [
  ["setting", "load ms", "first token ms", "decode tok/s", "tokens"],
  ...rows.map((r) => [r.label, String(round(r.loadMs)), String(round(r.ttftMs, 2)), String(round(r.tokensPerSecond)), String(r.tokens)]),
];
const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
const rendered = table.map((row) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  "));
process.stdout.write(`${rendered.join("\n")}\n`);
const summary = { bench: "cairn-local", model: values.model ?? "tiny", maxTokens, runs, defaultThreads: defaults, rows, failed };
process.stdout.write(`${JSON.stringify(summary, (_k, v) => (typeof v === "number" ? round(v, 3) : v))}\n`);
process.exit(failed ? 1 : 0);
