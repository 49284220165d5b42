/**
 * The metrics history's read cost, run by hand (timings are reported, not asserted):
 *
 *   npx tsx bench/metrics-history.bench.ts [--models 4] [--days 30] [--reads 50]
 *
 * Fills a real projection database through the metrics projection with `--days` of runs, one run
 * per model per minute (a tool call, two model calls each: every minute of every model holds a
 * row, the worst case for a 30-day window), then times `history()` — what `GET /api/metrics`
 * answers — for the Monitoring page's ranges. Prints the rows, the fill rate and
 * median / p95 per range.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_PRICES, metricsQueries, openDb, PROJECTIONS } from "../projections/index.ts";

const { values } = parseArgs({
  options: { models: { type: "string", default: "4" }, days: { type: "string", default: "30" }, reads: { type: "string", default: "50" } },
});
const models = [
  "openai/gpt-4o",
  "openai/gpt-4o-mini",
  "anthropic/claude-sonnet-4-0",
  "local/tiny",
  "deepseek/deepseek-chat",
  "groq/llama",
].slice(0, Number(values.models));
const days = Number(values.days);
const reads = Number(values.reads);
const dir = mkdtempSync(join(tmpdir(), "cairn-mhist-"));
try {
  const { db } = openDb(join(dir, "p.db"));
  const metrics = PROJECTIONS.find((p) => p.name === "metrics")!.bind(db);
  const touched = { sessions: new Set<string>(), sessionList: false };
  const end = Date.now() - (Date.now() % 60_000);
  const start = end - days * 86_400_000;
  let seq = 0;
  let events = 0;
  const apply = (runId: string, type: string, time: number, data: Record<string, unknown>) => {
    events++;
    metrics({ ok: true, seq: ++seq, event: { kind: "run", aggregateId: runId, type, time, data } } as never, touched);
  };
  const t0 = performance.now();
  const fill = db.transaction((from: number, to: number) => {
    for (let t = from; t < to; t += 60_000)
      for (const [i, model] of models.entries()) {
        const id = `r${t}-${i}`;
        apply(id, "run.started", t, { runId: id, sessionKey: `s${i}`, model, triggerMessageId: "m" });
        apply(id, "run.tool_call_requested", t + 900 + i * 100, {
          callId: "c",
          name: "exec",
          arguments: "{}",
          iteration: 1,
          reply: { text: "", usage: { inputTokens: 1200, outputTokens: 40 } },
        });
        apply(id, "run.tool_started", t + 1000 + i * 100, { callId: "c" });
        apply(id, "run.tool_finished", t + 1500 + i * 100, {
          callId: "c",
          output: "",
          truncated: false,
          isError: i === 0,
          durationMs: 500,
        });
        apply(id, "run.completed", t + 4000 + i * 300, {
          text: "ok",
          usage: { inputTokens: 2600, outputTokens: 200 },
          finishReason: "stop",
        });
      }
  });
  for (let d = 0; d < days; d++) fill(start + d * 86_400_000, start + (d + 1) * 86_400_000);
  const fillMs = performance.now() - t0;
  const rows = db.prepare("SELECT COUNT(*) FROM metrics_minutes").pluck().get() as number;
  const hourRows = db.prepare("SELECT COUNT(*) FROM metrics_hours").pluck().get() as number;
  const q = metricsQueries(() => db, { prices: DEFAULT_PRICES, retentionDays: 30, now: () => end + 30_000 });
  const time = (fn: () => unknown) => {
    fn();
    const ts: number[] = [];
    for (let i = 0; i < reads; i++) {
      const t = performance.now();
      fn();
      ts.push(performance.now() - t);
    }
    ts.sort((a, b) => a - b);
    return {
      medianMs: +ts[Math.floor(ts.length / 2)].toFixed(2),
      p95Ms: +ts[Math.min(ts.length - 1, Math.floor(ts.length * 0.95))].toFixed(2),
    };
  };
  const ranges = [
    ["1h", "1m"],
    ["24h", "15m"],
    ["7d", "2h"],
    ["30d", "6h"],
    ["30d", "1m"],
  ] as const;
  const result = {
    bench: "cairn-metrics-history",
    models: models.length,
    days,
    events,
    rows,
    hourRows,
    fillEventsPerSec: Math.round(events / (fillMs / 1000)),
    history: Object.fromEntries(ranges.map(([range, step]) => [`${range}/${step}`, time(() => q.history({ range, step }))])),
  };
  const h = q.history({ range: "30d", step: "6h" });
  if (h.totals.runs !== models.length * days * 1440) throw new Error(`expected ${models.length * days * 1440} runs, got ${h.totals.runs}`);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  db.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
