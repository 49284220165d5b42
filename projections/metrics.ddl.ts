/** One period's counters per model (a minute; an hour in the `_hours` table): the same columns at both grains. */
const countersTable = (name: string) => `CREATE TABLE IF NOT EXISTS ${name} (
  minute INTEGER NOT NULL, model TEXT NOT NULL,
  runs_started INTEGER NOT NULL DEFAULT 0, runs_completed INTEGER NOT NULL DEFAULT 0, runs_failed INTEGER NOT NULL DEFAULT 0,
  runs_cancelled INTEGER NOT NULL DEFAULT 0, runs_interrupted INTEGER NOT NULL DEFAULT 0,
  llm_calls INTEGER NOT NULL DEFAULT 0, llm_errors INTEGER NOT NULL DEFAULT 0, llm_ms INTEGER NOT NULL DEFAULT 0,
  input_tokens INTEGER NOT NULL DEFAULT 0, output_tokens INTEGER NOT NULL DEFAULT 0,
  cache_read_tokens INTEGER NOT NULL DEFAULT 0, cache_write_tokens INTEGER NOT NULL DEFAULT 0,
  tool_calls INTEGER NOT NULL DEFAULT 0, tool_errors INTEGER NOT NULL DEFAULT 0, tool_ms INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (minute, model)
);`;

/** One period's latency histogram per model: how many model calls fell in each bucket. */
const latencyTable = (name: string) => `CREATE TABLE IF NOT EXISTS ${name} (
  minute INTEGER NOT NULL, model TEXT NOT NULL, bucket INTEGER NOT NULL, count INTEGER NOT NULL,
  PRIMARY KEY (minute, model, bucket)
);`;

/** The metrics history's tables (`metrics.projection.ts` fills them, `metrics.queries.ts` reads them). */
export const METRICS_DDL = `
${countersTable("metrics_minutes")}
${latencyTable("metrics_latency")}
-- The same per hour (\`minute\` is the hour's start there): a 30-day window reads 720 rows per
-- model instead of 43,200, so the Monitoring page's long ranges stay fast.
${countersTable("metrics_hours")}
${latencyTable("metrics_latency_hours")}
-- Runs in progress: their model, when the current model call began, and the tokens already
-- counted (the run's end carries the run's total; only the rest is the last answer's).
CREATE TABLE IF NOT EXISTS metrics_open_runs (
  run_id TEXT PRIMARY KEY, model TEXT NOT NULL, mark INTEGER NOT NULL,
  input_tokens INTEGER NOT NULL DEFAULT 0, output_tokens INTEGER NOT NULL DEFAULT 0,
  cache_read_tokens INTEGER NOT NULL DEFAULT 0, cache_write_tokens INTEGER NOT NULL DEFAULT 0
);
`;
