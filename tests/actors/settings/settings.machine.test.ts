import { describe, expect, test } from "vitest";
import { settingsSpec } from "../../../actors/settings/settings.commands.ts";
import { given } from "../given.ts";

describe("settings: enabled models", () => {
  test("enabling models records one event with the sorted, de-duplicated set", () => {
    const d = given(settingsSpec, "global", []).when("enable_models", { provider: "groq", models: ["groq/b", "groq/a", "groq/b"] });
    expect(d.events).toEqual([{ type: "settings.models_enabled", data: { provider: "groq", models: ["groq/a", "groq/b"] } }]);
  });

  test("the same set again writes nothing; an empty set removes the provider", () => {
    const enabled = { type: "settings.models_enabled" as const, data: { provider: "groq", models: ["groq/a"] } };
    expect(given(settingsSpec, "global", [enabled]).when("enable_models", { provider: "groq", models: ["groq/a"] }).events).toEqual([]);
    const cleared = given(settingsSpec, "global", [enabled, { type: "settings.models_enabled", data: { provider: "groq", models: [] } }]);
    expect(cleared.snapshot.context.enabledModels).toEqual({});
  });

  test("model ids are checked", () => {
    expect(() => given(settingsSpec, "global", []).when("enable_models", { provider: "groq", models: ["not a model"] })).toThrow(
      expect.objectContaining({ code: "bad_request" }),
    );
  });
});
