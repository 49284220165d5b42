import type { WireError } from "../../schemas/index.ts";

/**
 * When a run may move to the next model of the fallback chain, and for how long a failed model
 * is left alone. Pure: the run effect and the cooldown tracker share it.
 */

/**
 * Whether another model could succeed where this one failed (rate limit, overload, 5xx, timeout,
 * unreachable, a stream cut before the first token) — never a bad key, a bad request, an unknown
 * model or a prompt too long. The run asks it only when nothing has streamed yet.
 */
export { isRetryable } from "../llm/index.ts";

/** First cooldown of a model; doubled for each further consecutive failure. */
export const COOLDOWN_BASE_MS = 30_000;
/** Longest backoff; a longer Retry-After is still honoured (up to `RETRY_AFTER_CAP_MS`). */
export const COOLDOWN_MAX_MS = 10 * 60_000;
/** A Retry-After beyond this is treated as this: a bogus header must not disable a model for days. */
export const RETRY_AFTER_CAP_MS = 60 * 60_000;

const detail = (e: WireError, key: string): unknown =>
  typeof e.details === "object" && e.details !== null ? (e.details as Record<string, unknown>)[key] : undefined;

/** Backoff for the `failures`-th consecutive failure (1-based), Retry-After honoured when longer. */
export function cooldownMs(failures: number, e: WireError): number {
  const backoff = Math.min(COOLDOWN_MAX_MS, COOLDOWN_BASE_MS * 2 ** Math.max(0, failures - 1));
  const retryAfter = detail(e, "retryAfterSeconds");
  const asked = typeof retryAfter === "number" && Number.isFinite(retryAfter) ? Math.min(RETRY_AFTER_CAP_MS, retryAfter * 1000) : 0;
  return Math.max(backoff, asked);
}

/** The run's model first, then the configured fallbacks, each once. */
export const fallbackChain = (model: string, fallback: readonly string[]): string[] => [...new Set([model, ...fallback])];

/** "28 s", "4 min" — for messages about cooldowns. */
export const humanWait = (ms: number): string => {
  const s = Math.max(1, Math.ceil(ms / 1000));
  return s < 120 ? `${s} s` : `${Math.ceil(s / 60)} min`;
};
