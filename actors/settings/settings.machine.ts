import { assign, setup } from "xstate";
import type { MachineEvent } from "../runtime/machine-events.ts";

export const SETTINGS_MACHINE_VERSION = 1;

export interface SettingsContext {
  /** Models offered in the picker, per provider. */
  readonly enabledModels: Readonly<Record<string, readonly string[]>>;
}

type Ev = MachineEvent<"settings.models_enabled">;

/** The user's settings that live outside cairn.toml (one aggregate, id "global"). No effects. */
export const settingsMachine = setup({
  types: { context: {} as SettingsContext, events: {} as Ev },
}).createMachine({
  id: "settings",
  context: { enabledModels: {} },
  initial: "active",
  states: {
    active: {
      on: {
        "settings.models_enabled": {
          actions: assign(({ context, event }) => {
            const next = { ...context.enabledModels, [event.data.provider]: event.data.models };
            if (event.data.models.length === 0) delete next[event.data.provider];
            return { enabledModels: next };
          }),
        },
      },
    },
  },
});
