/**
 * The session's MCP setting (`sessions.setMcp`): recorded as `session.mcp_set` with one spelling
 * per state, kept by a fork, and applied to what a run offers and may call (`mcp.offer.ts`).
 */
import { describe, expect, test } from "vitest";
import { createSessionSpec } from "../../../actors/session/session.commands.ts";
import { mcpAllows, mcpRefusal, offeredSpecs } from "../../../actors/run/mcp.offer.ts";
import { ToolRegistry, defineTool } from "../../../actors/tools/index.ts";
import * as Schema from "effect/Schema";
import { given } from "../given.ts";

const spec = createSessionSpec(() => "openai/test-model");
const created = { type: "session.created" as const, data: { key: "s1", title: "", model: null } };

describe("the session's MCP setting (pure)", () => {
  test("set_mcp records the setting; 'all on' is null however it is spelled; the same again records nothing", () => {
    const off = given(spec, "s1", [created]).when("set_mcp", { mcp: { enabled: true, off: ["b", "a", "a"] } });
    expect(off.events).toEqual([{ type: "session.mcp_set", data: { mcp: { enabled: true, off: ["a", "b"] } } }]);
    const g = given(spec, "s1", [created, ...off.events]);
    expect(g.snapshot.context.mcp).toEqual({ enabled: true, off: ["a", "b"] });
    expect(g.when("set_mcp", { mcp: { enabled: true, off: ["b", "a"] } }).events).toEqual([]);
    expect(g.when("set_mcp", { mcp: { enabled: true, off: [] } }).events).toEqual([{ type: "session.mcp_set", data: { mcp: null } }]);
    expect(given(spec, "s1", [created]).when("set_mcp", { mcp: { enabled: true, off: [] } }).events).toEqual([]);
  });

  test("a session that does not exist refuses it; a server name must be one the config could hold", () => {
    expect(() => given(spec, "s1", []).when("set_mcp", { mcp: null })).toThrow(/create it first/);
    expect(() => given(spec, "s1", [created]).when("set_mcp", { mcp: { enabled: true, off: ["a__b"] } })).toThrow();
  });

  test("a fork keeps the parent's setting", () => {
    const parent = given(spec, "s1", [created, { type: "session.mcp_set", data: { mcp: { enabled: false, off: [] } } }]);
    const fork = given(spec, "f1", []).when("create_fork", {
      parentKey: "s1",
      forkPoint: 0,
      label: null,
      title: "fork",
      model: null,
      sandbox: null,
      mcp: parent.snapshot.context.mcp,
      messages: [],
    });
    const forked = given(spec, "f1", [...fork.events]);
    expect(forked.snapshot.context.mcp).toEqual({ enabled: false, off: [] });
  });
});

describe("what a run offers and may call under it", () => {
  const tool = (name: string, server?: string) =>
    defineTool({
      name,
      description: name,
      source: server ? "mcp" : "builtin",
      ...(server ? { server } : {}),
      dangerous: false,
      params: Schema.Struct({}),
      parameters: { type: "object", properties: {} },
      run: async () => ({ output: "" }),
    });
  const registry = new ToolRegistry().register(tool("read_file")).register(tool("mcp__a__x", "a")).register(tool("mcp__b__y", "b"));
  const names = (mcp: Parameters<typeof offeredSpecs>[1]) => offeredSpecs(registry, mcp).map((s) => s.name);

  test("all servers by default, none when off, all but the switched-off ones otherwise; built-in tools always", () => {
    expect(names(null)).toEqual(["read_file", "mcp__a__x", "mcp__b__y"]);
    expect(names(undefined)).toEqual(["read_file", "mcp__a__x", "mcp__b__y"]);
    expect(names({ enabled: false, off: [] })).toEqual(["read_file"]);
    expect(names({ enabled: true, off: ["a"] })).toEqual(["read_file", "mcp__b__y"]);
    expect(mcpAllows({ enabled: false, off: [] }, undefined)).toBe(true);
  });

  test("a call of a switched-off server's tool is refused with a reason the model can read", () => {
    expect(mcpRefusal(registry, { enabled: true, off: ["a"] }, "mcp__a__x")).toMatch(/MCP server a is switched off for this session/);
    expect(mcpRefusal(registry, { enabled: false, off: [] }, "mcp__b__y")).toMatch(/MCP tools are switched off/);
    expect(mcpRefusal(registry, { enabled: true, off: ["a"] }, "mcp__b__y")).toBeUndefined();
    expect(mcpRefusal(registry, { enabled: false, off: [] }, "read_file")).toBeUndefined();
  });
});
