/**
 * WebAuthn challenges this gateway issued and that are still unused. Each is good once, for one
 * ceremony, for a few minutes. In memory on purpose: every auth command runs on the gateway that
 * owns the auth aggregate, so the one that issued a challenge is the one that checks it; a
 * challenge lost to a restart or failover only means the user taps their key again.
 */
export type Ceremony = "register" | "login";

const TTL_MS = 5 * 60_000;
const MAX_PENDING = 256;

export class Challenges {
  private readonly pending = new Map<string, { ceremony: Ceremony; expiresAt: number }>();

  constructor(private readonly now: () => number) {}

  add(challenge: string, ceremony: Ceremony): void {
    // Bounded: the oldest goes first (Map keeps insertion order).
    while (this.pending.size >= MAX_PENDING) this.pending.delete(this.pending.keys().next().value as string);
    this.pending.set(challenge, { ceremony, expiresAt: this.now() + TTL_MS });
  }

  /** True once for a live challenge of this ceremony; it is spent either way. */
  take(challenge: string, ceremony: Ceremony): boolean {
    const c = this.pending.get(challenge);
    this.pending.delete(challenge);
    return c !== undefined && c.ceremony === ceremony && c.expiresAt > this.now();
  }
}
