import { assign, setup } from "xstate";
import type { MachineEvent } from "../runtime/index.ts";

/** 2: context gained `allowedCommands` (older snapshots are replayed from the log). */
export const SETTINGS_MACHINE_VERSION = 2;

export interface SettingsContext {
  /** Models offered in the picker, per provider. */
  readonly enabledModels: Readonly<Record<string, readonly string[]>>;
  /** Exact commands the user "always allowed" from an approval. */
  readonly allowedCommands: readonly string[];
}

type Ev = MachineEvent<"settings.models_enabled"> | MachineEvent<"settings.command_allowed">;

/** The user's settings that live outside cairn.toml (one aggregate, id "global"). No effects. */
export const settingsMachine = setup({
  types: { context: {} as SettingsContext, events: {} as Ev },
}).createMachine({
  id: "settings",
  context: { enabledModels: {}, allowedCommands: [] },
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
        "settings.command_allowed": {
          actions: assign(({ context, event }) => ({ allowedCommands: [...context.allowedCommands, event.data.command] })),
        },
      },
    },
  },
});
