/**
 * The embedded nats-server's restart delay: doubling while the server keeps dying soon after a
 * start, back to the minimum once a run lasted `stableAfterMs`. Pure (the supervisor passes the
 * clock readings), so the policy is tested without sleeping.
 *
 * Why 30 s as the default healthy period: it is the first start's readiness budget (JetStream
 * recovery of a large store can take that long). A server that dies *during* recovery — a
 * corrupt store, a full disk — must not count as healthy and be respawned every 250 ms for ever,
 * while a crash after half a minute of service is a fresh incident that deserves the quick retry.
 */
export interface RestartBackoffOptions {
  readonly minMs: number;
  readonly maxMs: number;
  /** A run at least this long resets the delay to `minMs`. */
  readonly stableAfterMs: number;
}

export const DEFAULT_RESTART_BACKOFF: RestartBackoffOptions = { minMs: 250, maxMs: 5_000, stableAfterMs: 30_000 };

export class RestartBackoff {
  private next: number;

  constructor(private readonly opts: RestartBackoffOptions = DEFAULT_RESTART_BACKOFF) {
    this.next = opts.minMs;
  }

  /**
   * The delay before restarting a server that ran from `startedAt` until it died at `diedAt`.
   * Advances the policy: call once per death.
   */
  delayAfter(startedAt: number, diedAt: number): number {
    if (diedAt - startedAt >= this.opts.stableAfterMs) this.next = this.opts.minMs;
    const delay = this.next;
    this.next = Math.min(this.next * 2, this.opts.maxMs);
    return delay;
  }
}
