import { Cron } from "croner";
import { CairnError, type CronSchedule } from "../../schemas/index.ts";

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
      if (t < anchor) return anchor;
      return anchor + (Math.floor((t - anchor) / s.everyMs) + 1) * s.everyMs;
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
  if (s.kind === "every") {
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
