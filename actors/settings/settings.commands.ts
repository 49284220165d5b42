import { ModelsEnabled } from "../../schemas/index.ts";
import { commandDecoder, type AggregateSpec } from "../runtime/aggregate.ts";
import { SETTINGS_MACHINE_VERSION, settingsMachine } from "./settings.machine.ts";

export const SETTINGS_ID = "global";

const schemas = { enable_models: ModelsEnabled } as const;
export type SettingsCommand = { verb: "enable_models"; params: typeof ModelsEnabled.Type };

const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

export const settingsSpec: AggregateSpec<typeof settingsMachine, SettingsCommand> = {
  kind: "settings",
  machine: settingsMachine,
  machineVersion: SETTINGS_MACHINE_VERSION,
  input: () => ({}),
  decodeCommand: commandDecoder("settings", schemas),
  decide: (s, c) => {
    const models = [...new Set(c.params.models)].sort();
    const current = s.context.enabledModels[c.params.provider] ?? [];
    // Setting what is already set writes nothing.
    if (same(current, models)) return { events: [], reply: { provider: c.params.provider, models } };
    return { events: [{ type: "settings.models_enabled", data: { provider: c.params.provider, models } }], reply: { provider: c.params.provider, models } };
  },
};

