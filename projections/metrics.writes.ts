import * as Schema from "effect/Schema";
import type { Db } from "./db.ts";
import { decodeRow } from "./rows.ts";

export const METRICS_MINUTE_MS = 60_000;
export const METRICS_HOUR_MS = 3_600_000;
export const minuteOf = (t: number): number => t - (t % METRICS_MINUTE_MS);
export const hourOf = (t: number): number => t - (t % METRICS_HOUR_MS);

export type Counter =
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

const OpenRunRow = Schema.Struct({
  model: Schema.String,
  mark: Schema.Number,
  input_tokens: Schema.Number,
  output_tokens: Schema.Number,
  cache_read_tokens: Schema.Number,
  cache_write_tokens: Schema.Number,
});

/** A run in progress: its model, when its current model call began, the tokens already counted. */
export type OpenRun = typeof OpenRunRow.Type;

/** The minute and the hour `time` falls in: every figure is kept at both grains. */
const periodsOf = (time: number) =>
  [
    ["minutes", minuteOf(time)],
    ["hours", hourOf(time)],
  ] as const;

type Sums = { table: "minutes" | "hours"; period: number; model: string; figures: Record<Counter, number> };
type Bucket = { table: "minutes" | "hours"; period: number; model: string; bucket: number; count: number };

/**
 * The metrics tables' writes, gathered in memory and written by `flush` (before each commit, in
 * its transaction): a replay or a busy gateway applies many run events per minute and model, and
 * an upsert per event and period was the largest share of a replay (bench/audit.bench.ts). Open
 * runs are read through to the table and written back once per flush; a run that starts and ends
 * within one batch never touches it.
 */
export class MetricsWrites {
  private readonly sums = new Map<string, Sums>();
  private readonly buckets = new Map<string, Bucket>();
  /** Open runs read or changed since the last flush; null: no run open under that id. */
  private readonly runs = new Map<string, OpenRun | null>();
  private readonly changed = new Set<string>();
  /** Of those, the ones that may have a row in the table (the others started since the last flush). */
  private readonly stored = new Set<string>();
  private readonly add: Record<Sums["table"], (row: Record<string, number | string>) => void>;
  private readonly count: Record<Bucket["table"], (period: number, model: string, bucket: number, count: number) => void>;
  private readonly getOpen: (id: string) => unknown;
  private readonly putOpen: (id: string, r: OpenRun) => void;
  private readonly closeOpen: (id: string) => void;
  private readonly pruneBefore: (minute: number) => void;

  constructor(db: Db) {
    const cols = COUNTERS.join(", ");
    const adder = (table: string) => {
      const st = db.prepare(
        `INSERT INTO ${table}(minute, model, ${cols}) VALUES (@minute, @model, ${COUNTERS.map((c) => `@${c}`).join(", ")})
         ON CONFLICT(minute, model) DO UPDATE SET ${COUNTERS.map((c) => `${c} = ${c} + excluded.${c}`).join(", ")}`,
      );
      return (row: Record<string, number | string>) => void st.run(row);
    };
    const counter = (table: string) => {
      const st = db.prepare(
        `INSERT INTO ${table}(minute, model, bucket, count) VALUES (?, ?, ?, ?)
         ON CONFLICT(minute, model, bucket) DO UPDATE SET count = count + excluded.count`,
      );
      return (period: number, model: string, bucket: number, n: number) => void st.run(period, model, bucket, n);
    };
    this.add = { minutes: adder("metrics_minutes"), hours: adder("metrics_hours") };
    this.count = { minutes: counter("metrics_latency"), hours: counter("metrics_latency_hours") };
    const get = db.prepare(
      "SELECT model, mark, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens FROM metrics_open_runs WHERE run_id = ?",
    );
    const put = db.prepare(
      `INSERT OR REPLACE INTO metrics_open_runs(run_id, model, mark, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    const close = db.prepare("DELETE FROM metrics_open_runs WHERE run_id = ?");
    this.getOpen = (id) => get.get(id);
    this.putOpen = (id, r) => void put.run(id, r.model, r.mark, r.input_tokens, r.output_tokens, r.cache_read_tokens, r.cache_write_tokens);
    this.closeOpen = (id) => void close.run(id);
    const prunes = [db.prepare("DELETE FROM metrics_minutes WHERE minute < ?"), db.prepare("DELETE FROM metrics_latency WHERE minute < ?")];
    const prunesHours = [
      db.prepare("DELETE FROM metrics_hours WHERE minute < ?"),
      db.prepare("DELETE FROM metrics_latency_hours WHERE minute < ?"),
    ];
    // A run that never ended (a log cut short) stops being "open" after the retention too.
    const pruneOpen = db.prepare("DELETE FROM metrics_open_runs WHERE mark < ?");
    this.pruneBefore = (minute) => {
      for (const st of prunes) st.run(minute);
      for (const st of prunesHours) st.run(hourOf(minute));
      pruneOpen.run(minute);
    };
  }

  /** Adds to the counters of `model` at `time`'s minute and hour. */
  bump(time: number, model: string, figures: Partial<Record<Counter, number>>): void {
    for (const [table, period] of periodsOf(time)) {
      const key = `${table}\t${period}\t${model}`;
      let s = this.sums.get(key);
      if (!s) {
        s = { table, period, model, figures: Object.fromEntries(COUNTERS.map((c) => [c, 0])) as Record<Counter, number> };
        this.sums.set(key, s);
      }
      for (const c in figures) s.figures[c as Counter] += figures[c as Counter] ?? 0;
    }
  }

  /** Counts one model call of `model` at `time` in latency bucket `bucket`. */
  latency(time: number, model: string, bucket: number): void {
    for (const [table, period] of periodsOf(time)) {
      const key = `${table}\t${period}\t${model}\t${bucket}`;
      const b = this.buckets.get(key);
      if (b) b.count++;
      else this.buckets.set(key, { table, period, model, bucket, count: 1 });
    }
  }

  /** The open run `id`, or null. */
  run(id: string): OpenRun | null {
    const known = this.runs.get(id);
    if (known !== undefined) return known;
    const r = decodeRow(OpenRunRow, this.getOpen(id), "metrics_open_runs") ?? null;
    this.runs.set(id, r);
    if (r) this.stored.add(id);
    return r;
  }

  /** Records the open run's new state (null: it ended). */
  setRun(id: string, r: OpenRun | null): void {
    if (!this.runs.has(id)) this.stored.add(id);
    this.runs.set(id, r);
    this.changed.add(id);
  }

  /** Writes everything gathered since the last flush. */
  flush(): void {
    for (const s of this.sums.values()) this.add[s.table]({ minute: s.period, model: s.model, ...s.figures });
    for (const b of this.buckets.values()) this.count[b.table](b.period, b.model, b.bucket, b.count);
    for (const id of this.changed) {
      const r = this.runs.get(id);
      if (r) this.putOpen(id, r);
      else if (this.stored.has(id)) this.closeOpen(id);
    }
    this.sums.clear();
    this.buckets.clear();
    this.runs.clear();
    this.changed.clear();
    this.stored.clear();
  }

  /** Drops the minutes (and hours, and open runs) before `minute`, after writing what is gathered. */
  prune(minute: number): void {
    this.flush();
    this.pruneBefore(minute);
  }
}
