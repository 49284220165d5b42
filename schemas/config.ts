import * as Schema from "effect/Schema";
import { ModelId } from "./ids.ts";

/** `cairn.toml`. Every key is optional: cairn runs on embedded defaults with no file at all. */
export const ConfigFile = Schema.Struct({
  agent: Schema.optionalKey(
    Schema.Struct({
      model: Schema.optionalKey(ModelId),
      system_prompt: Schema.optionalKey(Schema.String),
      max_tokens: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 1_000_000 }))),
    }),
  ),
  gateway: Schema.optionalKey(
    Schema.Struct({
      host: Schema.optionalKey(Schema.String),
      port: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 65535 }))),
    }),
  ),
  providers: Schema.optionalKey(
    Schema.Struct({
      openai: Schema.optionalKey(Schema.Struct({ base_url: Schema.optionalKey(Schema.String) })),
      anthropic: Schema.optionalKey(Schema.Struct({ base_url: Schema.optionalKey(Schema.String) })),
    }),
  ),
});
export type ConfigFile = typeof ConfigFile.Type;

/** The key tree of `ConfigFile`, used to point at typos ("did you mean ..."). */
export const CONFIG_KEYS: Record<string, Record<string, unknown>> = {
  agent: { model: 1, system_prompt: 1, max_tokens: 1 },
  gateway: { host: 1, port: 1 },
  providers: { openai: { base_url: 1 }, anthropic: { base_url: 1 } },
};
