import * as Schema from "effect/Schema";
import { WireError } from "../errors.ts";
import { MessageId, ModelId, RunId, SessionKey } from "../ids.ts";
import { CatchUpPolicy, CronApprovalMode, CronSandbox, CronSchedule } from "../cron.ts";
import { Usage } from "./run.events.ts";

/**
 * Events of one cron job (`evt.cron.<name>`). Every scheduling decision is recorded with the
 * slot it is about and the next slot it leads to, so replay never recomputes a schedule (a new
 * time zone database must not rewrite history) and the log alone proves each slot ran once.
 */
export const CronJobCreated = Schema.Struct({
  schedule: CronSchedule,
  prompt: Schema.String,
  model: Schema.NullOr(ModelId),
  session: Schema.NullOr(SessionKey),
  catchUp: CatchUpPolicy,
  timeoutMs: Schema.Number,
  enabled: Schema.Boolean,
  system: Schema.Boolean,
  // Optional keys: jobs created before they existed decode with the defaults (null).
  sandbox: Schema.optionalKey(CronSandbox),
  approvalMode: Schema.optionalKey(CronApprovalMode),
  owner: Schema.optionalKey(Schema.NullOr(SessionKey)),
  /** The first slot (null: disabled, or an `at` already past). */
  nextAt: Schema.NullOr(Schema.Number),
});

export const CronJobUpdated = Schema.Struct({
  schedule: Schema.optionalKey(CronSchedule),
  prompt: Schema.optionalKey(Schema.String),
  model: Schema.optionalKey(Schema.NullOr(ModelId)),
  session: Schema.optionalKey(Schema.NullOr(SessionKey)),
  catchUp: Schema.optionalKey(CatchUpPolicy),
  timeoutMs: Schema.optionalKey(Schema.Number),
  sandbox: Schema.optionalKey(CronSandbox),
  approvalMode: Schema.optionalKey(CronApprovalMode),
  nextAt: Schema.NullOr(Schema.Number),
});

export const CronJobEnabled = Schema.Struct({ nextAt: Schema.NullOr(Schema.Number) });

/**
 * A slot is taken before its run starts (appended with the job's expected sequence, id
 * `<name>-slot-<slot>`): a second timer, a restarted gateway or another gateway cannot take it
 * again. `messageId` is the session message the run is started with, so starting it again after
 * a crash is answered by the session as a duplicate, never a second run.
 */
export const CronSlotClaimed = Schema.Struct({
  slot: Schema.Number,
  /** When it was claimed (the scheduler's clock): the run's timeout counts from here. */
  at: Schema.Number,
  manual: Schema.Boolean,
  sessionKey: SessionKey,
  messageId: MessageId,
  nextAt: Schema.NullOr(Schema.Number),
});

/** Slots `from`..`to` (`count` of them) were not run, and why (the catch-up policy's decision). */
export const CronSlotSkipped = Schema.Struct({
  from: Schema.Number,
  to: Schema.Number,
  count: Schema.Number,
  reason: Schema.Literals(["catch_up_skip", "catch_up_run_once"]),
  at: Schema.Number,
  nextAt: Schema.NullOr(Schema.Number),
});

export const CronRunStarted = Schema.Struct({ slot: Schema.Number, runId: RunId, sessionKey: SessionKey, at: Schema.Number });
export const CronRunCompleted = Schema.Struct({
  slot: Schema.Number,
  runId: RunId,
  at: Schema.Number,
  durationMs: Schema.Number,
  usage: Schema.NullOr(Usage),
});
export const CronRunFailed = Schema.Struct({
  slot: Schema.Number,
  runId: Schema.NullOr(RunId),
  at: Schema.Number,
  durationMs: Schema.Number,
  error: WireError,
});
export const CronRunTimedOut = Schema.Struct({
  slot: Schema.Number,
  runId: Schema.NullOr(RunId),
  at: Schema.Number,
  durationMs: Schema.Number,
  timeoutMs: Schema.Number,
});

export const cronEvents = {
  "cron.job.created": { version: 1, schema: CronJobCreated },
  "cron.job.updated": { version: 1, schema: CronJobUpdated },
  "cron.job.removed": { version: 1, schema: Schema.Struct({}) },
  "cron.job.enabled": { version: 1, schema: CronJobEnabled },
  "cron.job.disabled": { version: 1, schema: Schema.Struct({}) },
  "cron.slot.claimed": { version: 1, schema: CronSlotClaimed },
  "cron.slot.skipped": { version: 1, schema: CronSlotSkipped },
  "cron.run.started": { version: 1, schema: CronRunStarted },
  "cron.run.completed": { version: 1, schema: CronRunCompleted },
  "cron.run.failed": { version: 1, schema: CronRunFailed },
  "cron.run.timed_out": { version: 1, schema: CronRunTimedOut },
} as const;
