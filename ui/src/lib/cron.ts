import { Cron } from "croner";
import type { CronJobRow, CronRunRow, CronSchedule, MethodParams, WireError } from "./wire.ts";

/**
 * The Cron page's pure parts: schedules in words, the create form checked and turned into
 * `cron.add` params, and a run's result as a person reads it. The gateway checks everything again
 * (`cron.add` decodes and the job's aggregate validates the schedule); checking here only lets
 * the form say what is wrong before a round trip.
 */

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const NAMES: Record<string, string> = { s: "second", m: "minute", h: "hour", d: "day" };

/** `90s`, `15m`, `2h`, `1d`, `1h30m`: ms, or null when it is not an interval (same units as `cairn cron add --every`). */
export function parseInterval(text: string): number | null {
  const t = text.trim();
  const parts = [...t.matchAll(/(\d+)\s*([smhd])/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== t.replace(/\s+/g, "")) return null;
  const ms = parts.reduce((sum, p) => sum + Number(p[1]) * UNITS[p[2]], 0);
  return ms > 0 ? ms : null;
}

/** "every 15 minutes", "every hour", "every 1 h 30 min". */
export function everyInWords(ms: number): string {
  for (const u of ["d", "h", "m", "s"] as const) {
    if (ms % UNITS[u] === 0) {
      const n = ms / UNITS[u];
      return n === 1 ? `every ${NAMES[u]}` : `every ${n} ${NAMES[u]}s`;
    }
  }
  if (ms < 1000) return `every ${ms} ms`;
  const h = Math.floor(ms / UNITS.h);
  const m = Math.floor((ms % UNITS.h) / UNITS.m);
  const s = Math.round((ms % UNITS.m) / 1000);
  return `every ${[h ? `${h} h` : "", m ? `${m} min` : "", s ? `${s} s` : ""].filter(Boolean).join(" ")}`;
}

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const pad = (n: string) => n.padStart(2, "0");

/** The day-of-week field in words, for the forms people write most; null otherwise. */
function daysInWords(dow: string): string | null {
  if (dow === "*") return "every day";
  if (dow === "1-5" || dow === "MON-FRI") return "on weekdays";
  if (dow === "0,6" || dow === "6,0" || dow === "SAT,SUN") return "on weekends";
  if (/^[0-7](,[0-7])*$/.test(dow))
    return `on ${dow
      .split(",")
      .map((d) => `${DAYS[Number(d) % 7]}s`)
      .join(", ")}`;
  return null;
}

/**
 * A cron expression in words for the common shapes ("at 09:00 on weekdays", "every 5 minutes",
 * "hourly at :30"); null when it is something else (the page then shows the expression itself
 * and its next runs, which say exactly what it means).
 */
export function cronInWords(expr: string): string | null {
  const f = expr.trim().split(/\s+/);
  if (f.length !== 5) return null;
  const [min, hour, dom, mon, dow] = f;
  if (mon !== "*") return null;
  const step = /^\*\/(\d+)$/.exec(min);
  if (step && hour === "*" && dom === "*" && dow === "*") return everyInWords(Number(step[1]) * UNITS.m);
  if (min === "*" && hour === "*" && dom === "*" && dow === "*") return "every minute";
  if (!/^\d+$/.test(min)) return null;
  if (hour === "*" && dom === "*" && dow === "*") return `hourly at :${pad(min)}`;
  if (!/^\d+(,\d+)*$/.test(hour)) return null;
  const times = hour
    .split(",")
    .map((h) => `${pad(h)}:${pad(min)}`)
    .join(" and ");
  if (dom !== "*") return /^\d+$/.test(dom) && dow === "*" ? `at ${times} on day ${dom} of each month` : null;
  const days = daysInWords(dow);
  return days ? `at ${times} ${days}` : null;
}

/** A time as this browser shows it, with the zone named when it is not the browser's. */
export function timeIn(at: number, tz?: string): string {
  const opts: Intl.DateTimeFormatOptions = { dateStyle: "medium", timeStyle: "short" };
  try {
    return new Date(at).toLocaleString(undefined, tz ? { ...opts, timeZone: tz, timeZoneName: "short" } : opts);
  } catch {
    return new Date(at).toLocaleString(undefined, opts);
  }
}

/** The schedule as the list shows it. */
export function scheduleInWords(s: CronSchedule): string {
  if (s.kind === "every")
    return s.activeHours
      ? `${everyInWords(s.everyMs)}, ${s.activeHours.start}–${s.activeHours.end} (${s.activeHours.tz ?? "UTC"})`
      : everyInWords(s.everyMs);
  if (s.kind === "at") return `once, ${timeIn(s.at)}`;
  const words = cronInWords(s.expr);
  return `${words ?? `cron ${s.expr}`} (${s.tz ?? "UTC"})`;
}

/** The next `n` slots of a cron expression in a zone, or the reason it is not one (croner's own check). */
export function nextCronRuns(expr: string, tz: string, n = 3, from = new Date()): { runs: number[] } | { error: string } {
  try {
    const c = new Cron(expr.trim(), { timezone: tz || "UTC", paused: true });
    return { runs: c.nextRuns(n, from).map((d) => d.getTime()) };
  } catch (e) {
    return { error: (e as Error).message.replace(/^CronPattern: /, "") };
  }
}

/** Whether the browser knows this IANA zone. */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat(undefined, { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** The zones for the picker: the browser's list when it has one. */
export function timeZones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (k: string) => string[] };
  const zones = intl.supportedValuesOf?.("timeZone") ?? [];
  return zones.includes("UTC") ? zones : ["UTC", ...zones];
}

export type CronKind = "every" | "cron" | "at";

/** The create form's fields, as typed. */
export interface CronForm {
  name: string;
  kind: CronKind;
  every: string;
  expr: string;
  tz: string;
  /** `datetime-local` value (this browser's local time). */
  at: string;
  prompt: string;
  model: string;
  session: string;
  catchUp: "skip" | "run_once" | "run_all";
  timeout: string;
  enabled: boolean;
  /** "" follows the configuration. */
  sandbox: "" | "auto" | "docker" | "bubblewrap" | "none";
  approvalMode: "" | "always" | "smart" | "never";
}

export const emptyCronForm = (tz = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC"): CronForm => ({
  name: "",
  kind: "every",
  every: "15m",
  expr: "0 9 * * 1-5",
  tz,
  at: "",
  prompt: "",
  model: "",
  session: "",
  catchUp: "run_once",
  timeout: "",
  enabled: true,
  sandbox: "",
  approvalMode: "",
});

const two = (n: number) => String(n).padStart(2, "0");
/** A time as a `datetime-local` value in this browser's zone. */
const localInput = (at: number): string => {
  const d = new Date(at);
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}T${two(d.getHours())}:${two(d.getMinutes())}`;
};
/** An interval as the form's text (the largest unit that divides it). */
const intervalText = (ms: number): string => {
  for (const [u, n] of [
    ["d", UNITS.d],
    ["h", UNITS.h],
    ["m", UNITS.m],
  ] as const)
    if (ms % n === 0) return `${ms / n}${u}`;
  return `${Math.round(ms / 1000)}s`;
};

/** The edit form, filled from the job as the list shows it. */
export function formOfJob(j: CronJobRow): CronForm {
  const s = j.schedule;
  const base = emptyCronForm(s.kind === "cron" ? (s.tz ?? "UTC") : undefined);
  return {
    ...base,
    name: j.name,
    kind: s.kind,
    every: s.kind === "every" ? intervalText(s.everyMs) : base.every,
    expr: s.kind === "cron" ? s.expr : base.expr,
    at: s.kind === "at" ? localInput(s.at) : "",
    prompt: j.prompt,
    model: j.model ?? "",
    session: j.session === `cron-${j.name}` ? "" : j.session,
    catchUp: j.catchUp,
    timeout: intervalText(j.timeoutMs),
    enabled: j.enabled,
    sandbox: j.sandbox ?? "",
    approvalMode: j.approvalMode ?? "",
  };
}

/** Whether two schedules mean the same slots (an `every` job's anchor is when it was set, not part of it). */
const sameSchedule = (a: CronSchedule, b: CronSchedule): boolean => {
  if (a.kind === "every" && b.kind === "every") return a.everyMs === b.everyMs;
  if (a.kind === "cron" && b.kind === "cron") return a.expr === b.expr && (a.tz ?? "UTC") === (b.tz ?? "UTC");
  return a.kind === "at" && b.kind === "at" && a.at === b.at;
};

export type CronUpdateResult = { ok: true; params: MethodParams<"cron.update"> } | { ok: false; field: keyof CronForm; message: string };

/**
 * Checks the edit form and builds `cron.update` params holding only what changed, so an edit of
 * the prompt does not re-anchor an `every` schedule; an edit that changes nothing says so.
 */
export function cronUpdateParams(f: CronForm, job: CronJobRow, now = Date.now()): CronUpdateResult {
  // An `at` job's own time may have passed: unchanged, it is not checked against now.
  const unchangedAt = f.kind === "at" && job.schedule.kind === "at" && f.at === localInput(job.schedule.at);
  const r = cronParams({ ...f, name: job.name }, unchangedAt ? Number.NEGATIVE_INFINITY : now);
  if (!r.ok) return r;
  const p = r.params;
  const changes: Record<string, unknown> = {};
  if (!sameSchedule(p.schedule, job.schedule)) changes.schedule = p.schedule;
  if (p.prompt !== job.prompt) changes.prompt = p.prompt;
  if ((p.model ?? null) !== job.model) changes.model = p.model ?? null;
  if ((p.session ?? `cron-${job.name}`) !== job.session) changes.session = p.session ?? null;
  if (p.catchUp !== undefined && p.catchUp !== job.catchUp) changes.catchUp = p.catchUp;
  if (p.timeoutMs !== undefined && p.timeoutMs !== job.timeoutMs) changes.timeoutMs = p.timeoutMs;
  if ((p.sandbox ?? null) !== job.sandbox) changes.sandbox = p.sandbox ?? null;
  if ((p.approvalMode ?? null) !== job.approvalMode) changes.approvalMode = p.approvalMode ?? null;
  if (Object.keys(changes).length === 0) return { ok: false, field: "prompt", message: "Nothing changed." };
  return { ok: true, params: { name: job.name, ...changes } as MethodParams<"cron.update"> };
}

export type CronFormResult = { ok: true; params: MethodParams<"cron.add"> } | { ok: false; field: keyof CronForm; message: string };

const NAME = /^[A-Za-z0-9_-]{1,48}$/;
const SESSION = /^[A-Za-z0-9_-]{1,64}$/;

/** Checks the form and builds `cron.add` params; a failure names the field and what to type. */
export function cronParams(f: CronForm, now = Date.now()): CronFormResult {
  const bad = (field: keyof CronForm, message: string): CronFormResult => ({ ok: false, field, message });
  const name = f.name.trim();
  if (!NAME.test(name)) return bad("name", "Give the job a name: 1-48 letters, digits, '-' or '_' (e.g. morning-brief).");
  let schedule: CronSchedule;
  if (f.kind === "every") {
    const ms = parseInterval(f.every);
    if (ms === null) return bad("every", "Type an interval such as 90s, 15m, 2h or 1d.");
    if (ms < 1000) return bad("every", "The shortest interval is 1 second.");
    schedule = { kind: "every", everyMs: ms };
  } else if (f.kind === "cron") {
    const tz = f.tz.trim() || "UTC";
    if (!isTimeZone(tz)) return bad("tz", `'${tz}' is not a time zone this browser knows; pick one like Europe/Berlin or UTC.`);
    const next = nextCronRuns(f.expr, tz, 1, new Date(now));
    if ("error" in next) return bad("expr", `Not a cron expression: ${next.error}. Five fields: minute hour day month weekday.`);
    if (next.runs.length === 0) return bad("expr", "This expression never fires.");
    schedule = { kind: "cron", expr: f.expr.trim(), tz };
  } else {
    const at = f.at ? new Date(f.at).getTime() : Number.NaN;
    if (Number.isNaN(at)) return bad("at", "Pick a date and time.");
    if (at <= now) return bad("at", "That time has passed; pick one in the future.");
    schedule = { kind: "at", at };
  }
  const prompt = f.prompt.trim();
  if (!prompt) return bad("prompt", "Say what the agent should do on each run.");
  const session = f.session.trim();
  if (session && !SESSION.test(session))
    return bad("session", "A session key is letters, digits, '-' or '_'; leave it empty for the job's own session.");
  let timeoutMs: number | undefined;
  if (f.timeout.trim()) {
    const ms = parseInterval(f.timeout);
    if (ms === null || ms < 1000 || ms > 86_400_000) return bad("timeout", "A timeout such as 10m or 1h (1 second to 1 day).");
    timeoutMs = ms;
  }
  const model = f.model.trim();
  return {
    ok: true,
    params: {
      name,
      schedule,
      prompt,
      ...(model ? { model } : {}),
      ...(session ? { session } : {}),
      catchUp: f.catchUp,
      ...(timeoutMs ? { timeoutMs } : {}),
      ...(f.sandbox ? { sandbox: f.sandbox } : {}),
      ...(f.approvalMode ? { approvalMode: f.approvalMode } : {}),
      ...(f.enabled ? {} : { disabled: true }),
    },
  };
}

/** "completed", "failed: provider_error", "2 slots skipped (…)". */
export function runResult(r: CronRunRow): string {
  if (r.status === "skipped")
    return `${r.count} slot${r.count === 1 ? "" : "s"} skipped${r.reason ? ` (${r.reason.replaceAll("_", " ")})` : ""}`;
  const err = runError(r);
  if (r.status === "timed_out") return "timed out";
  if (r.status === "failed") return err ? `failed: ${err.code}` : "failed";
  return r.status;
}

/** The run's error, when it kept one. */
export function runError(r: CronRunRow): WireError | null {
  if (!r.error) return null;
  try {
    const e = JSON.parse(r.error) as WireError;
    return typeof e?.code === "string" ? e : null;
  } catch {
    return null;
  }
}

/** The badge of a job's last result. */
export function lastTone(j: CronJobRow): "ok" | "bad" | "busy" | "none" {
  if (j.lastStatus === null) return "none";
  if (j.lastStatus === "completed") return "ok";
  if (j.lastStatus === "claimed" || j.lastStatus === "running") return "busy";
  if (j.lastStatus === "skipped") return "none";
  return "bad";
}

/** "in 5 min", "in 3 h", or the time itself when further away. */
export function untilText(at: number, now: number): string {
  const d = at - now;
  if (d <= 0) return "due now";
  if (d < 60_000) return `in ${Math.ceil(d / 1000)} s`;
  if (d < 3_600_000) return `in ${Math.round(d / 60_000)} min`;
  if (d < 86_400_000) return `in ${Math.round(d / 3_600_000)} h`;
  return timeIn(at);
}
