import type { AnyStoredEvent, CronSchedule, StoredEvent } from "../schemas/index.ts";

type CronEvent = Extract<AnyStoredEvent, StoredEvent<`cron.${string}` & AnyStoredEvent["type"]>>;

const iso = (ms: number | null) => (ms === null ? "none" : new Date(ms).toISOString());

/** How a schedule reads in one line: `every 900s`, `cron "0 9 * * 1-5" Europe/Berlin`, `at …`. */
export const describeSchedule = (s: CronSchedule): string =>
  s.kind === "every" ? `every ${s.everyMs / 1000}s` : s.kind === "cron" ? `cron "${s.expr}" ${s.tz ?? "UTC"}` : `at ${iso(s.at)}`;

/** One line per cron event, for the audit table and `cairn events tail`. */
export const summarizeCronEvent = (e: CronEvent): string => {
  switch (e.type) {
    case "cron.job.created":
      return `job created: ${describeSchedule(e.data.schedule)}, catch-up ${e.data.catchUp}, next ${iso(e.data.nextAt)}`;
    case "cron.job.updated":
      return `job updated, next ${iso(e.data.nextAt)}`;
    case "cron.job.removed":
      return "job removed";
    case "cron.job.enabled":
      return `job enabled, next ${iso(e.data.nextAt)}`;
    case "cron.job.disabled":
      return "job disabled";
    case "cron.slot.claimed":
      return `slot ${iso(e.data.slot)} claimed${e.data.manual ? " (run now)" : ""}, session ${e.data.sessionKey}`;
    case "cron.slot.skipped":
      return `${e.data.count} slot(s) ${iso(e.data.from)}..${iso(e.data.to)} skipped (${e.data.reason})`;
    case "cron.run.started":
      return `slot ${iso(e.data.slot)}: run ${e.data.runId} started`;
    case "cron.run.completed":
      return `slot ${iso(e.data.slot)}: run ${e.data.runId} completed in ${e.data.durationMs} ms`;
    case "cron.run.failed":
      return `slot ${iso(e.data.slot)}: run ${e.data.runId ?? "-"} failed [${e.data.error.code}]`;
    case "cron.run.timed_out":
      return `slot ${iso(e.data.slot)}: run ${e.data.runId ?? "-"} timed out after ${e.data.timeoutMs} ms`;
  }
};
