import { AuthApi, type GatePhase, phaseOf } from "./auth.ts";
import type { AuthStatus } from "./wire.ts";

/**
 * Whether this browser may use the gateway yet: asked over HTTP before the WebSocket opens, and
 * again whenever the socket is refused as `unauthorized` (a session that expired or was revoked).
 */
export class AuthGate {
  phase = $state<GatePhase>("checking");
  status = $state<AuthStatus | null>(null);

  readonly api: AuthApi;

  constructor(api: AuthApi = new AuthApi()) {
    this.api = api;
  }

  async check(): Promise<GatePhase> {
    try {
      this.status = await this.api.status();
      this.phase = phaseOf(this.status);
    } catch {
      // An unreachable gateway (or one without the route): let the socket try. It shows its own
      // connection state, and a refusal brings us back here.
      this.phase = "open";
    }
    return this.phase;
  }
}
