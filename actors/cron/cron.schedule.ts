import { Cron } from "croner";
import { CairnError, type CronSchedule } from "../../schemas/index.ts";
import { checkActiveHours, nextInWindow } from "./cron.window.ts";

// Parsed expressions are reused: a fire decides on the job's schedule every slot, and 10,000 jobs
// share a handful of expressions. Bounded; a dropped entry is parsed again.
const parsed = new Map<string, Cron>();

const cronOf = (expr: string, tz: string | undefined): Cron => {
  const key = `${tz ?? ""}\n${expr}`;
  let c = parsed.get(key);
  if (!c) {
    c = new Cron(expr, { paused: true, ...(tz ? { timezone: tz } : {}) });
    if (parsed.size >= 1000) parsed.clear();
    parsed.set(key, c);
  }
  return c;
};

/** Throws `bad_request` unless `tz` is an IANA time zone this Node knows. */
export const checkTimeZone = (tz: string): void => {
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
  } catch {
    throw new CairnError("bad_request", `unknown time zone '${tz}'; use an IANA name such as Europe/Berlin or America/New_York`, {
      field: "tz",
    });
  }
};

/**
 * Throws `bad_request` (with the field) for a schedule that can never run: a cron expression that
 * is not 5 or 6 fields or that croner refuses, an unknown time zone.
 */
export const checkSchedule = (s: CronSchedule): void => {
  if (s.kind === "every" && s.activeHours) {
    if (s.activeHours.tz) checkTimeZone(s.activeHours.tz);
    checkActiveHours(s.activeHours);
  }
  if (s.kind !== "cron") return;
  const fields = s.expr.trim().split(/\s+/).length;
  if (fields !== 5 && fields !== 6) {
    throw new CairnError(
      "bad_request",
      `a cron expression has 5 fields (minute hour day month weekday) or 6 (seconds first); got ${fields}`,
      {
        field: "cron",
      },
    );
  }
  if (s.tz) checkTimeZone(s.tz);
  try {
    cronOf(s.expr, s.tz);
  } catch (e) {
    throw new CairnError("bad_request", `bad cron expression '${s.expr}': ${(e as Error).message}`, { field: "cron" });
  }
};

/**
 * The first slot strictly after `t` (ms), or null when there is none (a one-shot already past, an
 * expression that never matches again). Cron slots are read in the job's time zone by croner: on a
 * spring-forward day a time in the gap runs once, at the first instant after it; on a fall-back day
 * a repeated time runs once, at its first occurrence.
 */
export const nextSlot = (s: CronSchedule, t: number): number | null => {
  switch (s.kind) {
    case "every": {
      const anchor = s.anchor ?? 0;
      const next = t < anchor ? anchor : anchor + (Math.floor((t - anchor) / s.everyMs) + 1) * s.everyMs;
      return s.activeHours ? nextInWindow(next, s.everyMs, s.activeHours) : next;
    }
    case "cron":
      return cronOf(s.expr, s.tz).nextRun(new Date(t))?.getTime() ?? null;
    case "at":
      return s.at > t ? s.at : null;
  }
};

/** The slots in [first, now], first being a slot: how many, the oldest, the latest and the one before it. */
export interface Due {
  readonly count: number;
  readonly first: number;
  readonly latest: number;
  readonly beforeLatest: number | null;
}

/** Walks at most this many slots of a cron expression; a longer outage is counted in closed form for `every` only. */
const WALK_LIMIT = 1_000_000;

export const dueSlots = (s: CronSchedule, first: number, now: number): Due | null => {
  if (first > now) return null;
  // Closed form only without a window: slots outside active hours do not exist, so they are walked.
  if (s.kind === "every" && !s.activeHours) {
    const count = Math.floor((now - first) / s.everyMs) + 1;
    const latest = first + (count - 1) * s.everyMs;
    return { count, first, latest, beforeLatest: count > 1 ? latest - s.everyMs : null };
  }
  let count = 1;
  let latest = first;
  let beforeLatest: number | null = null;
  for (let next = nextSlot(s, first); next !== null && next <= now && count < WALK_LIMIT; next = nextSlot(s, next)) {
    beforeLatest = latest;
    latest = next;
    count++;
  }
  return { count, first, latest, beforeLatest };
};

/** An `every` schedule counts from its anchor: now, unless given. */
export const anchored = (s: CronSchedule, now: number): CronSchedule =>
  s.kind === "every" && s.anchor === undefined ? { ...s, anchor: now } : s;

/** The first slot after `now` of a schedule being set; `bad_request` for a bad schedule or an `at` in the past. */
export const firstSlot = (s: CronSchedule, now: number): number | null => {
  checkSchedule(s);
  const next = nextSlot(s, now);
  if (s.kind === "at" && next === null) {
    throw new CairnError("bad_request", `--at ${new Date(s.at).toISOString()} is in the past`, { field: "at" });
  }
  return next;
};

/** Whether two schedules are the same apart from an `every` job's anchor (which is when it was set). */
export const sameSchedule = (a: CronSchedule, b: CronSchedule): boolean => {
  const key = (s: CronSchedule) =>
    s.kind === "every"
      ? ["every", s.everyMs, s.activeHours?.start, s.activeHours?.end, s.activeHours?.tz]
      : s.kind === "cron"
        ? ["cron", s.expr, s.tz]
        : ["at", s.at];
  return JSON.stringify(key(a)) === JSON.stringify(key(b));
};
