import type { NatsConnection } from "@nats-io/transport-node";
import * as Schema from "effect/Schema";
import { serve, subjects } from "../bus/index.ts";
import {
  CatchUpPolicy,
  CronApprovalMode,
  CronSandbox,
  CairnError,
  CronRunStatus,
  CronSchedule,
  GetCronJob,
  ListCronJobs,
  ListCronRuns,
  decodeOrFail,
  type CronJobRow,
  type CronRunRow,
} from "../schemas/index.ts";
import type { Db } from "./db.ts";
import { SqlBool, decodeRows } from "./rows.ts";

const ScheduleJson = Schema.String.pipe(Schema.decodeTo(Schema.fromJsonString(CronSchedule)));

const JobRow = Schema.Struct({
  name: Schema.String,
  schedule: Schema.String,
  prompt: Schema.String,
  model: Schema.NullOr(Schema.String),
  session: Schema.String,
  catch_up: CatchUpPolicy,
  timeout_ms: Schema.Number,
  enabled: SqlBool,
  system: SqlBool,
  sandbox: CronSandbox,
  approval_mode: CronApprovalMode,
  owner: Schema.NullOr(Schema.String),
  next_at: Schema.NullOr(Schema.Number),
  last_slot: Schema.NullOr(Schema.Number),
  last_status: Schema.NullOr(CronRunStatus),
  last_run_id: Schema.NullOr(Schema.String),
  runs: Schema.Number,
  skipped: Schema.Number,
  created_at: Schema.Number,
  updated_at: Schema.Number,
});

const DueRow = Schema.Struct({ name: Schema.String, next_at: Schema.NullOr(Schema.Number), in_progress: SqlBool });

const RunRow = Schema.Struct({
  name: Schema.String,
  slot: Schema.Number,
  manual: SqlBool,
  status: CronRunStatus,
  run_id: Schema.NullOr(Schema.String),
  session_key: Schema.NullOr(Schema.String),
  claimed_at: Schema.Number,
  ended_at: Schema.NullOr(Schema.Number),
  duration_ms: Schema.NullOr(Schema.Number),
  input_tokens: Schema.NullOr(Schema.Number),
  output_tokens: Schema.NullOr(Schema.Number),
  count: Schema.Number,
  reason: Schema.NullOr(Schema.String),
  error: Schema.NullOr(Schema.String),
});

const toJob = (r: typeof JobRow.Type): CronJobRow => ({
  name: r.name,
  schedule: decodeOrFail(ScheduleJson, r.schedule, "cron_jobs.schedule"),
  prompt: r.prompt,
  model: r.model,
  session: r.session,
  catchUp: r.catch_up,
  timeoutMs: r.timeout_ms,
  enabled: r.enabled,
  system: r.system,
  sandbox: r.sandbox,
  approvalMode: r.approval_mode,
  owner: r.owner,
  nextAt: r.next_at,
  lastSlot: r.last_slot,
  lastStatus: r.last_status,
  lastRunId: r.last_run_id,
  runs: r.runs,
  skipped: r.skipped,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** The cron read model's answers: jobs (by name), one job, a job's slots (newest first). */
export const cronQueries = (db: () => Db) => ({
  jobs: (limit = 1000): CronJobRow[] =>
    decodeRows(JobRow, db().prepare("SELECT * FROM cron_jobs WHERE removed = 0 ORDER BY name LIMIT ?").all(limit), "cron_jobs").map(toJob),
  /**
   * What a gateway needs to arm jobs (not removed) without reading their logs: the next slot, and
   * whether a slot is in progress (claimed or running: that job is adopted from its log). With
   * `dueBefore`, only jobs with a slot in progress or due before then (both indexed).
   */
  due: (dueBefore?: number): { name: string; nextAt: number | null; inProgress: boolean }[] => {
    const open = "name IN (SELECT name FROM cron_runs WHERE status IN ('claimed', 'running'))";
    const rows =
      dueBefore === undefined
        ? db().prepare(`SELECT name, next_at, ${open} AS in_progress FROM cron_jobs WHERE removed = 0`).all()
        : db()
            .prepare(
              `SELECT name, next_at, ${open} AS in_progress FROM cron_jobs WHERE removed = 0 AND next_at <= ?
               UNION SELECT name, next_at, 1 FROM cron_jobs WHERE removed = 0 AND ${open}`,
            )
            .all(dueBefore);
    return decodeRows(DueRow, rows, "cron_jobs").map((r) => ({ name: r.name, nextAt: r.next_at, inProgress: r.in_progress }));
  },
  job: (name: string): CronJobRow | undefined =>
    decodeRows(JobRow, db().prepare("SELECT * FROM cron_jobs WHERE name = ? AND removed = 0").all(name), "cron_jobs").map(toJob)[0],
  runs: (name: string, limit = 50): CronRunRow[] =>
    decodeRows(
      RunRow,
      db().prepare("SELECT * FROM cron_runs WHERE name = ? ORDER BY slot DESC, manual DESC LIMIT ?").all(name, limit),
      "cron_runs",
    ).map((r) => ({
      name: r.name,
      slot: r.slot,
      manual: r.manual,
      status: r.status,
      runId: r.run_id,
      sessionKey: r.session_key,
      claimedAt: r.claimed_at,
      endedAt: r.ended_at,
      durationMs: r.duration_ms,
      inputTokens: r.input_tokens,
      outputTokens: r.output_tokens,
      count: r.count,
      reason: r.reason,
      error: r.error,
    })),
});
export type CronQueries = ReturnType<typeof cronQueries>;

/** Answers `q.cron.list`, `q.cron.get` and `q.cron.runs`. */
export const serveCronQueries = (nc: NatsConnection, q: CronQueries, checkpoint: () => number) => [
  serve(nc, subjects.query("cron", "list"), (p) => ({
    jobs: q.jobs(decodeOrFail(ListCronJobs, p ?? {}, "cron.list params").limit),
    checkpoint: checkpoint(),
  })),
  serve(nc, subjects.query("cron", "get"), (p) => {
    const { name } = decodeOrFail(GetCronJob, p, "cron.get params");
    const job = q.job(name);
    if (!job) throw new CairnError("cron_job_not_found", `no cron job named '${name}'; 'cairn cron list' shows them`);
    return { job, runs: q.runs(name, 10), checkpoint: checkpoint() };
  }),
  serve(nc, subjects.query("cron", "runs"), (p) => {
    const params = decodeOrFail(ListCronRuns, p, "cron.runs params");
    return { runs: q.runs(params.name, params.limit), checkpoint: checkpoint() };
  }),
];
