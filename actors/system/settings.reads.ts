import type { SettingValues } from "../../schemas/index.ts";
import type { SettingsContext } from "../settings/index.ts";

/** The settings aggregate as the rest of the system reads it. */
export interface SettingsReads {
  /** The whole aggregate, from the log (values, always-allowed commands, models, MCP servers, devices). */
  read(): Promise<SettingsContext>;
  /** The values changed from the UI or CLI. */
  values(): Promise<SettingValues>;
  /** The default model as last read (else the configured one): a command's check is synchronous. */
  defaultModel(): string | null;
}

/** Reads the settings and remembers their default model; a first read starts at once. */
export function settingsReads(read: () => Promise<SettingsContext>, configuredModel: string | null): SettingsReads {
  let defaultModelNow = configuredModel;
  const readSettings = async (): Promise<SettingsContext> => {
    const context = await read();
    defaultModelNow = context.values["agent.model"] ?? configuredModel;
    return context;
  };
  void readSettings().catch(() => undefined);
  return {
    read: readSettings,
    values: async () => (await readSettings()).values,
    defaultModel: () => defaultModelNow,
  };
}
