import * as Schema from "effect/Schema";
import { ModelId } from "../ids.ts";
import { McpServerEntry, McpServerName } from "../mcp.ts";
import { SettingKeySchema, SettingValue } from "../settings.ts";
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

/** An "always allow" taken back: the command asks again from the next call on. */
export const CommandRevoked = Schema.Struct({
  command: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(4096)),
  by: Schema.String,
});

/**
 * A setting changed from the UI or CLI (`schemas/settings.ts` names the keys). It wins over
 * `cairn.toml`'s value from the next run on; `value: null` falls back to the file's.
 */
export const SettingChanged = Schema.Struct({ key: SettingKeySchema, value: SettingValue, by: Schema.String });

/**
 * The oldest events were archived (`archive/events-<first>-<last>.jsonl.gz` in the data dir of
 * the gateway that did it) and removed from the log: by the `[log] max_age` / `max_bytes`
 * retention timer or `cairn log archive`. Recorded so the cut is itself in the log, not only on disk.
 */
export const LogArchived = Schema.Struct({
  /** The archive's file name (no directory: the data dir differs between gateways); null when an earlier archive held them. */
  file: Schema.NullOr(Schema.String),
  firstSeq: Schema.Number,
  lastSeq: Schema.Number,
  archived: Schema.Number,
  removed: Schema.Number,
  bytesBefore: Schema.Number,
  bytesAfter: Schema.Number,
  /** The limits applied. */
  maxAgeMs: Schema.optionalKey(Schema.Number),
  maxBytes: Schema.optionalKey(Schema.Number),
  /** `retention` (the gateway's timer) or who asked (`cli`). */
  by: Schema.String,
  /** The gateway that archived (whose data dir holds the file). */
  gatewayId: Schema.optionalKey(Schema.String),
});
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
  "settings.command_revoked": { version: 1, schema: CommandRevoked },
  "settings.changed": { version: 1, schema: SettingChanged },
  "settings.log_archived": { version: 1, schema: LogArchived },
  "settings.push_subscribed": { version: 1, schema: PushSubscribed },
  "settings.push_unsubscribed": { version: 1, schema: PushUnsubscribed },
} as const;
