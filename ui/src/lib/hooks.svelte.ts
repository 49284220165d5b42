import { asWireError, type GatewayClient } from "./client.ts";
import type { HookView, WireError } from "./wire.ts";

/** How often the open Hooks page asks again: breakers and last runs live in the gateway's memory and are not pushed. */
export const HOOKS_POLL_MS = 3_000;

/** The gateway's hooks (`hooks.list`): discovered, eligible or why not, breaker, last run. */
export class HooksStore {
  hooks = $state<readonly HookView[]>([]);
  loaded = $state(false);
  error = $state<WireError | null>(null);

  readonly #client: GatewayClient;
  #inFlight: Promise<void> | null = null;

  constructor(client: GatewayClient) {
    this.#client = client;
  }

  /** The list; a call while one is in flight joins it. */
  load(): Promise<void> {
    this.#inFlight ??= (async () => {
      try {
        this.hooks = (await this.#client.request("hooks.list", {})).hooks;
        this.loaded = true;
        this.error = null;
      } catch (e) {
        this.error = asWireError(e);
      }
    })().finally(() => (this.#inFlight = null));
    return this.#inFlight;
  }
}
