/**
 * What "exactly once per slot" means, checked on the log of one `every` job: no slot claimed twice
 * or both claimed and skipped, no slot lost between the first and the last one decided, one
 * session message per claimed slot (its derived id: the slot's run) and one outcome each. A claim
 * whose outcome is a failure without a run (its start refused) counts against the job: the slot
 * was due to run and did not. Returns the problems instead of asserting, so the chaos tests and
 * bench/cron.bench.ts share it.
 */
import type { LoggedEvent } from "./chaos.helpers.ts";

const slotMessageId = (name: string, slot: number) => `c-${name}-${slot.toString(36)}`;
const OUTCOME = /^cron\.run\.(completed|failed|timed_out)$/;

export interface SlotCheck {
  readonly claimed: number;
  readonly skipped: number;
  /** Claimed slots whose run ended failed (with a run or without one). */
  readonly failed: number;
  readonly doubled: number;
  readonly missed: number;
  /** The latest a slot was decided (claimed or skipped) after its time, ms: a job that stalls shows here, not as a lost slot. */
  readonly maxLateMs: number;
  readonly problems: readonly string[];
}

export function checkCronSlots(events: readonly LoggedEvent[], name: string): SlotCheck {
  const problems: string[] = [];
  const job = events.filter((e) => e.kind === "cron" && e.id === name);
  const created = job.find((e) => e.type === "cron.job.created")?.data;
  if (!created) return { claimed: 0, skipped: 0, failed: 0, doubled: 0, missed: 0, maxLateMs: 0, problems: [`${name}: never created`] };
  const every: number = created.schedule.everyMs;
  const claimed = job.filter((e) => e.type === "cron.slot.claimed" && !e.data.manual).map((e) => e.data.slot as number);
  const covered = new Map<number, number>();
  for (const s of claimed) covered.set(s, (covered.get(s) ?? 0) + 1);
  let skipped = 0;
  for (const e of job.filter((x) => x.type === "cron.slot.skipped")) {
    let n = 0;
    for (let t = e.data.from as number; t <= e.data.to; t += every) {
      covered.set(t, (covered.get(t) ?? 0) + 1);
      n++;
    }
    if (n !== e.data.count) problems.push(`${name}: a skip of ${e.data.count} slot(s) spans ${n}`);
    skipped += n;
  }
  if (created.catchUp === "run_all" && skipped > 0) problems.push(`${name}: run_all skipped ${skipped} slot(s)`);
  const doubled = [...covered.values()].filter((n) => n > 1).length;
  if (doubled > 0) problems.push(`${name}: ${doubled} slot(s) decided twice`);
  let missed = 0;
  const last = covered.size > 0 ? Math.max(...covered.keys()) : 0;
  for (let t = created.schedule.anchor + every; t <= last; t += every) if (!covered.has(t)) missed++;
  if (missed > 0) problems.push(`${name}: ${missed} slot(s) lost`);
  const messages = events
    .filter((e) => e.kind === "session" && e.id === `cron-${name}` && e.type === "session.user_message")
    .map((m) => m.data.messageId as string)
    .sort();
  const expected = claimed.map((s) => slotMessageId(name, s)).sort();
  if (JSON.stringify(messages) !== JSON.stringify(expected))
    problems.push(`${name}: ${messages.length} run message(s) for ${expected.length} claimed slot(s)`);
  const outcomes = job.filter((e) => OUTCOME.test(e.type));
  const ended = outcomes.map((e) => e.data.slot as number).sort();
  if (JSON.stringify(ended) !== JSON.stringify([...claimed].sort()))
    problems.push(`${name}: ${ended.length} outcome(s) for ${claimed.length} claimed slot(s)`);
  const failures = outcomes.filter((e) => e.type === "cron.run.failed");
  // Named, so an anomaly says which slot and why (a start refused has no run id).
  for (const f of failures.filter((e) => e.data.runId === null))
    problems.push(`${name}: slot ${f.data.slot} claimed but its run never started (${f.data.error?.code}: ${f.data.error?.message})`);
  const late = job.flatMap((e) =>
    e.type === "cron.slot.claimed" && !e.data.manual
      ? [e.data.at - e.data.slot]
      : e.type === "cron.slot.skipped"
        ? [e.data.at - e.data.to]
        : [],
  );
  return { claimed: claimed.length, skipped, failed: failures.length, doubled, missed, maxLateMs: Math.max(0, ...late), problems };
}
