import * as Schema from "effect/Schema";
import { SandboxBackendSetting } from "./config.ts";
import { ModelId } from "./ids.ts";

/**
 * The settings a person can change from the UI or `cairn settings set` without a restart. Each
 * key is named like the `cairn.toml` key it overrides; a value recorded in the log wins over the
 * file's, and clearing it (`null`) falls back to the file again. Everything else in `cairn.toml`
 * (listen address, keys, sandbox image, …) can only be set there.
 */
export const settingSchemas = {
  "agent.model": ModelId,
  "agent.system_prompt": Schema.String.check(Schema.isMaxLength(32_768)),
  "agent.max_iterations": Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 1000 })),
  /** Seconds, like `[agent] timeout`. */
  "agent.timeout": Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 86_400 })),
  "tools.exec.approval_mode": Schema.Literals(["always", "smart", "never"]),
  "tools.exec.allowlist": Schema.Array(Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(1024))).check(Schema.isMaxLength(500)),
  "tools.exec.sandbox.backend": SandboxBackendSetting,
} as const;

export type SettingKey = keyof typeof settingSchemas;
export const SETTING_KEYS = Object.keys(settingSchemas) as SettingKey[];
export const SettingKeySchema = Schema.Literals(SETTING_KEYS as [SettingKey, ...SettingKey[]]);
export type SettingValues = { readonly [K in SettingKey]?: (typeof settingSchemas)[K]["Type"] };

/** A value as it travels in events and WS frames (checked per key where it enters). */
export const SettingValue = Schema.NullOr(Schema.Union([Schema.String, Schema.Number, Schema.Array(Schema.String)]));

/** One row of `settings.get`: what the log says, what `cairn.toml` says, and what applies now. */
export interface SettingView {
  readonly key: SettingKey;
  /** Set from the UI or CLI (an event); null: not set, the file's value applies. */
  readonly value: typeof SettingValue.Type;
  /** From `cairn.toml` (or the environment / built-in default). */
  readonly configured: typeof SettingValue.Type;
  /** What a new run uses. */
  readonly effective: typeof SettingValue.Type;
}

/** What `settings.get` answers. */
export interface SettingsView {
  readonly settings: readonly SettingView[];
  /** Commands "always allowed" from an approval, in the order allowed. */
  readonly allowedCommands: readonly string[];
  /** The config file these settings fall back to (null: none; cairn runs on defaults). */
  readonly configFile: string | null;
  /** The path a config file is read from (whether or not it exists). */
  readonly configPath: string;
  /** What only `cairn.toml` sets: shown read-only (no secrets: keys show as set or not). */
  readonly fileOnly: readonly { readonly key: string; readonly value: string }[];
}

/** `settings.set` (WS) / `admin.settings.set` (bus): `value: null` clears the key (cairn.toml applies). */
export const SettingsSetParams = Schema.Struct({ key: SettingKeySchema, value: SettingValue });
/** `settings.revokeCommand`: an "always allowed" command asks again. */
export const SettingsRevokeParams = Schema.Struct({ command: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(4096)) });
/** What the bus service takes: the WS params and who asked (the edge or the CLI fills it in). */
export const SettingsSetRequest = Schema.Struct({ ...SettingsSetParams.fields, by: Schema.optionalKey(Schema.String) });
export const SettingsRevokeRequest = Schema.Struct({ ...SettingsRevokeParams.fields, by: Schema.optionalKey(Schema.String) });

/** The settings methods of the WebSocket protocol (spread into `methodParams`). */
export const settingsMethodParams = {
  /** Every key the UI can change (set, from the file, in effect), the always-allowed commands, what only cairn.toml sets. */
  "settings.get": Schema.Struct({}),
  "settings.set": SettingsSetParams,
  "settings.revokeCommand": SettingsRevokeParams,
} as const;
