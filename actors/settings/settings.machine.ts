import { assign, setup } from "xstate";
import type { McpServerEntry, PushDevice, SettingValues } from "../../schemas/index.ts";
import type { MachineEvent } from "../runtime/index.ts";

/** 2: context gained `allowedCommands`; 3: `mcpServers`; 4: `values`; 5: `pushDevices` (older snapshots are replayed from the log). */
export const SETTINGS_MACHINE_VERSION = 5;

export interface SettingsContext {
  /** Models offered in the picker, per provider. */
  readonly enabledModels: Readonly<Record<string, readonly string[]>>;
  /** Exact commands the user "always allowed" from an approval. */
  readonly allowedCommands: readonly string[];
  /** MCP servers added from the CLI or UI (cairn.toml's are not here), in the order added. */
  readonly mcpServers: readonly McpServerEntry[];
  /** Settings changed from the UI or CLI; a key absent falls back to cairn.toml. */
  readonly values: SettingValues;
  /** Devices subscribed to Web Push, in the order they (last) subscribed. */
  readonly pushDevices: readonly PushDevice[];
}

type Ev =
  | MachineEvent<"settings.models_enabled">
  | MachineEvent<"settings.command_allowed">
  | MachineEvent<"settings.mcp_server_added">
  | MachineEvent<"settings.mcp_server_removed">
  | MachineEvent<"settings.command_revoked">
  | MachineEvent<"settings.changed">
  // Recorded on this aggregate, changes nothing in it (the retention's record).
  | MachineEvent<"settings.log_archived">
  | MachineEvent<"settings.push_subscribed">
  | MachineEvent<"settings.push_unsubscribed">;

/** The user's settings that live outside cairn.toml (one aggregate, id "global"). No effects. */
export const settingsMachine = setup({
  types: { context: {} as SettingsContext, events: {} as Ev },
}).createMachine({
  id: "settings",
  context: { enabledModels: {}, allowedCommands: [], mcpServers: [], values: {}, pushDevices: [] },
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
        "settings.command_revoked": {
          actions: assign(({ context, event }) => ({ allowedCommands: context.allowedCommands.filter((c) => c !== event.data.command) })),
        },
        "settings.changed": {
          actions: assign(({ context, event }) => {
            const values: Record<string, unknown> = { ...context.values };
            if (event.data.value === null) delete values[event.data.key];
            else values[event.data.key] = event.data.value;
            return { values: values as SettingValues };
          }),
        },
        // Adding a name that exists replaces that server's entry (an edit).
        "settings.mcp_server_added": {
          actions: assign(({ context, event }) => ({
            mcpServers: [...context.mcpServers.filter((s) => s.name !== event.data.server.name), event.data.server],
          })),
        },
        "settings.mcp_server_removed": {
          actions: assign(({ context, event }) => ({ mcpServers: context.mcpServers.filter((s) => s.name !== event.data.name) })),
        },
        // A device that subscribes again (a new endpoint after the browser rotated it) replaces its entry.
        "settings.push_subscribed": {
          actions: assign(({ context, event }) => {
            const { by: _by, ...device } = event.data;
            return { pushDevices: [...context.pushDevices.filter((d) => d.device !== device.device), device] };
          }),
        },
        "settings.push_unsubscribed": {
          actions: assign(({ context, event }) => ({ pushDevices: context.pushDevices.filter((d) => d.device !== event.data.device) })),
        },
        // An archive run, recorded for `cairn log status`: the settings themselves do not change.
        // (Without this transition the gateway archived and then failed to record it.)
        "settings.log_archived": {},
      },
    },
  },
});
