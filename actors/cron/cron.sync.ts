import * as Schema from "effect/Schema";
import type { SnapshotFrom } from "xstate";
import { CairnError, CronJobSettings, type NewEvent } from "../../schemas/index.ts";
import type { Decision } from "../runtime/index.ts";
import type { cronMachine, CronContext } from "./cron.machine.ts";
import { anchored, firstSlot, sameSchedule } from "./cron.schedule.ts";

/** `cmd.cron.<name>.sync`: what cairn.toml says its own job is (null: it has none). */
export const SyncParams = Schema.Struct({ settings: Schema.NullOr(CronJobSettings) });

type CreatedData = (p: CronJobSettings, now: number) => Record<string, unknown> & { nextAt: number | null };

// The settings a sync compares; the schedule is compared apart from its anchor (when it was set).
const FIELDS = ["prompt", "model", "session", "catchUp", "timeoutMs", "sandbox", "approvalMode"] as const;

/**
 * Makes a system job (the heartbeat) match the configuration. Every gateway syncs at start, so a
 * sync that changes nothing appends nothing; a job of that name a person made is left alone and
 * reported. Settings changed in cairn.toml become one `cron.job.updated`; a schedule change
 * re-anchors and re-plans the next slot.
 */
export const decideSync = (
  s: SnapshotFrom<typeof cronMachine>,
  settings: CronJobSettings | null,
  now: number,
  createdData: CreatedData,
): Decision => {
  const ctx: CronContext = s.context;
  const state = String(s.value);
  const exists = state !== "new" && state !== "removed";
  if (exists && !ctx.system) {
    throw new CairnError(
      "cron_job_exists",
      `a cron job named '${ctx.id}' exists that a person made; cairn's own job of that name is not set up (rename or remove it)`,
    );
  }
  if (settings === null) {
    if (!exists) return { events: [], reply: { changed: false, removed: false } };
    return { events: [{ type: "cron.job.removed", data: {} }], reply: { changed: true, removed: true } };
  }
  const p = { ...settings, system: true };
  if (!exists)
    return { events: [{ type: "cron.job.created", data: createdData(p, now) } as NewEvent], reply: { changed: true, created: true } };
  const wanted = createdData(p, now);
  const data: Record<string, unknown> = {};
  for (const f of FIELDS) if (JSON.stringify(wanted[f]) !== JSON.stringify(ctx[f])) data[f] = wanted[f];
  let nextAt = ctx.nextAt;
  if (!sameSchedule(ctx.schedule, p.schedule)) {
    const schedule = anchored(p.schedule, now);
    data.schedule = schedule;
    nextAt = ctx.enabled ? firstSlot(schedule, now) : null;
  }
  if (Object.keys(data).length === 0) return { events: [], reply: { changed: false } };
  return {
    events: [{ type: "cron.job.updated", data: { ...data, nextAt } } as NewEvent],
    reply: { changed: true, updated: Object.keys(data) },
  };
};
