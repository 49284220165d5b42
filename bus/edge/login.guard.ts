/**
 * Guess limits for anything that checks a secret at the edge (passwords, setup codes, API keys,
 * the auth token): per client address, a bucket of `burst` attempts refilled at one per
 * `refillMs`. Only failures spend it, so a user who types their password right is never slowed;
 * an attacker gets `burst` tries and then one per `refillMs` (a 4-digit secret: ~14 hours).
 */
export interface GuardOptions {
  burst: number;
  refillMs: number;
  now: () => number;
}
export const DEFAULT_GUARD = { burst: 10, refillMs: 6_000 } as const;

/** Addresses tracked at most; past it the fullest (least suspicious) buckets go first. */
const MAX_CLIENTS = 10_000;

export class LoginGuard {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly o: GuardOptions) {}

  private level(address: string): { tokens: number; at: number } {
    const now = this.o.now();
    const b = this.buckets.get(address);
    if (!b) return { tokens: this.o.burst, at: now };
    const refilled = Math.min(this.o.burst, b.tokens + Math.max(0, now - b.at) / this.o.refillMs);
    return { tokens: refilled, at: now };
  }

  /** 0 when the client may try now; otherwise the seconds until it may (for `Retry-After`). */
  retryAfter(address: string): number {
    const b = this.level(address);
    return b.tokens >= 1 ? 0 : Math.ceil(((1 - b.tokens) * this.o.refillMs) / 1000);
  }

  /** Spends one attempt after a failure. */
  failed(address: string): void {
    const b = this.level(address);
    this.buckets.delete(address);
    if (this.buckets.size >= MAX_CLIENTS) {
      for (const [k, v] of this.buckets) if (v.tokens >= this.o.burst - 1) this.buckets.delete(k);
      if (this.buckets.size >= MAX_CLIENTS) this.buckets.clear();
    }
    this.buckets.set(address, { tokens: Math.max(0, b.tokens - 1), at: b.at });
  }
}
