import { relativeTime } from "./time.ts";
import type { HookView } from "./wire.ts";

/** How a hook reads at a glance: a dot's tone and a word. */
export type HookTone = "ok" | "warn" | "bad" | "off";

/**
 * What the Hooks page says about a hook's state, most urgent first: a breaker that is open (it is
 * being skipped), half-open (its next run is a trial), then not eligible (with why), then active.
 */
export const hookState = (h: HookView, now: number): { tone: HookTone; text: string } => {
  const b = h.breaker;
  if (h.eligible && b?.state === "open")
    return { tone: "bad", text: `breaker open${b.retryAt !== null ? `: retried ${relativeTime(b.retryAt, now)}` : ""}` };
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
