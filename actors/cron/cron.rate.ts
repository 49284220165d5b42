import { CairnError } from "../../schemas/index.ts";

/**
 * A sliding-window limit on the job changes the agent's `cron` tool makes (`[cron] rate_limit_max`
 * per `rate_limit_window_secs`): a prompt injection that tries to fill the schedule is stopped after
 * a handful. In memory, per gateway: it is a brake, not a fact of the log. cairn's own jobs (the
 * heartbeat) never pass through it.
 */
export class CronRateLimiter {
  readonly #times: number[] = [];

  constructor(
    readonly max: number,
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one change, or throws `cron_rate_limited` (with when to try again) and counts nothing. */
  take(): void {
    const now = this.now();
    while (this.#times.length > 0 && (this.#times[0] as number) <= now - this.windowMs) this.#times.shift();
    if (this.#times.length >= this.max) {
      const retryAfterMs = (this.#times[0] as number) + this.windowMs - now;
      throw new CairnError(
        "cron_rate_limited",
        `the cron tool may add or change at most ${this.max} job(s) per ${Math.round(this.windowMs / 1000)} s ([cron] rate_limit_max); ` +
          `try again in ${Math.ceil(retryAfterMs / 1000)} s`,
        { max: this.max, windowMs: this.windowMs, retryAfterMs },
      );
    }
    this.#times.push(now);
  }
}
