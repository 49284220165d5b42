import type { AuthApi } from "./auth.ts";
import type { GatewayClient } from "./client.ts";
import { registerPasskey } from "./passkeys.ts";
import { type Problem, problemOf } from "./security.ts";
import type { AuthOverview, CreatedApiKey, Scope } from "./wire.ts";

/**
 * Settings → Security: the password, passkeys, API keys and login sessions, as `auth.overview`
 * lists them (every method needs `operator.admin`). A created key is handed to the caller once
 * and never kept here.
 */
export class SecurityStore {
  overview = $state<AuthOverview | null>(null);
  error = $state<Problem | null>(null);
  /** Ids (or action names) with a request in flight, so their buttons stay disabled. */
  busy = $state<Record<string, boolean>>({});

  readonly #client: GatewayClient;
  readonly #api: AuthApi;

  constructor(client: GatewayClient, api: AuthApi) {
    this.#client = client;
    this.#api = api;
  }

  get loaded(): boolean {
    return this.overview !== null;
  }

  async load(): Promise<void> {
    try {
      this.overview = await this.#client.request("auth.overview", {});
      this.error = null;
    } catch (e) {
      this.error = problemOf(e);
    }
  }

  /** Runs `fn` with `key` marked busy, reloads the overview after, and resolves to the failure or null. */
  async #act(key: string, fn: () => Promise<unknown>, action: "passkey-register" | "other" = "other"): Promise<Problem | null> {
    this.busy = { ...this.busy, [key]: true };
    try {
      await fn();
      return null;
    } catch (e) {
      return problemOf(e, action);
    } finally {
      const { [key]: _, ...rest } = this.busy;
      this.busy = rest;
      void this.load();
    }
  }

  /** `scopes` undefined: full access. Resolves to the key (shown once) or the failure. */
  async createKey(label: string, scopes?: Scope[]): Promise<CreatedApiKey | Problem> {
    const result: { key?: CreatedApiKey } = {};
    const problem = await this.#act("key:create", async () => {
      result.key = await this.#client.request("auth.keys.create", scopes ? { label, scopes } : { label });
    });
    return problem ?? (result.key as CreatedApiKey);
  }

  revokeKey(id: string): Promise<Problem | null> {
    return this.#act(id, () => this.#client.request("auth.keys.revoke", { id }));
  }

  removePasskey(id: string): Promise<Problem | null> {
    return this.#act(id, () => this.#client.request("auth.passkeys.remove", { id }));
  }

  /** Registers a passkey on this device (over HTTP: the WebAuthn ceremony is the browser's). */
  addPasskey(name: string): Promise<Problem | null> {
    return this.#act("passkey:add", () => registerPasskey(this.#api, name || undefined), "passkey-register");
  }

  revokeSession(id: string): Promise<Problem | null> {
    return this.#act(id, () => this.#client.request("auth.sessions.revoke", { id }));
  }

  setPassword(password: string, current?: string): Promise<Problem | null> {
    return this.#act("password", () =>
      this.#client.request("auth.password.set", current === undefined ? { password } : { password, current }),
    );
  }
}
