import * as Schema from "effect/Schema";
import { SandboxBackendSetting } from "./config.ts";
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

const ClockTime = Schema.String.check(
  Schema.isPattern(/^([01][0-9]|2[0-3]):[0-5][0-9]$/, { message: "a time of day as HH:MM (24 h), such as 08:00 or 22:30" }),
);

/**
 * The hours of the day an `every` job runs in (the heartbeat's `active_hours`), read in `tz`
 * (default UTC). `end` before `start` spans midnight (22:00-06:00); `start` = `end` is all day.
 * Slots outside the window do not exist: they are neither run nor counted as missed.
 */
export const ActiveHours = Schema.Struct({
  start: ClockTime,
  end: ClockTime,
  tz: Schema.optionalKey(Schema.String.check(Schema.isMaxLength(64))),
});
export type ActiveHours = typeof ActiveHours.Type;

/** `every`: slots at anchor + k·everyMs (the anchor is when the job was created or rescheduled), within `activeHours` when set. */
export const EverySchedule = Schema.Struct({
  kind: Schema.Literal("every"),
  everyMs: Schema.Int.check(Schema.isGreaterThanOrEqualTo(MIN_EVERY_MS)),
  anchor: Schema.optionalKey(Schema.Number),
  activeHours: Schema.optionalKey(ActiveHours),
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

/** The `exec` sandbox a job's runs use (null: `[cron] sandbox`, else the session's or `[tools.exec.sandbox]`). */
export const CronSandbox = Schema.NullOr(SandboxBackendSetting);
export type CronSandbox = typeof CronSandbox.Type;
/** How a job's runs ask before dangerous calls (null: `[cron] approval_mode`, else `[tools.exec] approval_mode`). */
export const CronApprovalMode = Schema.NullOr(Schema.Literals(["always", "smart", "never"]));
export type CronApprovalMode = typeof CronApprovalMode.Type;
const Prompt = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(CRON_PROMPT_MAX));
const Timeout = Schema.Int.check(Schema.isBetween({ minimum: 1000, maximum: 86_400_000 }));
export const DEFAULT_CRON_TIMEOUT_MS = 600_000;

/** The settings of a job, as created (`cmd.cron.<name>.create`). */
export const CronJobSettings = Schema.Struct({
  schedule: CronSchedule,
  prompt: Prompt,
  /** null: the session's model (the configured default for the job's own session). */
  model: Schema.optionalKey(Schema.NullOr(ModelId)),
  /** null: the job's own session, `cron-<name>`. */
  session: Schema.optionalKey(Schema.NullOr(SessionKey)),
  catchUp: Schema.optionalKey(CatchUpPolicy),
  /** Wall-clock bound of one run; a run still going after it is cancelled and recorded as timed out. */
  timeoutMs: Schema.optionalKey(Timeout),
  sandbox: Schema.optionalKey(CronSandbox),
  approvalMode: Schema.optionalKey(CronApprovalMode),
  /** Created disabled (`--disabled`). */
  disabled: Schema.optionalKey(Schema.Boolean),
  /** A job cairn made itself (the heartbeat, from `[heartbeat]`): only cairn changes or removes it. */
  system: Schema.optionalKey(Schema.Boolean),
  /** The session whose agent made it with the `cron` tool: that agent may change or remove it, no other. */
  owner: Schema.optionalKey(Schema.NullOr(SessionKey)),
});
export type CronJobSettings = typeof CronJobSettings.Type;

/** What an edit may change (`cron.update`, `cairn cron edit`, the `cron` tool): the fields given replace the job's. */
export const CronJobChanges = {
  schedule: Schema.optionalKey(CronSchedule),
  prompt: Schema.optionalKey(Prompt),
  model: Schema.optionalKey(Schema.NullOr(ModelId)),
  session: Schema.optionalKey(Schema.NullOr(SessionKey)),
  catchUp: Schema.optionalKey(CatchUpPolicy),
  timeoutMs: Schema.optionalKey(Timeout),
  sandbox: Schema.optionalKey(CronSandbox),
  approvalMode: Schema.optionalKey(CronApprovalMode),
};

/**
 * `cmd.cron.<name>.update` (and `remove`'s guards): `system` is set only by cairn's own sync (a
 * system job refuses other edits); `asOwner` is set by the `cron` tool (a job another session's
 * agent made, or a person made, is refused).
 */
export const CronJobGuards = {
  system: Schema.optionalKey(Schema.Boolean),
  asOwner: Schema.optionalKey(SessionKey),
};
export const CronJobUpdate = Schema.Struct({ ...CronJobChanges, ...CronJobGuards });
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
  sandbox: CronSandbox,
  approvalMode: CronApprovalMode,
  owner: Schema.NullOr(Schema.String),
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
// `cron` tool's rate limit, are made by cairn only) and `owner` (set by the `cron` tool).
const { system: _system, owner: _owner, ...userSettings } = CronJobSettings.fields;

/** The cron methods of the WebSocket protocol (spread into `methodParams`). */
export const cronMethodParams = {
  "cron.list": ListCronJobs,
  /** One job and its latest slots. */
  "cron.get": GetCronJob,
  /** A job's slots, newest first. */
  "cron.runs": ListCronRuns,
  "cron.add": Schema.Struct({ name: CronJobId, ...userSettings }),
  /** Edits a job: the fields given replace its own (a system job is refused: it follows cairn.toml). */
  "cron.update": Schema.Struct({ name: CronJobId, ...CronJobChanges }),
  "cron.enable": GetCronJob,
  "cron.disable": GetCronJob,
  /** A slot now, outside the schedule. */
  "cron.run": GetCronJob,
  "cron.remove": GetCronJob,
} as const;

export const ListCronJobsResult = Schema.Struct({ jobs: Schema.Array(CronJobRow), checkpoint: Schema.Number });
export const GetCronJobResult = Schema.Struct({ job: CronJobRow, runs: Schema.Array(CronRunRow), checkpoint: Schema.Number });
export const ListCronRunsResult = Schema.Struct({ runs: Schema.Array(CronRunRow), checkpoint: Schema.Number });
