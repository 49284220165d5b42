import * as Schema from "effect/Schema";
import { ModelId } from "../ids.ts";

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

export const settingsEvents = {
  "settings.models_enabled": { version: 1, schema: ModelsEnabled },
  "settings.command_allowed": { version: 1, schema: CommandAllowed },
} as const;
