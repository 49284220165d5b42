import type { CatchUpPolicy, CronSchedule } from "../../schemas/index.ts";
import { dueSlots, nextSlot } from "./cron.schedule.ts";

/** A slot at most this late counts as on time under `skip` (timers, GC pauses and a busy bus make a slot a little late). */
export const DEFAULT_GRACE_MS = 60_000;

export interface Skip {
  readonly from: number;
  readonly to: number;
  readonly count: number;
  readonly reason: "catch_up_skip" | "catch_up_run_once";
}

/** What a due timer decides: slots to skip (recorded), the slot to claim, and the next slot. */
export interface FirePlan {
  readonly skip: Skip | null;
  readonly claim: number | null;
  readonly nextAt: number | null;
}

/**
 * Decides what to do with the slots due at `now`, from `nextAt` (the first slot not yet claimed or
 * skipped) on. Pure, so the decision is tested without a clock and recorded as events:
 * - `run_all`: claims the oldest; the next one is due at once and runs after it.
 * - `run_once` (default): claims the latest and skips the ones before it.
 * - `skip`: claims the latest only if it is on time (within `graceMs`), skips the rest.
 * Not due yet (an early timer): nothing.
 */
export const planFire = (
  schedule: CronSchedule,
  catchUp: CatchUpPolicy,
  nextAt: number,
  now: number,
  graceMs: number = DEFAULT_GRACE_MS,
): FirePlan => {
  const due = dueSlots(schedule, nextAt, now);
  if (!due) return { skip: null, claim: null, nextAt };
  if (catchUp === "run_all") return { skip: null, claim: due.first, nextAt: nextSlot(schedule, due.first) };
  const after = nextSlot(schedule, due.latest);
  const reason: Skip["reason"] = catchUp === "skip" ? "catch_up_skip" : "catch_up_run_once";
  const runLatest = catchUp === "run_once" || now - due.latest <= graceMs;
  if (runLatest) {
    const skip = due.beforeLatest === null ? null : { from: due.first, to: due.beforeLatest, count: due.count - 1, reason };
    return { skip, claim: due.latest, nextAt: after };
  }
  return { skip: { from: due.first, to: due.latest, count: due.count, reason }, claim: null, nextAt: after };
};
