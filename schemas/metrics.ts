import * as Schema from "effect/Schema";

/** One sample of a metric family (a histogram has several: `_bucket`s, `_sum`, `_count`). */
export const MetricSample = Schema.Struct({
  value: Schema.Number,
  labels: Schema.Record(Schema.String, Schema.Union([Schema.String, Schema.Number])),
  /** Histograms: `<name>_bucket`, `<name>_sum`, `<name>_count`; absent for counters and gauges. */
  metricName: Schema.optionalKey(Schema.String),
});
export type MetricSample = typeof MetricSample.Type;

/** One metric family as prom-client's JSON (`Registry.getMetricsAsJSON`). */
export const MetricFamily = Schema.Struct({
  name: Schema.String,
  help: Schema.String,
  type: Schema.String,
  values: Schema.Array(MetricSample),
});
export type MetricFamily = typeof MetricFamily.Type;

/** A gateway's answer to `cairn metrics` (`gw.<id>.metrics`); `enabled: false` with `[telemetry] metrics = false`. */
export const MetricsReply = Schema.Struct({
  enabled: Schema.Boolean,
  families: Schema.Array(MetricFamily),
});
export type MetricsReply = typeof MetricsReply.Type;

/** USD per million tokens of one model (`[telemetry.prices."provider/model"]`). */
export const ModelPrice = Schema.Struct({
  input: Schema.Number.check(Schema.isGreaterThanOrEqualTo(0)),
  output: Schema.Number.check(Schema.isGreaterThanOrEqualTo(0)),
  /** Cache reads and writes; absent: priced as input. */
  cache_read: Schema.optionalKey(Schema.Number.check(Schema.isGreaterThanOrEqualTo(0))),
  cache_write: Schema.optionalKey(Schema.Number.check(Schema.isGreaterThanOrEqualTo(0))),
});
export type ModelPrice = typeof ModelPrice.Type;
export const PriceTable = Schema.Record(Schema.String, ModelPrice);
export type PriceTable = typeof PriceTable.Type;

/**
 * `GET /api/metrics` and `q.metrics.history`: a window of the metrics history. `range` is a
 * duration back from now (`90m`, `24h`, `7d`), or `from`/`to` in epoch ms; `step` the bucket width
 * (`1m`, `5m`, `1h`, `1d` or ms; widened so a window holds at most 1,500 buckets).
 */
export const MetricsHistoryParams = Schema.Struct({
  range: Schema.optionalKey(Schema.String),
  from: Schema.optionalKey(Schema.Number),
  to: Schema.optionalKey(Schema.Number),
  step: Schema.optionalKey(Schema.Union([Schema.String, Schema.Number])),
});
export type MetricsHistoryParams = typeof MetricsHistoryParams.Type;

const Series = Schema.Array(Schema.Number);
const NullableSeries = Schema.Array(Schema.NullOr(Schema.Number));

/** One model's series, aligned with `t`. `cost` is null where the model has no price. */
export const ModelSeries = Schema.Struct({
  model: Schema.String,
  provider: Schema.String,
  inputTokens: Series,
  outputTokens: Series,
  cacheTokens: Series,
  cost: NullableSeries,
  calls: Series,
  priced: Schema.Boolean,
});
export type ModelSeries = typeof ModelSeries.Type;

/** Columnar, the shape chart libraries draw from: every series is aligned with `t` (bucket starts, epoch ms). */
export const MetricsHistory = Schema.Struct({
  from: Schema.Number,
  to: Schema.Number,
  step: Schema.Number,
  currency: Schema.Literal("USD"),
  retentionDays: Schema.Number,
  t: Series,
  runs: Schema.Struct({ started: Series, completed: Series, failed: Series, cancelled: Series, interrupted: Series }),
  llm: Schema.Struct({ calls: Series, errors: Series, avgMs: NullableSeries, p50Ms: NullableSeries, p95Ms: NullableSeries }),
  tools: Schema.Struct({ calls: Series, errors: Series, avgMs: NullableSeries }),
  tokens: Schema.Struct({ input: Series, output: Series, cache: Series }),
  cost: NullableSeries,
  models: Schema.Array(ModelSeries),
  totals: Schema.Struct({
    runs: Schema.Number,
    failedRuns: Schema.Number,
    llmCalls: Schema.Number,
    llmErrors: Schema.Number,
    toolCalls: Schema.Number,
    toolErrors: Schema.Number,
    inputTokens: Schema.Number,
    outputTokens: Schema.Number,
    cost: Schema.NullOr(Schema.Number),
  }),
});
export type MetricsHistory = typeof MetricsHistory.Type;

/** A session's usage and cost by model (`q.metrics.session`, the chat header). */
export const SessionCost = Schema.Struct({
  sessionKey: Schema.String,
  currency: Schema.Literal("USD"),
  /** Null when a model the session used has no price (the known part is in `models`). */
  cost: Schema.NullOr(Schema.Number),
  models: Schema.Array(
    Schema.Struct({
      model: Schema.String,
      inputTokens: Schema.Number,
      outputTokens: Schema.Number,
      cacheReadTokens: Schema.Number,
      cacheWriteTokens: Schema.Number,
      cost: Schema.NullOr(Schema.Number),
    }),
  ),
});
export type SessionCost = typeof SessionCost.Type;
