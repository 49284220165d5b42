import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { publishSessionsChanged, serve, subjects } from "../../bus/index.ts";
import {
  decodeOrFail,
  SETTING_KEYS,
  SettingsRevokeRequest,
  SettingsSetRequest,
  type SettingValues,
  type SettingsView,
} from "../../schemas/index.ts";
import type { SettingsContext } from "./settings.machine.ts";

export interface SettingsServiceOptions {
  readonly nc: NatsConnection;
  /** The settings aggregate, from the log. */
  readonly read: () => Promise<SettingsContext>;
  /** Records a settings command through the actor system. */
  readonly dispatch: (verb: "set" | "revoke_command", params: unknown) => Promise<unknown>;
  /** What `cairn.toml` (or the environment, or a built-in default) gives each key. */
  readonly configured: SettingValues;
  readonly configFile: string | null;
  readonly configPath: string;
  /** What only `cairn.toml` sets, for people to read (no secret values). */
  readonly fileOnly: SettingsView["fileOnly"];
  /** Throws a typed error for a model id no provider can serve (checked before it is recorded). */
  readonly checkModel?: (modelId: string) => void;
}

/**
 * `admin.settings.get|set|revoke_command`: the Settings page and `cairn settings`. A change is an
 * event on the settings aggregate; every open Settings page hears `settings.changed` on
 * `live.sessions` and reads the settings again.
 */
export function serveSettings(o: SettingsServiceOptions): Subscription[] {
  const view = async (): Promise<SettingsView> => {
    const s = await o.read();
    return {
      settings: SETTING_KEYS.map((key) => {
        const value = s.values[key] ?? null;
        const configured = o.configured[key] ?? null;
        return { key, value, configured, effective: value ?? configured };
      }),
      allowedCommands: s.allowedCommands,
      configFile: o.configFile,
      configPath: o.configPath,
      fileOnly: o.fileOnly,
    };
  };
  const changed = () => publishSessionsChanged(o.nc, { type: "settings.changed" });
  return [
    serve(o.nc, subjects.admin("settings", "get"), view),
    serve(o.nc, subjects.admin("settings", "set"), async (p) => {
      const { key, value, by } = decodeOrFail(SettingsSetRequest, p, "settings.set params");
      if (key === "agent.model" && typeof value === "string") o.checkModel?.(value);
      const r = (await o.dispatch("set", { key, value, by: by ?? "cli" })) as { changed: boolean };
      if (r.changed) changed();
      return { ...r, settings: await view() };
    }),
    serve(o.nc, subjects.admin("settings", "revoke_command"), async (p) => {
      const { command, by } = decodeOrFail(SettingsRevokeRequest, p, "settings.revoke_command params");
      const r = (await o.dispatch("revoke_command", { command, by: by ?? "cli" })) as { revoked: boolean };
      if (r.revoked) changed();
      return { ...r, settings: await view() };
    }),
  ];
}
