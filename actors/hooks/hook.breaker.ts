import type { HookBreakerView } from "../../schemas/index.ts";

/** Failures or timeouts in a row that open the breaker, and how long it stays open (the seed's numbers). */
export const BREAKER_THRESHOLD = 5;
export const BREAKER_COOLDOWN_MS = 60_000;

/**
 * One hook's circuit breaker: after 5 failures in a row the hook is skipped for 60 s, so a broken
 * hook cannot slow or stall every tool call; then one trial run is let through (half-open) and its
 * outcome closes or reopens it. State lives in memory: a restart gives every hook a fresh start.
 */
export class HookBreaker {
  private failures = 0;
  private openUntil: number | null = null;
  private trial = false;
  private lastError: string | null = null;

  constructor(
    private readonly now: () => number,
    private readonly threshold = BREAKER_THRESHOLD,
    private readonly cooldownMs = BREAKER_COOLDOWN_MS,
  ) {}

  /** Whether the hook may run now. Past the cooldown the first caller gets the one trial. */
  allow(): boolean {
    if (this.openUntil === null) return true;
    if (this.now() < this.openUntil || this.trial) return false;
    this.trial = true;
    return true;
  }

  success(): void {
    this.failures = 0;
    this.openUntil = null;
    this.trial = false;
  }

  /** Records a failure; true when this one opened (or reopened) the breaker. */
  failure(error: string): boolean {
    this.failures++;
    this.lastError = error;
    const reopen = this.trial || (this.openUntil === null && this.failures >= this.threshold);
    this.trial = false;
    if (reopen) this.openUntil = this.now() + this.cooldownMs;
    return reopen;
  }

  view(): HookBreakerView {
    const state = this.openUntil === null ? "closed" : this.trial || this.now() >= this.openUntil ? "half-open" : "open";
    return { state, failures: this.failures, retryAt: this.openUntil, lastError: this.lastError };
  }
}
