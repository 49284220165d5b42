/**
 * Reconnect delays: 1 s doubling to 30 s, each ±25% (jitter spreads nodes that all lost the same
 * gateway, so they do not come back in one burst). Pure: the random source is injected.
 */
export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly factor: number;
  /** 0.25 = ±25%. */
  readonly jitter: number;
}

export const RECONNECT_BACKOFF: BackoffPolicy = { initialMs: 1_000, maxMs: 30_000, factor: 2, jitter: 0.25 };

/** After an authentication refusal (revoked, or creds the server no longer knows): retry slowly. */
export const AUTH_FAILURE_DELAY_MS = 60_000;

/** The un-jittered delay before attempt `attempt` (0-based). */
export const baseDelay = (attempt: number, p: BackoffPolicy = RECONNECT_BACKOFF): number =>
  Math.min(p.maxMs, p.initialMs * p.factor ** Math.max(0, Math.min(attempt, 64)));

/** The delay before attempt `attempt`, jittered; `random()` returns [0, 1). */
export const backoffDelay = (attempt: number, random: () => number = Math.random, p: BackoffPolicy = RECONNECT_BACKOFF): number => {
  const base = baseDelay(attempt, p);
  return Math.round(base * (1 + p.jitter * (2 * random() - 1)));
};

/** A jittered fixed delay (the slow retry after an auth failure). */
export const jittered = (ms: number, random: () => number = Math.random, jitter = RECONNECT_BACKOFF.jitter): number =>
  Math.round(ms * (1 + jitter * (2 * random() - 1)));
