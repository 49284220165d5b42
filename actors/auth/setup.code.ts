import { timingSafeEqual } from "node:crypto";
import { newSetupCode, normalizeCode, sha256Hex } from "./auth.secrets.ts";

const TTL_MS = 30 * 60_000;
/** Wrong guesses before the code is void (the edge also limits attempts per client). */
const MAX_WRONG = 10;

/**
 * The one-time setup code: the way in before any password or passkey exists. Shown on the
 * gateway's terminal and by `cairn auth setup-code`; never in the log. Kept as a hash, in memory
 * of the gateway that owns the auth aggregate (a restart makes a new one).
 */
export class SetupCode {
  private current: { hash: string; expiresAt: number; wrong: number } | undefined;

  constructor(private readonly now: () => number) {}

  issue(): { code: string; expiresAt: number } {
    const code = newSetupCode();
    const expiresAt = this.now() + TTL_MS;
    this.current = { hash: sha256Hex(code), expiresAt, wrong: 0 };
    return { code: `${code.slice(0, 5)}-${code.slice(5)}`, expiresAt };
  }

  /** Spends the code when it matches; counts a wrong guess otherwise. */
  redeem(given: string): "ok" | "wrong" | "none" {
    const c = this.current;
    if (!c || c.expiresAt <= this.now()) return "none";
    const ok = timingSafeEqual(Buffer.from(sha256Hex(normalizeCode(given)), "hex"), Buffer.from(c.hash, "hex"));
    if (ok) {
      this.current = undefined;
      return "ok";
    }
    if (++c.wrong >= MAX_WRONG) this.current = undefined;
    return "wrong";
  }
}
