import type { ConfigFile, CronApprovalMode, CronJobSettings, CronSandbox } from "../../schemas/index.ts";
import { CairnError } from "../../schemas/index.ts";
import { checkSchedule } from "./cron.schedule.ts";

/** The system job `[heartbeat]` makes: its name, so `cairn cron list` and the UI show it as cairn's. */
export const HEARTBEAT_JOB = "heartbeat";

/** What a beat asks when `[heartbeat] prompt` is not set. */
export const DEFAULT_HEARTBEAT_PROMPT =
  "Heartbeat check-in. Read HEARTBEAT.md in your workspace if it exists and do what it asks. " +
  "Look for anything due or pending that needs the user's attention. If nothing does, reply exactly HEARTBEAT_OK.";

export interface CronSettings {
  /** Job changes (add, update) the agent's `cron` tool may make per window. */
  readonly rateLimitMax: number;
  readonly rateLimitWindowMs: number;
  /** What jobs' runs use unless a job says otherwise (null: the session's and `[tools.exec]`'s). */
  readonly sandbox: CronSandbox;
  readonly approvalMode: CronApprovalMode;
}

export const DEFAULT_CRON_SETTINGS: CronSettings = { rateLimitMax: 10, rateLimitWindowMs: 60_000, sandbox: null, approvalMode: null };

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `30m`, `1h30m`, `90s`: ms, or null when it is not an interval. */
export const parseInterval = (text: string): number | null => {
  const parts = [...text.matchAll(/(\d+)(ms|[smhd])/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text) return null;
  return parts.reduce((ms, p) => ms + Number(p[1]) * UNITS[p[2]], 0);
};

/** `[cron]` with its defaults. */
export const cronSettings = (c: ConfigFile["cron"]): CronSettings => ({
  rateLimitMax: c?.rate_limit_max ?? DEFAULT_CRON_SETTINGS.rateLimitMax,
  rateLimitWindowMs: Math.round((c?.rate_limit_window_secs ?? 60) * 1000),
  sandbox: c?.sandbox ?? null,
  approvalMode: c?.approval_mode ?? null,
});

/**
 * The heartbeat job `[heartbeat]` asks for, or null (no table, or `enabled = false`). A beat missed
 * while the gateway was down is not run late (`skip`): the next one is as good. Throws
 * `bad_request` naming the key for a bad interval, window or time zone, so the gateway refuses to
 * start with it instead of failing later.
 */
export const heartbeatSettings = (h: ConfigFile["heartbeat"]): CronJobSettings | null => {
  if (!h || h.enabled === false) return null;
  const everyMs = parseInterval(h.every ?? "30m");
  if (everyMs === null || everyMs < 60_000) {
    throw new CairnError("bad_request", `[heartbeat] every is an interval of at least a minute such as "30m" or "1h", got '${h.every}'`);
  }
  const w = h.active_hours;
  const schedule = {
    kind: "every" as const,
    everyMs,
    ...(w ? { activeHours: { start: w.start, end: w.end, ...(w.timezone ? { tz: w.timezone } : {}) } } : {}),
  };
  try {
    checkSchedule(schedule);
  } catch (e) {
    throw new CairnError("bad_request", `[heartbeat] active_hours: ${(e as Error).message}`);
  }
  return {
    schedule,
    prompt: h.prompt ?? DEFAULT_HEARTBEAT_PROMPT,
    ...(h.model ? { model: h.model } : {}),
    ...(h.session ? { session: h.session } : {}),
    catchUp: "skip",
    timeoutMs: Math.round((h.timeout ?? 300) * 1000),
    system: true,
  };
};
