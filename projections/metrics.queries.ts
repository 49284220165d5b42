import type { NatsConnection } from "@nats-io/transport-node";
import * as Schema from "effect/Schema";
import { serve, subjects } from "../bus/index.ts";
import {
  CairnError,
  MetricsHistoryParams,
  decodeOrFail,
  type MetricsHistory,
  type ModelSeries,
  type PriceTable,
  type SessionCost,
} from "../schemas/index.ts";
import type { Db } from "./db.ts";
import { LATENCY_BUCKETS_MS, METRICS_HOUR_MS, METRICS_MINUTE_MS, hourOf, minuteOf } from "./metrics.projection.ts";
import { costOf, priceOf } from "./metrics.prices.ts";
import { decodeRows } from "./rows.ts";

/** Buckets a window may hold: enough for a minute-by-minute day, bounded for a 30-day one. */
export const MAX_BUCKETS = 1_500;
const HOURLY_ABOVE_MS = 15 * 60_000;
const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90m`, `24h`, `7d` (or a number of ms) → ms; a bad value is a `bad_request` naming the parameter. */
export const parseDuration = (v: string | number, what: string): number => {
  if (typeof v === "number" && Number.isFinite(v) && v > 0) return v;
  const m = typeof v === "string" ? /^(\d{1,6})([mhd])$/.exec(v.trim()) : null;
  if (!m || Number(m[1]) === 0)
    throw new CairnError("bad_request", `${what} must be a duration such as 5m, 24h or 7d (got ${JSON.stringify(v)})`);
  return Number(m[1]) * UNITS[m[2]];
};

const MinuteRow = Schema.Struct({
  i: Schema.Number,
  model: Schema.String,
  runs_started: Schema.Number,
  runs_completed: Schema.Number,
  runs_failed: Schema.Number,
  runs_cancelled: Schema.Number,
  runs_interrupted: Schema.Number,
  llm_calls: Schema.Number,
  llm_errors: Schema.Number,
  llm_ms: Schema.Number,
  input_tokens: Schema.Number,
  output_tokens: Schema.Number,
  cache_read_tokens: Schema.Number,
  cache_write_tokens: Schema.Number,
  tool_calls: Schema.Number,
  tool_errors: Schema.Number,
  tool_ms: Schema.Number,
});
const LatencyRow = Schema.Struct({ i: Schema.Number, bucket: Schema.Number, count: Schema.Number });

/**
 * A latency percentile from bucket counts: linear within the bucket that holds it (the way
 * Prometheus' `histogram_quantile` estimates), the open last bucket answering its lower bound.
 */
export const percentile = (counts: readonly number[], q: number): number | null => {
  const n = counts.reduce((a, b) => a + b, 0);
  if (n === 0) return null;
  const rank = q * n;
  let seen = 0;
  for (let b = 0; b < counts.length; b++) {
    if (counts[b] === 0) continue;
    const lower = b === 0 ? 0 : LATENCY_BUCKETS_MS[b - 1];
    if (b >= LATENCY_BUCKETS_MS.length) return lower;
    if (seen + counts[b] >= rank) return Math.round(lower + ((LATENCY_BUCKETS_MS[b] - lower) * (rank - seen)) / counts[b]);
    seen += counts[b];
  }
  return null;
};

export interface MetricsQueryOptions {
  readonly prices: PriceTable;
  readonly retentionDays: number;
  readonly now: () => number;
}

interface SummedTokens {
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
}
type Mutable<T> = { -readonly [K in keyof T]: T[K] extends readonly (infer E)[] ? E[] : T[K] };

const zeros = (n: number) => new Array<number>(n).fill(0);
const ratio = (a: number, b: number) => (b > 0 ? Math.round(a / b) : null);

export const metricsQueries = (db: () => Db, o: MetricsQueryOptions) => {
  const costFor = (model: string, r: SummedTokens): number | null => {
    const p = priceOf(o.prices, model);
    return p
      ? costOf(p, { input: r.input_tokens, output: r.output_tokens, cacheRead: r.cache_read_tokens, cacheWrite: r.cache_write_tokens })
      : null;
  };
  return {
    /** A window of the history, bucketed by `step`. Empty minutes are zeros, not gaps. */
    history(params: MetricsHistoryParams): MetricsHistory {
      const now = o.now();
      const to = params.to ?? now;
      const from = Math.max(params.from ?? to - parseDuration(params.range ?? "24h", "range"), to - o.retentionDays * UNITS.d);
      if (!(to > from)) throw new CairnError("bad_request", "the window is empty: from must be before to");
      const asked = params.step !== undefined ? parseDuration(params.step, "step") : METRICS_MINUTE_MS;
      const wanted = Math.max(METRICS_MINUTE_MS, asked, Math.ceil((to - from) / MAX_BUCKETS));
      // Steps over a quarter of an hour become whole hours, read from the hourly rollup (60× fewer
      // rows): a 30-day window at "1m" is 720 hourly buckets rather than 1,500 scans of 29 minutes.
      const hourly = wanted > HOURLY_ABOVE_MS;
      const unit = hourly ? METRICS_HOUR_MS : METRICS_MINUTE_MS;
      const step = Math.ceil(wanted / unit) * unit;
      const start = hourly ? hourOf(from) : minuteOf(from);
      const [minutesTable, latencyTable] = hourly ? ["metrics_hours", "metrics_latency_hours"] : ["metrics_minutes", "metrics_latency"];
      const n = Math.max(1, Math.ceil((to - start) / step));
      const rows = decodeRows(
        MinuteRow,
        db()
          .prepare(
            `SELECT CAST((minute - @start) / @step AS INTEGER) AS i, model, SUM(runs_started) AS runs_started, SUM(runs_completed) AS runs_completed,
               SUM(runs_failed) AS runs_failed, SUM(runs_cancelled) AS runs_cancelled, SUM(runs_interrupted) AS runs_interrupted,
               SUM(llm_calls) AS llm_calls, SUM(llm_errors) AS llm_errors, SUM(llm_ms) AS llm_ms, SUM(input_tokens) AS input_tokens,
               SUM(output_tokens) AS output_tokens, SUM(cache_read_tokens) AS cache_read_tokens, SUM(cache_write_tokens) AS cache_write_tokens,
               SUM(tool_calls) AS tool_calls, SUM(tool_errors) AS tool_errors, SUM(tool_ms) AS tool_ms
             FROM ${minutesTable} WHERE minute >= @start AND minute < @end GROUP BY i, model`,
          )
          .all({ start, step, end: start + n * step }),
        "metrics_minutes",
      );
      const lat = decodeRows(
        LatencyRow,
        db()
          .prepare(
            `SELECT CAST((minute - @start) / @step AS INTEGER) AS i, bucket, SUM(count) AS count FROM ${latencyTable}
             WHERE minute >= @start AND minute < @end GROUP BY i, bucket`,
          )
          .all({ start, step, end: start + n * step }),
        "metrics_latency",
      );
      const t = Array.from({ length: n }, (_, i) => start + i * step);
      const h = {
        started: zeros(n),
        completed: zeros(n),
        failed: zeros(n),
        cancelled: zeros(n),
        interrupted: zeros(n),
        calls: zeros(n),
        errors: zeros(n),
        llmMs: zeros(n),
        toolCalls: zeros(n),
        toolErrors: zeros(n),
        toolMs: zeros(n),
        input: zeros(n),
        output: zeros(n),
        cache: zeros(n),
      };
      const cost: (number | null)[] = zeros(n);
      const models = new Map<string, Mutable<ModelSeries>>();
      for (const r of rows) {
        const i = r.i;
        h.started[i] += r.runs_started;
        h.completed[i] += r.runs_completed;
        h.failed[i] += r.runs_failed;
        h.cancelled[i] += r.runs_cancelled;
        h.interrupted[i] += r.runs_interrupted;
        h.calls[i] += r.llm_calls;
        h.errors[i] += r.llm_errors;
        h.llmMs[i] += r.llm_ms;
        h.toolCalls[i] += r.tool_calls;
        h.toolErrors[i] += r.tool_errors;
        h.toolMs[i] += r.tool_ms;
        h.input[i] += r.input_tokens;
        h.output[i] += r.output_tokens;
        h.cache[i] += r.cache_read_tokens + r.cache_write_tokens;
        let m = models.get(r.model);
        if (!m) {
          const priced = priceOf(o.prices, r.model) !== undefined;
          m = {
            model: r.model,
            provider: r.model.split("/")[0],
            inputTokens: zeros(n),
            outputTokens: zeros(n),
            cacheTokens: zeros(n),
            cost: priced ? zeros(n) : new Array<null>(n).fill(null),
            calls: zeros(n),
            priced,
          };
          models.set(r.model, m);
        }
        m.inputTokens[i] += r.input_tokens;
        m.outputTokens[i] += r.output_tokens;
        m.cacheTokens[i] += r.cache_read_tokens + r.cache_write_tokens;
        m.calls[i] += r.llm_calls;
        const c = costFor(r.model, r);
        if (c !== null) {
          m.cost[i] = (m.cost[i] ?? 0) + c;
          cost[i] = (cost[i] ?? 0) + c;
        }
      }
      const buckets = Array.from({ length: n }, () => zeros(LATENCY_BUCKETS_MS.length + 1));
      for (const r of lat) buckets[r.i][r.bucket] += r.count;
      const sum = (a: readonly number[]) => a.reduce((x, y) => x + y, 0);
      const unpriced = [...models.values()].some((m) => !m.priced && sum(m.inputTokens) + sum(m.outputTokens) > 0);
      return {
        from: start,
        to,
        step,
        currency: "USD",
        retentionDays: o.retentionDays,
        t,
        runs: { started: h.started, completed: h.completed, failed: h.failed, cancelled: h.cancelled, interrupted: h.interrupted },
        llm: {
          calls: h.calls,
          errors: h.errors,
          avgMs: h.llmMs.map((ms, i) => ratio(ms, h.calls[i])),
          p50Ms: buckets.map((b) => percentile(b, 0.5)),
          p95Ms: buckets.map((b) => percentile(b, 0.95)),
        },
        tools: { calls: h.toolCalls, errors: h.toolErrors, avgMs: h.toolMs.map((ms, i) => ratio(ms, h.toolCalls[i])) },
        tokens: { input: h.input, output: h.output, cache: h.cache },
        cost,
        models: [...models.values()].sort((a, b) => sum(b.inputTokens) + sum(b.outputTokens) - sum(a.inputTokens) - sum(a.outputTokens)),
        totals: {
          runs: sum(h.started),
          failedRuns: sum(h.failed),
          llmCalls: sum(h.calls),
          llmErrors: sum(h.errors),
          toolCalls: sum(h.toolCalls),
          toolErrors: sum(h.toolErrors),
          inputTokens: sum(h.input),
          outputTokens: sum(h.output),
          // Unknown when a model with tokens has no price: a partial sum would read as the whole.
          cost: unpriced ? null : sum(cost.map((c) => c ?? 0)),
        },
      };
    },

    /** A session's tokens and cost by model, from its runs (the model that answered each). */
    session(sessionKey: string): SessionCost {
      const rows = decodeRows(
        SessionRow,
        db()
          .prepare(
            `SELECT model, COALESCE(SUM(input_tokens), 0) AS input_tokens, COALESCE(SUM(output_tokens), 0) AS output_tokens,
               COALESCE(SUM(cache_read_tokens), 0) AS cache_read_tokens, COALESCE(SUM(cache_write_tokens), 0) AS cache_write_tokens
             FROM runs WHERE session_key = ? GROUP BY model ORDER BY model`,
          )
          .all(sessionKey),
        "runs",
      );
      const models = rows.map((r) => ({
        model: r.model,
        inputTokens: r.input_tokens,
        outputTokens: r.output_tokens,
        cacheReadTokens: r.cache_read_tokens,
        cacheWriteTokens: r.cache_write_tokens,
        cost: costFor(r.model, r),
      }));
      const known = models.every((m) => m.cost !== null || m.inputTokens + m.outputTokens === 0);
      return { sessionKey, currency: "USD", cost: known ? models.reduce((a, m) => a + (m.cost ?? 0), 0) : null, models };
    },
  };
};
export type MetricsQueries = ReturnType<typeof metricsQueries>;

const SessionRow = Schema.Struct({
  model: Schema.String,
  input_tokens: Schema.Number,
  output_tokens: Schema.Number,
  cache_read_tokens: Schema.Number,
  cache_write_tokens: Schema.Number,
});

const SessionParams = Schema.Struct({ session: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(200)) });

/** `q.metrics.history` and `q.metrics.session`, answered from this gateway's read models. */
export const serveMetricsQueries = (nc: NatsConnection, q: MetricsQueries) => [
  serve(nc, subjects.query("metrics", "history"), (p) => q.history(decodeOrFail(MetricsHistoryParams, p ?? {}, "metrics.history params"))),
  serve(nc, subjects.query("metrics", "session"), (p) => q.session(decodeOrFail(SessionParams, p ?? {}, "metrics.session params").session)),
];
