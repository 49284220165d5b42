import { asWireError, type GatewayClient } from "./client.ts";
import type { ProviderStatus, WireError } from "./wire.ts";

/**
 * The Providers page's state. A key typed there is handed to `setKey` and forgotten: it is never
 * stored here, and the gateway only ever answers with its last 4 characters.
 */
export class ProvidersStore {
  list = $state<readonly ProviderStatus[]>([]);
  loaded = $state(false);
  refreshing = $state(false);
  error = $state<WireError | null>(null);

  readonly #client: GatewayClient;

  constructor(client: GatewayClient) {
    this.#client = client;
  }

  /** `refresh` asks every provider again (keys, reachability, model discovery): slower. */
  async load(refresh = false): Promise<void> {
    if (refresh) this.refreshing = true;
    try {
      const { providers } = await this.#client.request("providers.list", refresh ? { refresh } : {});
      this.list = providers;
      this.loaded = true;
      this.error = null;
    } catch (e) {
      this.error = asWireError(e);
    } finally {
      if (refresh) this.refreshing = false;
    }
  }

  /** Stores a key; resolves with the error, or null once the provider's new status is shown. */
  async setKey(provider: string, key: string): Promise<WireError | null> {
    try {
      this.#replace(await this.#client.request("providers.setKey", { provider, key }));
      return null;
    } catch (e) {
      return asWireError(e);
    }
  }

  /** Offers exactly `models` of `provider` in the picker. */
  async enable(provider: string, models: string[]): Promise<WireError | null> {
    try {
      await this.#client.request("models.enable", { provider, models });
      return null;
    } catch (e) {
      return asWireError(e);
    }
  }

  #replace(status: ProviderStatus): void {
    const i = this.list.findIndex((p) => p.id === status.id);
    this.list = i >= 0 ? this.list.map((p, j) => (j === i ? status : p)) : [...this.list, status];
  }
}

/** "stored ••••WXYZ", "set via OPENAI_API_KEY", "missing", "not needed". */
export function keyLabel(p: ProviderStatus): string {
  const k = p.key;
  if (k.source === "env") return `set via ${p.keyVariable ?? "environment"}${k.last4 ? ` ••••${k.last4}` : ""}`;
  if (k.source === "stored") return `stored ••••${k.last4 ?? ""}`;
  return k.required ? "missing" : "not needed";
}
