import * as Schema from "effect/Schema";
import { ModelId, SessionKey } from "./ids.ts";

/**
 * Cron jobs: what a user schedules (`cairn cron add`, the `cron` tool) and what the read model
 * answers about them. The job's name is its id, so it is one subject token; shorter than a session
 * key because a job without a named session runs in `cron-<name>`.
 */
export const CronJobId = Schema.String.check(
  Schema.isPattern(/^[A-Za-z0-9_-]{1,48}$/, { message: "a cron job name is 1-48 characters of letters, digits, '_' or '-'" }),
);
export type CronJobId = typeof CronJobId.Type;

/** The shortest interval an `every` job may have: a tighter loop is a bug, not a schedule. */
export const MIN_EVERY_MS = 1000;

/** `every`: slots at anchor + k·everyMs (the anchor is when the job was created or rescheduled). */
export const EverySchedule = Schema.Struct({
  kind: Schema.Literal("every"),
  everyMs: Schema.Int.check(Schema.isGreaterThanOrEqualTo(MIN_EVERY_MS)),
  anchor: Schema.optionalKey(Schema.Number),
});
/** `cron`: a 5- or 6-field expression (croner) read in an IANA time zone (default UTC). */
export const CronExprSchedule = Schema.Struct({
  kind: Schema.Literal("cron"),
  expr: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(200)),
  tz: Schema.optionalKey(Schema.String.check(Schema.isMaxLength(64))),
});
/** `at`: one slot, at a time in ms since the epoch. */
export const AtSchedule = Schema.Struct({ kind: Schema.Literal("at"), at: Schema.Number });
export const CronSchedule = Schema.Union([EverySchedule, CronExprSchedule, AtSchedule]);
export type CronSchedule = typeof CronSchedule.Type;

/**
 * What happens to slots missed while no gateway ran the job (or while its previous run was still
 * going): `skip` runs none of the late ones, `run_once` runs the latest of them once, `run_all`
 * runs each, one after another.
 */
export const CatchUpPolicy = Schema.Literals(["skip", "run_once", "run_all"]);
export type CatchUpPolicy = typeof CatchUpPolicy.Type;

export const CRON_PROMPT_MAX = 16_000;
export const DEFAULT_CRON_TIMEOUT_MS = 600_000;

/** The settings of a job, as created (`cmd.cron.<name>.create`). */
export const CronJobSettings = Schema.Struct({
  schedule: CronSchedule,
  prompt: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(CRON_PROMPT_MAX)),
  /** null: the session's model (the configured default for the job's own session). */
  model: Schema.optionalKey(Schema.NullOr(ModelId)),
  /** null: the job's own session, `cron-<name>`. */
  session: Schema.optionalKey(Schema.NullOr(SessionKey)),
  catchUp: Schema.optionalKey(CatchUpPolicy),
  /** Wall-clock bound of one run; a run still going after it is cancelled and recorded as timed out. */
  timeoutMs: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1000, maximum: 86_400_000 }))),
  /** Created disabled (`--disabled`). */
  disabled: Schema.optionalKey(Schema.Boolean),
  /** A job cairn made itself (the heartbeat): exempt from the `cron` tool's rate limit. */
  system: Schema.optionalKey(Schema.Boolean),
});
export type CronJobSettings = typeof CronJobSettings.Type;

/** `cmd.cron.<name>.update`: the fields given replace the job's. */
export const CronJobUpdate = Schema.Struct({
  schedule: Schema.optionalKey(CronSchedule),
  prompt: Schema.optionalKey(Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(CRON_PROMPT_MAX))),
  model: Schema.optionalKey(Schema.NullOr(ModelId)),
  session: Schema.optionalKey(Schema.NullOr(SessionKey)),
  catchUp: Schema.optionalKey(CatchUpPolicy),
  timeoutMs: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1000, maximum: 86_400_000 }))),
});
export type CronJobUpdate = typeof CronJobUpdate.Type;

export const CronRunStatus = Schema.Literals(["claimed", "running", "completed", "failed", "timed_out", "skipped"]);
export type CronRunStatus = typeof CronRunStatus.Type;

/** One job as the read model lists it (`q.cron.list`, `q.cron.get`). */
export const CronJobRow = Schema.Struct({
  name: Schema.String,
  schedule: CronSchedule,
  prompt: Schema.String,
  model: Schema.NullOr(Schema.String),
  session: Schema.String,
  catchUp: CatchUpPolicy,
  timeoutMs: Schema.Number,
  enabled: Schema.Boolean,
  system: Schema.Boolean,
  /** The next slot (ms), null when disabled or when a one-shot job is done. */
  nextAt: Schema.NullOr(Schema.Number),
  lastSlot: Schema.NullOr(Schema.Number),
  lastStatus: Schema.NullOr(CronRunStatus),
  lastRunId: Schema.NullOr(Schema.String),
  runs: Schema.Number,
  skipped: Schema.Number,
  createdAt: Schema.Number,
  updatedAt: Schema.Number,
});
export type CronJobRow = typeof CronJobRow.Type;

/** One slot's history (`q.cron.runs`): claimed, run, and how it ended; or a range of skipped slots. */
export const CronRunRow = Schema.Struct({
  name: Schema.String,
  slot: Schema.Number,
  manual: Schema.Boolean,
  status: CronRunStatus,
  runId: Schema.NullOr(Schema.String),
  sessionKey: Schema.NullOr(Schema.String),
  claimedAt: Schema.Number,
  endedAt: Schema.NullOr(Schema.Number),
  durationMs: Schema.NullOr(Schema.Number),
  inputTokens: Schema.NullOr(Schema.Number),
  outputTokens: Schema.NullOr(Schema.Number),
  /** Skipped rows: how many slots, and why. */
  count: Schema.Number,
  reason: Schema.NullOr(Schema.String),
  error: Schema.NullOr(Schema.String),
});
export type CronRunRow = typeof CronRunRow.Type;

export const ListCronJobs = Schema.Struct({
  limit: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 100_000 }))),
});
export const GetCronJob = Schema.Struct({ name: CronJobId });
export const ListCronRuns = Schema.Struct({
  name: CronJobId,
  limit: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 10_000 }))),
});

// What a person may set from the UI: everything but `system` (cairn's own jobs, exempt from the
// `cron` tool's rate limit, are made by cairn only).
const { system: _system, ...userSettings } = CronJobSettings.fields;

/** The cron methods of the WebSocket protocol (spread into `methodParams`). */
export const cronMethodParams = {
  "cron.list": ListCronJobs,
  /** One job and its latest slots. */
  "cron.get": GetCronJob,
  /** A job's slots, newest first. */
  "cron.runs": ListCronRuns,
  "cron.add": Schema.Struct({ name: CronJobId, ...userSettings }),
  "cron.enable": GetCronJob,
  "cron.disable": GetCronJob,
  /** A slot now, outside the schedule. */
  "cron.run": GetCronJob,
  "cron.remove": GetCronJob,
} as const;

export const ListCronJobsResult = Schema.Struct({ jobs: Schema.Array(CronJobRow), checkpoint: Schema.Number });
export const GetCronJobResult = Schema.Struct({ job: CronJobRow, runs: Schema.Array(CronRunRow), checkpoint: Schema.Number });
export const ListCronRunsResult = Schema.Struct({ runs: Schema.Array(CronRunRow), checkpoint: Schema.Number });
