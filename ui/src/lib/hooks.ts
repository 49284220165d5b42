import { relativeTime } from "./time.ts";
import type { HookView } from "./wire.ts";

/** A wait ahead, coarse ("40 s", "2 min"): the breaker's cooldown is a minute. */
const untilText = (ms: number): string => {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return s < 90 ? `${s} s` : `${Math.round(s / 60)} min`;
};

/** Display order: what needs a look first (open breakers), then the rest in the gateway's (priority) order. */
export const byUrgency = (hooks: readonly HookView[], now: number): HookView[] => {
  const rank = { bad: 0, warn: 1, ok: 2, off: 3 } as const;
  return hooks
    .map((h, i) => ({ h, i, r: rank[hookState(h, now).tone] }))
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .map((x) => x.h);
};

/** How a hook reads at a glance: a dot's tone and a word. */
export type HookTone = "ok" | "warn" | "bad" | "off";

/**
 * What the Hooks page says about a hook's state, most urgent first: a breaker that is open (it is
 * being skipped), half-open (its next run is a trial), then not eligible (with why), then active.
 */
export const hookState = (h: HookView, now: number): { tone: HookTone; text: string } => {
  const b = h.breaker;
  if (h.eligible && b?.state === "open")
    return { tone: "bad", text: `breaker open${b.retryAt !== null ? `: retried in ${untilText(b.retryAt - now)}` : ""}` };
  if (h.eligible && b?.state === "half-open") return { tone: "warn", text: "breaker half-open: the next run is a trial" };
  if (!h.enabled) return { tone: "off", text: "disabled" };
  if (!h.eligible) return { tone: "warn", text: "not eligible" };
  return { tone: "ok", text: "active" };
};

/** The last run in words: "AfterToolCall → continue in 12 ms, 3 minutes ago". */
export const lastRunText = (h: HookView, now: number): string | null => {
  const r = h.lastRun;
  if (!r) return null;
  const what = r.outcome === "skipped" ? "skipped (breaker open)" : `${r.outcome} in ${Math.round(r.durationMs)} ms`;
  return `${r.event} → ${what}, ${relativeTime(r.at, now)}`;
};

/** Where a hook came from, as a person reads it. */
export const sourceText: Record<HookView["source"], string> = {
  project: "workspace (.cairn/hooks)",
  user: "yours (~/.cairn/hooks)",
  config: "cairn.toml [[hooks]]",
  bundled: "bundled with cairn",
};
