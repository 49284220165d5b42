import { describe, expect, test } from "vitest";
import { settingsSpec } from "../../../actors/settings/settings.commands.ts";
import { summarizeEvent as summarize } from "../../../projections/summary.ts";
import { given } from "../given.ts";

const set = (key: string, value: unknown) => ({ key, value, by: "web" });
const changed = (key: string, value: unknown) => ({ type: "settings.changed" as const, data: set(key, value) as never });

describe("settings: values changed from the UI or CLI", () => {
  test("a change is one settings.changed event and lands in the context", () => {
    const d = given(settingsSpec, "global", []).when("set", set("agent.system_prompt", "Be terse."));
    expect(d.events).toEqual([{ type: "settings.changed", data: set("agent.system_prompt", "Be terse.") }]);
    const after = given(settingsSpec, "global", [changed("agent.system_prompt", "Be terse."), changed("agent.max_iterations", 3)]);
    expect(after.snapshot.context.values).toEqual({ "agent.system_prompt": "Be terse.", "agent.max_iterations": 3 });
  });

  test("the same value again writes nothing; null clears the key (cairn.toml applies again)", () => {
    const history = [changed("agent.model", "openai/model-b")];
    expect(given(settingsSpec, "global", history).when("set", set("agent.model", "openai/model-b")).events).toEqual([]);
    const cleared = given(settingsSpec, "global", [...history, changed("agent.model", null)]);
    expect(cleared.snapshot.context.values).toEqual({});
    // Clearing what is not set writes nothing either.
    expect(given(settingsSpec, "global", []).when("set", set("agent.model", null)).events).toEqual([]);
  });

  test.each([
    ["agent.max_iterations", 0],
    ["agent.max_iterations", 2.5],
    ["agent.max_iterations", "10"],
    ["agent.timeout", 86_401],
    ["agent.model", "not a model"],
    ["tools.exec.approval_mode", "sometimes"],
    ["tools.exec.sandbox.backend", "vm"],
    ["tools.exec.allowlist", "git *"],
  ])("%s = %j is refused with bad_request and records nothing", (key, value) => {
    expect(() => given(settingsSpec, "global", []).when("set", set(key, value))).toThrow(expect.objectContaining({ code: "bad_request" }));
  });

  test("an unknown key is refused at the command's decoding", () => {
    expect(() => given(settingsSpec, "global", []).when("set", set("gateway.port", 1))).toThrow(
      expect.objectContaining({ code: "bad_request" }),
    );
  });

  test("revoking an always-allowed command removes it; revoking one that is not there writes nothing", () => {
    const allowed = { type: "settings.command_allowed" as const, data: { command: "touch a", by: "web" } };
    const d = given(settingsSpec, "global", [allowed]).when("revoke_command", { command: "touch a", by: "web" });
    expect(d.events).toEqual([{ type: "settings.command_revoked", data: { command: "touch a", by: "web" } }]);
    const after = given(settingsSpec, "global", [allowed, d.events[0] as never]);
    expect(after.snapshot.context.allowedCommands).toEqual([]);
    expect(after.when("revoke_command", { command: "touch a", by: "web" }).events).toEqual([]);
  });

  test("the audit summary says what changed, and by whom", () => {
    const e = (type: string, data: unknown) => ({ type, data }) as never;
    expect(summarize(e("settings.changed", set("agent.max_iterations", 3)))).toBe("agent.max_iterations set to 3 by web");
    expect(summarize(e("settings.changed", set("agent.model", null)))).toBe("agent.model reset to cairn.toml by web");
    expect(summarize(e("settings.command_revoked", { command: "touch a", by: "web" }))).toBe("always-allow revoked by web: touch a");
  });
});
