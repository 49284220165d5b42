import { CairnError, type ActiveHours } from "../../schemas/index.ts";

// One formatter per zone: building an Intl.DateTimeFormat costs far more than using one.
const formatters = new Map<string, Intl.DateTimeFormat>();
const formatter = (tz: string): Intl.DateTimeFormat => {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat("en-GB", { timeZone: tz, hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
    formatters.set(tz, f);
  }
  return f;
};

const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** The minute of the day (0-1439) that `t` is on the wall clock of `tz`. */
export const localMinute = (t: number, tz: string): number => {
  let h = 0;
  let m = 0;
  for (const p of formatter(tz).formatToParts(t)) {
    if (p.type === "hour") h = Number(p.value);
    else if (p.type === "minute") m = Number(p.value);
  }
  return h * 60 + m;
};

/** Throws `bad_request` for a window that is not two HH:MM times. */
export const checkActiveHours = (w: ActiveHours): void => {
  for (const [field, v] of [
    ["start", w.start],
    ["end", w.end],
  ] as const) {
    if (!/^([01][0-9]|2[0-3]):[0-5][0-9]$/.test(v))
      throw new CairnError("bad_request", `active hours ${field} is a time of day as HH:MM (24 h), got '${v}'`, { field: "active_hours" });
  }
};

/** Whether `t` falls within the window (`start` inclusive, `end` exclusive; `end` < `start` spans midnight). */
export const inWindow = (t: number, w: ActiveHours): boolean => {
  const start = minutesOf(w.start);
  const end = minutesOf(w.end);
  if (start === end) return true;
  const m = localMinute(t, w.tz ?? "UTC");
  return start < end ? m >= start && m < end : m >= start || m < end;
};

/** Beyond this many steps a window is treated as never open (it always opens within a day; this bounds a bug). */
const MAX_STEPS = 100_000;

/**
 * The first of `first`, `first + everyMs`, … that falls within the window, or null. Outside the
 * window it jumps close to the window's next opening (less an hour, so a DST shift cannot make it
 * overshoot) instead of stepping slot by slot: a 1 s job closed for ten hours is a few steps.
 */
export const nextInWindow = (first: number, everyMs: number, w: ActiveHours): number | null => {
  const start = minutesOf(w.start);
  let t = first;
  for (let i = 0; i < MAX_STEPS; i++) {
    if (inWindow(t, w)) return t;
    const untilOpen = (start - localMinute(t, w.tz ?? "UTC") + 1440) % 1440;
    const jump = Math.max(0, untilOpen - 61) * 60_000;
    t += Math.max(1, Math.floor(jump / everyMs)) * everyMs;
  }
  return null;
};
