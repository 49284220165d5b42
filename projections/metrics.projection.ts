import type { LogRecord } from "../bus/index.ts";
import { MetricsWrites, minuteOf, type Counter } from "./metrics.writes.ts";
import type { Projection } from "./projection.ts";

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

export { METRICS_HOUR_MS, METRICS_MINUTE_MS, hourOf, minuteOf } from "./metrics.writes.ts";
export const DEFAULT_METRICS_RETENTION_DAYS = 30;
/** Upper bounds (ms) of the model-call latency buckets; the last bucket is open. */
export const LATENCY_BUCKETS_MS = [250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 120_000] as const;

interface Tokens {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens?: number;
  cacheWriteTokens?: number;
}

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
    const w = new MetricsWrites(db);
    let prunedFor = -1;

    /** A model call answered at `time` (with these tokens): its latency and tokens, the next call's mark. */
    const answered = (runId: string, time: number, usage: Tokens | null) => {
      const r = w.run(runId);
      if (!r) return;
      const ms = Math.max(0, time - r.mark);
      const tokens = {
        input_tokens: usage?.inputTokens ?? 0,
        output_tokens: usage?.outputTokens ?? 0,
        cache_read_tokens: usage?.cacheReadTokens ?? 0,
        cache_write_tokens: usage?.cacheWriteTokens ?? 0,
      };
      w.bump(time, r.model, { llm_calls: 1, llm_ms: ms, ...tokens });
      w.latency(time, r.model, bucketOf(ms));
      w.setRun(runId, {
        model: r.model,
        mark: time,
        input_tokens: r.input_tokens + tokens.input_tokens,
        output_tokens: r.output_tokens + tokens.output_tokens,
        cache_read_tokens: r.cache_read_tokens + tokens.cache_read_tokens,
        cache_write_tokens: r.cache_write_tokens + tokens.cache_write_tokens,
      });
    };
    /** The run's end: its total usage minus what its earlier answers counted is the last answer's. */
    const ended = (runId: string, time: number, status: Counter, total: Tokens | null, error: boolean) => {
      const r = w.run(runId);
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
      w.bump(time, r.model, { [status]: 1, llm_errors: error ? 1 : 0 });
      w.setRun(runId, null);
    };
    /** A new model call begins now (after a tool, a hook). */
    const marked = (runId: string, time: number) => {
      const r = w.run(runId);
      if (r) w.setRun(runId, { ...r, mark: time });
    };

    const apply = (rec: LogRecord) => {
      if (!rec.ok || rec.event.kind !== "run") return;
      const e = rec.event;
      const minute = minuteOf(e.time);
      if (minute !== prunedFor) {
        prunedFor = minute;
        w.prune(minute - retentionMs);
      }
      const id = e.aggregateId;
      switch (e.type) {
        case "run.started":
          // The first start counts; a run already open (a start seen twice) keeps its state.
          if (!w.run(id)) {
            w.setRun(id, {
              model: e.data.model,
              mark: e.time,
              input_tokens: 0,
              output_tokens: 0,
              cache_read_tokens: 0,
              cache_write_tokens: 0,
            });
            w.bump(e.time, e.data.model, { runs_started: 1 });
          }
          break;
        case "run.model_switched": {
          // The model given up failed a call; the next one starts now.
          const r = w.run(id);
          if (!r) break;
          w.bump(e.time, r.model, { llm_errors: 1 });
          w.setRun(id, { ...r, model: e.data.to, mark: e.time });
          break;
        }
        case "run.tool_call_requested":
          // Only the first call of a response carries the reply: that is the model's answer.
          if (e.data.reply) answered(id, e.time, e.data.reply.usage);
          break;
        case "run.tool_started":
        case "run.hooked":
          marked(id, e.time);
          break;
        case "run.tool_finished": {
          const r = w.run(id);
          if (!r) break;
          w.bump(e.time, r.model, { tool_calls: 1, tool_errors: e.data.isError ? 1 : 0, tool_ms: Math.round(e.data.durationMs) });
          marked(id, e.time);
          break;
        }
        case "run.tool_interrupted": {
          const r = w.run(id);
          if (!r) break;
          w.bump(e.time, r.model, { tool_calls: 1, tool_errors: 1 });
          marked(id, e.time);
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
    return Object.assign(apply, { flush: () => w.flush() });
  },
});
