import type { MethodParams } from "./wire.ts";

/**
 * The events explorer's filters and where they live: the page's hash (`#/events?session=…&run=…`),
 * so "show events" from a chat is a link, and a reload or a shared URL keeps the filter.
 */

export const EVENTS_HASH = "#/events";

export type EventFilter = {
  session?: string;
  run?: string;
  call?: string;
  /** An event type or its start (`run.tool_`). */
  type?: string;
  actor?: NonNullable<MethodParams<"events.list">["actor"]>;
};

const KEYS = ["session", "run", "call", "type", "actor"] as const;
export const ACTORS = ["user", "agent", "cron", "node", "hook", "channel", "system"] as const;

export const isEventsHash = (hash: string): boolean => hash === EVENTS_HASH || hash.startsWith(`${EVENTS_HASH}?`);

/** The explorer's URL for a filter (empty values left out). */
export function eventsHash(f: EventFilter): string {
  const q = new URLSearchParams();
  for (const k of KEYS) if (f[k]) q.set(k, f[k] as string);
  const s = q.toString();
  return s ? `${EVENTS_HASH}?${s}` : EVENTS_HASH;
}

export function filterFromHash(hash: string): EventFilter {
  const i = hash.indexOf("?");
  const q = new URLSearchParams(i === -1 ? "" : hash.slice(i + 1));
  const f: EventFilter = {};
  for (const k of KEYS) {
    const v = q.get(k)?.trim();
    if (!v) continue;
    if (k === "actor") {
      if ((ACTORS as readonly string[]).includes(v)) f.actor = v as EventFilter["actor"];
    } else f[k] = v;
  }
  return f;
}

/** The `events.list` params of a filter. */
export const listParams = (f: EventFilter): MethodParams<"events.list"> => ({
  ...(f.session ? { sessionKey: f.session } : {}),
  ...(f.run ? { runId: f.run } : {}),
  ...(f.call ? { callId: f.call } : {}),
  ...(f.type ? { type: f.type } : {}),
  ...(f.actor ? { actor: f.actor } : {}),
});

/** What a chat shows of its log beside or instead of the live conversation. */
export type ChatPanel = "activity" | "timeline" | null;

/** The family of an event type, for its colour: `session`, `run`, `approval`, … */
export const typeFamily = (type: string): string => type.split(".")[0] ?? "";

/** `12:03:04.512` — events come in bursts; seconds alone do not order them for a reader. */
export const clockTime = (at: number): string => {
  const d = new Date(at);
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
};
