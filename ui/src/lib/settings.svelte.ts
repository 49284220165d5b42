import { asWireError, type GatewayClient } from "./client.ts";
import type { SessionsEvent, SettingKey, SettingView, SettingsView, WireError } from "./wire.ts";

/**
 * The gateway's changeable settings (`settings.get`): General and Tools & approvals. Loaded when a
 * Settings section needs it, and again whenever any tab or the CLI changes one (`settings.changed`
 * on the sessions feed), so every open page shows the current values.
 */
export class SettingsStore {
  view = $state<SettingsView | null>(null);
  error = $state<WireError | null>(null);
  /** The key being saved (its field shows "Saving…"). */
  saving = $state<SettingKey | null>(null);

  readonly #client: GatewayClient;

  constructor(client: GatewayClient) {
    this.#client = client;
    client.onEvent("sessions", (payload) => {
      if ((payload as SessionsEvent | null)?.type === "settings.changed" && this.view !== null) void this.load();
    });
  }

  row(key: SettingKey): SettingView | undefined {
    return this.view?.settings.find((s) => s.key === key);
  }

  async load(): Promise<void> {
    try {
      this.view = await this.#client.request("settings.get", {});
      this.error = null;
    } catch (e) {
      this.error = asWireError(e);
    }
  }

  /** Records a change (`null`: back to cairn.toml's value). Resolves false when the gateway refused it. */
  async set(key: SettingKey, value: SettingView["value"]): Promise<boolean> {
    this.saving = key;
    try {
      this.view = (await this.#client.request("settings.set", { key, value })).settings;
      this.error = null;
      return true;
    } catch (e) {
      this.error = asWireError(e);
      return false;
    } finally {
      this.saving = null;
    }
  }

  async revoke(command: string): Promise<void> {
    try {
      this.view = (await this.#client.request("settings.revokeCommand", { command })).settings;
      this.error = null;
    } catch (e) {
      this.error = asWireError(e);
    }
  }
}
