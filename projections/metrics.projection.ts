import type { Projection } from "./projection.ts";
import { decodeRow } from "./rows.ts";
import * as Schema from "effect/Schema";

/**
 * Metrics history: per-minute aggregates per model (runs, model calls and their latency, tokens,
 * tool calls and errors), derived from the run events alone, so a rebuild from the log yields the
 * same rows as live following. Cost is not stored: it is tokens × the price table at query time,
 * so editing a price re-prices the whole history.
 *
 * A model call's latency is the time from the event that handed the turn to the model (the run's
 * start, the last tool result, a fallback switch) to the event recording its answer (a tool call
 * request carrying the reply, or the run's end): a few milliseconds of appends more than the
 * provider's own time, but known from the log. The per-call figure from the process itself is in
 * `/metrics` (`cairn_llm_request_duration_seconds`).
 */

export const METRICS_MINUTE_MS = 60_000;
export const DEFAULT_METRICS_RETENTION_DAYS = 30;
/** Upper bounds (ms) of the model-call latency buckets; the last bucket is open. */
export const LATENCY_BUCKETS_MS = [250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 120_000] as const;

type Counter =
  | "runs_started"
  | "runs_completed"
  | "runs_failed"
  | "runs_cancelled"
  | "runs_interrupted"
  | "llm_calls"
  | "llm_errors"
  | "llm_ms"
  | "input_tokens"
  | "output_tokens"
  | "cache_read_tokens"
  | "cache_write_tokens"
  | "tool_calls"
  | "tool_errors"
  | "tool_ms";

const COUNTERS: readonly Counter[] = [
  "runs_started",
  "runs_completed",
  "runs_failed",
  "runs_cancelled",
  "runs_interrupted",
  "llm_calls",
  "llm_errors",
  "llm_ms",
  "input_tokens",
  "output_tokens",
  "cache_read_tokens",
  "cache_write_tokens",
  "tool_calls",
  "tool_errors",
  "tool_ms",
];

const OpenRun = Schema.Struct({
  model: Schema.String,
  mark: Schema.Number,
  input_tokens: Schema.Number,
  output_tokens: Schema.Number,
  cache_read_tokens: Schema.Number,
  cache_write_tokens: Schema.Number,
});

interface Tokens {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens?: number;
  cacheWriteTokens?: number;
}

export const METRICS_HOUR_MS = 3_600_000;
export const minuteOf = (t: number): number => t - (t % METRICS_MINUTE_MS);
export const hourOf = (t: number): number => t - (t % METRICS_HOUR_MS);
export const bucketOf = (ms: number): number => {
  const i = LATENCY_BUCKETS_MS.findIndex((b) => ms <= b);
  return i === -1 ? LATENCY_BUCKETS_MS.length : i;
};

/**
 * The projection, keeping `retentionDays` of minutes. Old minutes are dropped by event time (the
 * first event of each new minute prunes), never by the wall clock, so live and rebuilt agree.
 */
export const metricsProjection = (retentionDays = DEFAULT_METRICS_RETENTION_DAYS): Projection => ({
  name: "metrics",
  bind: (db) => {
    const retentionMs = retentionDays * 86_400_000;
    const cols = COUNTERS.join(", ");
    const adder = (table: string) =>
      db.prepare(
        `INSERT INTO ${table}(minute, model, ${cols}) VALUES (@minute, @model, ${COUNTERS.map((c) => `@${c}`).join(", ")})
         ON CONFLICT(minute, model) DO UPDATE SET ${COUNTERS.map((c) => `${c} = ${c} + excluded.${c}`).join(", ")}`,
      );
    const counter = (table: string) =>
      db.prepare(
        `INSERT INTO ${table}(minute, model, bucket, count) VALUES (?, ?, ?, 1)
         ON CONFLICT(minute, model, bucket) DO UPDATE SET count = count + 1`,
      );
    const add = adder("metrics_minutes");
    const addHour = adder("metrics_hours");
    const latencyMinute = counter("metrics_latency");
    const latencyHour = counter("metrics_latency_hours");
    const latency = {
      run: (time: number, model: string, bucket: number) => {
        latencyMinute.run(minuteOf(time), model, bucket);
        latencyHour.run(hourOf(time), model, bucket);
      },
    };
    const open = db.prepare("INSERT OR IGNORE INTO metrics_open_runs(run_id, model, mark) VALUES (?, ?, ?)");
    const getOpen = db.prepare(
      "SELECT model, mark, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens FROM metrics_open_runs WHERE run_id = ?",
    );
    const setMark = db.prepare("UPDATE metrics_open_runs SET mark = ? WHERE run_id = ?");
    const switchModel = db.prepare("UPDATE metrics_open_runs SET model = ?, mark = ? WHERE run_id = ?");
    const counted = db.prepare(
      `UPDATE metrics_open_runs SET mark = ?, input_tokens = input_tokens + ?, output_tokens = output_tokens + ?,
       cache_read_tokens = cache_read_tokens + ?, cache_write_tokens = cache_write_tokens + ? WHERE run_id = ?`,
    );
    const close = db.prepare("DELETE FROM metrics_open_runs WHERE run_id = ?");
    const pruneMinutes = db.prepare("DELETE FROM metrics_minutes WHERE minute < ?");
    const pruneLatency = db.prepare("DELETE FROM metrics_latency WHERE minute < ?");
    const pruneHours = db.prepare("DELETE FROM metrics_hours WHERE minute < ?");
    const pruneLatencyHours = db.prepare("DELETE FROM metrics_latency_hours WHERE minute < ?");
    // A run that never ended (a log cut short) stops being "open" after the retention too.
    const pruneOpen = db.prepare("DELETE FROM metrics_open_runs WHERE mark < ?");
    let prunedFor = -1;

    const bump = (time: number, model: string, figures: Partial<Record<Counter, number>>) => {
      const row: Record<string, number | string> = { minute: minuteOf(time), model };
      for (const c of COUNTERS) row[c] = figures[c] ?? 0;
      add.run(row);
      row.minute = hourOf(time);
      addHour.run(row);
    };
    const runOf = (runId: string) => decodeRow(OpenRun, getOpen.get(runId), "metrics_open_runs");
    /** A model call answered at `time` (with these tokens): its latency and tokens, the next call's mark. */
    const answered = (runId: string, time: number, usage: Tokens | null) => {
      const r = runOf(runId);
      if (!r) return;
      const ms = Math.max(0, time - r.mark);
      bump(time, r.model, {
        llm_calls: 1,
        llm_ms: ms,
        input_tokens: usage?.inputTokens ?? 0,
        output_tokens: usage?.outputTokens ?? 0,
        cache_read_tokens: usage?.cacheReadTokens ?? 0,
        cache_write_tokens: usage?.cacheWriteTokens ?? 0,
      });
      latency.run(time, r.model, bucketOf(ms));
      counted.run(
        time,
        usage?.inputTokens ?? 0,
        usage?.outputTokens ?? 0,
        usage?.cacheReadTokens ?? 0,
        usage?.cacheWriteTokens ?? 0,
        runId,
      );
    };
    /** The run's end: its total usage minus what its earlier answers counted is the last answer's. */
    const ended = (runId: string, time: number, status: Counter, total: Tokens | null, error: boolean) => {
      const r = runOf(runId);
      if (!r) return;
      if (status === "runs_completed") {
        const rest = total && {
          inputTokens: Math.max(0, total.inputTokens - r.input_tokens),
          outputTokens: Math.max(0, total.outputTokens - r.output_tokens),
          cacheReadTokens: Math.max(0, (total.cacheReadTokens ?? 0) - r.cache_read_tokens),
          cacheWriteTokens: Math.max(0, (total.cacheWriteTokens ?? 0) - r.cache_write_tokens),
        };
        answered(runId, time, rest);
      }
      // A failed run is counted as a failed model call of its model: most failures are the
      // provider's (a tool's failure is its result, not the run's), and it is the model in use.
      bump(time, r.model, { [status]: 1, llm_errors: error ? 1 : 0 });
      close.run(runId);
    };

    return (rec) => {
      if (!rec.ok || rec.event.kind !== "run") return;
      const e = rec.event;
      const minute = minuteOf(e.time);
      if (minute !== prunedFor) {
        prunedFor = minute;
        const cutoff = minute - retentionMs;
        pruneMinutes.run(cutoff);
        pruneLatency.run(cutoff);
        pruneHours.run(hourOf(cutoff));
        pruneLatencyHours.run(hourOf(cutoff));
        pruneOpen.run(cutoff);
      }
      const id = e.aggregateId;
      switch (e.type) {
        case "run.started":
          if (open.run(id, e.data.model, e.time).changes > 0) bump(e.time, e.data.model, { runs_started: 1 });
          break;
        case "run.model_switched": {
          // The model given up failed a call; the next one starts now.
          const r = runOf(id);
          if (!r) break;
          bump(e.time, r.model, { llm_errors: 1 });
          switchModel.run(e.data.to, e.time, id);
          break;
        }
        case "run.tool_call_requested":
          // Only the first call of a response carries the reply: that is the model's answer.
          if (e.data.reply) answered(id, e.time, e.data.reply.usage);
          break;
        case "run.tool_started":
        case "run.hooked":
          setMark.run(e.time, id);
          break;
        case "run.tool_finished": {
          const r = runOf(id);
          if (!r) break;
          bump(e.time, r.model, { tool_calls: 1, tool_errors: e.data.isError ? 1 : 0, tool_ms: Math.round(e.data.durationMs) });
          setMark.run(e.time, id);
          break;
        }
        case "run.tool_interrupted": {
          const r = runOf(id);
          if (!r) break;
          bump(e.time, r.model, { tool_calls: 1, tool_errors: 1 });
          setMark.run(e.time, id);
          break;
        }
        case "run.completed":
          ended(id, e.time, "runs_completed", e.data.usage, false);
          break;
        case "run.failed":
          ended(id, e.time, "runs_failed", null, true);
          break;
        case "run.cancelled":
          ended(id, e.time, "runs_cancelled", null, false);
          break;
        case "run.interrupted":
          ended(id, e.time, "runs_interrupted", null, false);
          break;
      }
    };
  },
});
