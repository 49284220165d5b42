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
