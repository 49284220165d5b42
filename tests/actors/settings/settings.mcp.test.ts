import { describe, expect, test } from "vitest";
import { settingsSpec } from "../../../actors/settings/settings.commands.ts";
import { given } from "../given.ts";

// biome-ignore lint/suspicious/noTemplateCurlyInString: a cairn secret reference, not a JS template
const server = { name: "gh", command: "npx", args: ["-y", "server-github"], env: { GITHUB_TOKEN: "${env:GITHUB_TOKEN}" } };
const added = { type: "settings.mcp_server_added" as const, data: { server, by: "cli" } };

describe("settings: MCP servers added from the CLI or UI", () => {
  test("adding records the entry; the same entry again writes nothing; the same name replaces it", () => {
    expect(given(settingsSpec, "global", []).when("add_mcp_server", { server, by: "cli" }).events).toEqual([added]);
    expect(given(settingsSpec, "global", [added]).when("add_mcp_server", { server, by: "ui" }).events).toEqual([]);
    const edited = { ...server, approval: "smart" as const };
    const d = given(settingsSpec, "global", [added]).when("add_mcp_server", { server: edited, by: "cli" });
    expect(given(settingsSpec, "global", [added, ...d.events]).snapshot.context.mcpServers).toEqual([edited]);
  });

  test("a literal env or header value is refused: the log never holds a secret", () => {
    for (const s of [
      { ...server, env: { GITHUB_TOKEN: "ghp_123" } },
      { name: "web", url: "https://mcp.example/mcp", headers: { Authorization: "Bearer abc" } },
    ]) {
      expect(() => given(settingsSpec, "global", []).when("add_mcp_server", { server: s, by: "cli" })).toThrow(
        expect.objectContaining({ code: "bad_request", message: expect.stringMatching(/must be a reference/) }),
      );
    }
  });

  test("removing forgets the server; removing an unknown one writes nothing", () => {
    const d = given(settingsSpec, "global", [added]).when("remove_mcp_server", { name: "gh", by: "cli" });
    expect(d.events).toEqual([{ type: "settings.mcp_server_removed", data: { name: "gh", by: "cli" } }]);
    expect(given(settingsSpec, "global", [added, ...d.events]).snapshot.context.mcpServers).toEqual([]);
    expect(given(settingsSpec, "global", []).when("remove_mcp_server", { name: "gh", by: "cli" }).events).toEqual([]);
  });

  test("names that would break mcp__<server>__<tool> are refused", () => {
    for (const name of ["a__b", "Has Space", "UPPER", ""]) {
      expect(() => given(settingsSpec, "global", []).when("add_mcp_server", { server: { ...server, name }, by: "cli" })).toThrow(
        expect.objectContaining({ code: "bad_request" }),
      );
    }
  });
});
