import * as Schema from "effect/Schema";
import { ModelId } from "../ids.ts";
import { McpServerEntry, McpServerName } from "../mcp.ts";
import { PushDevice, PushDeviceId } from "../push.ts";

/**
 * Events of the settings aggregate (`evt.settings.global`): choices a user makes in the UI or CLI
 * that are not part of cairn.toml. Like every change, they exist once appended (invariant 1).
 */
export const ModelsEnabled = Schema.Struct({
  provider: Schema.String.check(Schema.isMaxLength(32)),
  /** The complete set offered in the model picker for this provider (replaces the previous one). */
  models: Schema.Array(ModelId),
});

/** A command the user chose to "always allow" when approving it: it runs without asking from now on. */
export const CommandAllowed = Schema.Struct({
  command: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(4096)),
  by: Schema.String,
});

/**
 * An MCP server added or replaced from the CLI or UI (`cairn mcp add`). Its env and header values
 * are `${env:…}`/`${key:…}` references only (checked before it is recorded), so no secret is ever
 * in the log.
 */
export const McpServerAdded = Schema.Struct({ server: McpServerEntry, by: Schema.String });
export const McpServerRemoved = Schema.Struct({ name: McpServerName, by: Schema.String });

/**
 * A device subscribed to Web Push (or renewed its subscription). The subscription's keys only
 * encrypt to that browser; sending needs the VAPID private key, which is never in the log.
 */
export const PushSubscribed = Schema.Struct({ ...PushDevice.fields, by: Schema.String });
export const PushUnsubscribed = Schema.Struct({ device: PushDeviceId, by: Schema.String });

export const settingsEvents = {
  "settings.models_enabled": { version: 1, schema: ModelsEnabled },
  "settings.command_allowed": { version: 1, schema: CommandAllowed },
  "settings.mcp_server_added": { version: 1, schema: McpServerAdded },
  "settings.mcp_server_removed": { version: 1, schema: McpServerRemoved },
  "settings.push_subscribed": { version: 1, schema: PushSubscribed },
  "settings.push_unsubscribed": { version: 1, schema: PushUnsubscribed },
} as const;
