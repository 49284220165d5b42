import { AuthApi, type GatePhase, phaseOf } from "./auth.ts";
import type { AuthStatus } from "./wire.ts";

/** Set while the last answer was "open": the next visit shows the app before asking again. */
const OPEN_LAST_TIME = "cairn.gate.open";

const remembered = (): boolean => {
  try {
    return localStorage.getItem(OPEN_LAST_TIME) === "1";
  } catch {
    return false; // storage refused (a private window): ask first, as on a first visit
  }
};

const remember = (open: boolean): void => {
  try {
    if (open) localStorage.setItem(OPEN_LAST_TIME, "1");
    else localStorage.removeItem(OPEN_LAST_TIME);
  } catch {
    // Nothing to keep: the next visit asks first.
  }
};

/**
 * Whether this browser may use the gateway yet: asked over HTTP before the WebSocket opens, and
 * again whenever the socket is refused as `unauthorized` (a session that expired or was revoked).
 * A browser that was let in last time shows the app at once (a repeat visit paints and takes
 * typing with no network round trip; nothing of the user's comes before the socket is allowed),
 * and switches to the sign-in page if the answer has changed.
 */
export class AuthGate {
  phase = $state<GatePhase>(remembered() ? "open" : "checking");
  status = $state<AuthStatus | null>(null);

  readonly api: AuthApi;

  constructor(api: AuthApi = new AuthApi()) {
    this.api = api;
  }

  async check(): Promise<GatePhase> {
    try {
      this.status = await this.api.status();
      this.phase = phaseOf(this.status);
      remember(this.phase === "open");
    } catch {
      // An unreachable gateway (or one without the route): let the socket try. It shows its own
      // connection state, and a refusal brings us back here.
      this.phase = "open";
    }
    return this.phase;
  }
}
