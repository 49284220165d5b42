/**
 * One line of the gateway's structured log, read back: parsed, filtered by level and shown the way
 * a person reads it. Lines from before the log was structured (plain text) pass as `info`.
 */

export const LEVELS = ["debug", "info", "warn", "error"] as const;
export type Level = (typeof LEVELS)[number];
const RANK: Record<string, number> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4, fatal: 5 };

export interface LogLine {
  readonly level: string;
  readonly time: string | null;
  readonly msg: string;
  readonly fields: Record<string, unknown>;
  /** The line as stored. */
  readonly raw: string;
}

/** A stored line, parsed; a non-JSON line is kept whole as an `info` message. */
export function parseLine(raw: string): LogLine {
  try {
    const o = JSON.parse(raw) as Record<string, unknown>;
    if (o && typeof o === "object" && typeof o.msg === "string") {
      const { level, time, msg, pid: _pid, hostname: _h, ...fields } = o;
      return { level: typeof level === "string" ? level : "info", time: typeof time === "string" ? time : null, msg, fields, raw };
    }
  } catch {
    // a plain-text line (an older gateway's log)
  }
  return { level: "info", time: null, msg: raw, fields: {}, raw };
}

/** At or above `min` (unknown levels are shown: better one line too many than a hidden failure). */
export const atLeast = (l: LogLine, min: Level): boolean => (RANK[l.level] ?? RANK.error) >= RANK[min];

const COLOR: Record<string, string> = { debug: "\x1b[2m", warn: "\x1b[33m", error: "\x1b[31m", fatal: "\x1b[31m" };

/** `2026-12-06 06:40:01.123  WARN  message  key=value`; coloured by level on a terminal. */
export function formatLine(l: LogLine, color: boolean): string {
  const when = l.time ? l.time.replace("T", " ").replace(/Z$/, "") : "";
  const extra = Object.entries(l.fields)
    .map(([k, v]) => `${k}=${typeof v === "string" ? (/\s/.test(v) ? JSON.stringify(v) : v) : JSON.stringify(v)}`)
    .join(" ");
  const text = `${when ? `${when}  ` : ""}${l.level.toUpperCase().padEnd(5)}  ${l.msg}${extra ? `  ${extra}` : ""}`;
  const c = color ? COLOR[l.level] : undefined;
  return c ? `${c}${text}\x1b[0m` : text;
}
