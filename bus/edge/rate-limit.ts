/**
 * A token bucket per WebSocket connection: `ratePerSec` sustained, `burst` at once. The clock is
 * injected so tests are deterministic.
 */
export interface RateLimiter {
  /** Takes one token; false when the bucket is empty (the request is refused, not queued). */
  take(): boolean;
}

export interface RateLimitOptions {
  ratePerSec: number;
  burst: number;
  now: () => number;
}

export const defaultRateLimit = { ratePerSec: 30, burst: 60 } as const;

export const createRateLimiter = ({ ratePerSec, burst, now }: RateLimitOptions): RateLimiter => {
  let tokens = burst;
  let last = now();
  return {
    take() {
      const t = now();
      // A clock that steps backwards must not mint tokens or wedge the bucket.
      const elapsed = Math.max(0, t - last) / 1000;
      last = Math.max(last, t);
      tokens = Math.min(burst, tokens + elapsed * ratePerSec);
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
  };
};
