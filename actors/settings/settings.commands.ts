import { isDeepStrictEqual } from "node:util";
import {
  CairnError,
  CommandAllowed,
  CommandRevoked,
  decodeOrFail,
  LogArchived,
  McpServerAdded,
  McpServerRemoved,
  ModelsEnabled,
  PushSubscribed,
  PushUnsubscribed,
  SettingChanged,
  settingSchemas,
} from "../../schemas/index.ts";
import { commandDecoder, type CommandOf, type AggregateSpec } from "../runtime/index.ts";
import { SETTINGS_MACHINE_VERSION, settingsMachine } from "./settings.machine.ts";

export const SETTINGS_ID = "global";

const schemas = {
  enable_models: ModelsEnabled,
  allow_command: CommandAllowed,
  add_mcp_server: McpServerAdded,
  remove_mcp_server: McpServerRemoved,
  revoke_command: CommandRevoked,
  set: SettingChanged,
  record_archive: LogArchived,
  subscribe_push: PushSubscribed,
  unsubscribe_push: PushUnsubscribed,
} as const;
export type SettingsCommand = CommandOf<typeof schemas>;

/** Push devices kept at most: a person's phones, laptops and browsers, with room to spare. */
export const MAX_PUSH_DEVICES = 50;

/** "Always allow" answers kept at most (each is an exact command). */
export const MAX_ALLOWED_COMMANDS = 1000;

const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

export const settingsSpec: AggregateSpec<typeof settingsMachine, SettingsCommand> = {
  kind: "settings",
  machine: settingsMachine,
  machineVersion: SETTINGS_MACHINE_VERSION,
  input: () => ({}),
  decodeCommand: commandDecoder("settings", schemas),
  decide: (s, c) => {
    // A fact about the log's retention: always recorded, the state does not depend on it.
    if (c.verb === "record_archive") return { events: [{ type: "settings.log_archived", data: c.params }], reply: { recorded: true } };
    if (c.verb === "add_mcp_server") {
      const { server } = c.params;
      // The log is never a place for a secret: values must point at the environment or the key store.
      for (const [what, values] of [
        ["env", server.env],
        ["headers", server.headers],
      ] as const) {
        for (const [k, v] of Object.entries(values ?? {})) {
          if (!/^\$\{(env|key):[A-Za-z0-9_.-]+\}$/.test(v)) {
            throw new CairnError(
              "bad_request",
              `MCP server ${server.name}: ${what} ${k} must be a reference (\${env:NAME} or \${key:NAME}), not a value: settings are recorded in the event log`,
            );
          }
        }
      }
      const current = s.context.mcpServers.find((x) => x.name === server.name);
      if (current && isDeepStrictEqual(current, server)) return { events: [], reply: { name: server.name, changed: false } };
      return { events: [{ type: "settings.mcp_server_added", data: c.params }], reply: { name: server.name, changed: true } };
    }
    if (c.verb === "remove_mcp_server") {
      if (!s.context.mcpServers.some((x) => x.name === c.params.name))
        return { events: [], reply: { name: c.params.name, removed: false } };
      return { events: [{ type: "settings.mcp_server_removed", data: c.params }], reply: { name: c.params.name, removed: true } };
    }
    if (c.verb === "set") {
      const { key, value, by } = c.params;
      // Each key has its own type and bounds (the event's value is only "a JSON scalar or list").
      if (value !== null) decodeOrFail(settingSchemas[key] as never, value, key);
      const current = s.context.values[key] ?? null;
      if (isDeepStrictEqual(current, value)) return { events: [], reply: { key, value, changed: false } };
      return { events: [{ type: "settings.changed", data: { key, value, by } }], reply: { key, value, changed: true } };
    }
    if (c.verb === "revoke_command") {
      const { command, by } = c.params;
      if (!s.context.allowedCommands.includes(command)) return { events: [], reply: { command, revoked: false } };
      return { events: [{ type: "settings.command_revoked", data: { command, by } }], reply: { command, revoked: true } };
    }
    if (c.verb === "subscribe_push") {
      const { by: _by, ...device } = c.params;
      const current = s.context.pushDevices.find((d) => d.device === device.device);
      // The page re-sends its subscription on every visit: the same one again writes nothing.
      if (current && isDeepStrictEqual(current, device)) return { events: [], reply: { device: device.device, changed: false } };
      if (!current && s.context.pushDevices.length >= MAX_PUSH_DEVICES) {
        throw new CairnError("bad_request", `already ${MAX_PUSH_DEVICES} devices get notifications; turn some off first`);
      }
      return { events: [{ type: "settings.push_subscribed", data: c.params }], reply: { device: device.device, changed: true } };
    }
    if (c.verb === "unsubscribe_push") {
      const { device } = c.params;
      if (!s.context.pushDevices.some((d) => d.device === device)) return { events: [], reply: { device, removed: false } };
      return { events: [{ type: "settings.push_unsubscribed", data: c.params }], reply: { device, removed: true } };
    }
    if (c.verb === "allow_command") {
      const command = c.params.command.trim();
      if (s.context.allowedCommands.includes(command)) return { events: [], reply: { command, added: false } };
      if (s.context.allowedCommands.length >= MAX_ALLOWED_COMMANDS) {
        throw new CairnError(
          "bad_request",
          `already ${MAX_ALLOWED_COMMANDS} always-allowed commands; use [tools.exec] allowlist patterns instead`,
        );
      }
      return { events: [{ type: "settings.command_allowed", data: { command, by: c.params.by } }], reply: { command, added: true } };
    }
    const models = [...new Set(c.params.models)].sort();
    const current = s.context.enabledModels[c.params.provider] ?? [];
    // Setting what is already set writes nothing.
    if (same(current, models)) return { events: [], reply: { provider: c.params.provider, models } };
    return {
      events: [{ type: "settings.models_enabled", data: { provider: c.params.provider, models } }],
      reply: { provider: c.params.provider, models },
    };
  },
};
