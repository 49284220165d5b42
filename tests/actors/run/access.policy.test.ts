/**
 * A channel sender's level in the run's gate, on the real tool registry and the real approval
 * policy (`callVerdict`, the tree-sitter shell parse): what a read-only run is offered and refused,
 * and which of the owner's waivers reach an execute run (none) or an admin run (all).
 */
import * as Schema from "effect/Schema";
import { describe, expect, it } from "vitest";
import { accessibleSpecs, accessRefusal, ownerWaiversApply } from "../../../actors/run/access.policy.ts";
import { callVerdict } from "../../../actors/run/call.verdict.ts";
import type { RunEffectDeps } from "../../../actors/run/run.deps.ts";
import { ToolRegistry, defineTool } from "../../../actors/tools/index.ts";

const tool = (name: string, o: { dangerous?: boolean; readOnly?: boolean } = {}) =>
  defineTool({
    name,
    description: name,
    source: "builtin",
    dangerous: o.dangerous ?? false,
    ...(o.readOnly ? { readOnly: true } : {}),
    params: Schema.Struct({ path: Schema.optionalKey(Schema.String) }),
    run: async () => ({ output: "" }),
  });

const registry = new ToolRegistry()
  .register(tool("read_file", { readOnly: true }))
  .register(tool("write_file"))
  .register(tool("exec", { dangerous: true }))
  .register(tool("create_skill", { dangerous: true }));

const deps = (approvalMode: "never" | "smart" | "always", remembered: string[] = []) =>
  ({
    agent: { tools: registry, exec: { approvalMode, allowlist: ["make *"] } },
    approvals: { remembered: async () => remembered },
  }) as unknown as RunEffectDeps;
const verdict = (d: RunEffectDeps, name: string, args: Record<string, unknown>, waivers: boolean) =>
  callVerdict(d, name, JSON.stringify(args), args, async () => "/tmp", waivers);

describe("channel access in the run", () => {
  it("read-only: only tools marked readOnly are offered; any other call is refused with a reason the model reads", () => {
    const specs = registry.specs();
    expect(accessibleSpecs(specs, registry, "read-only").map((s) => s.name)).toEqual(["read_file"]);
    expect(accessibleSpecs(specs, registry, "execute")).toEqual(specs);
    expect(accessibleSpecs(specs, registry, undefined)).toEqual(specs);
    expect(accessRefusal(registry, "read-only", "write_file")).toMatch(/read-only access/);
    expect(accessRefusal(registry, "read-only", "made_up_tool")).toMatch(/read-only access/);
    expect(accessRefusal(registry, "read-only", "read_file")).toBeUndefined();
    expect(accessRefusal(registry, "execute", "exec")).toBeUndefined();
  });

  it("execute: approval_mode never, the allowlist and 'always allow' do not waive the question; smart's read-only commands still run", async () => {
    const waivers = ownerWaiversApply("execute");
    expect(waivers).toBe(false);
    const d = deps("never", ["touch x", "create_skill {}"]);
    expect((await verdict(d, "exec", { command: "touch x" }, waivers))?.verdict.ask).toBe(true);
    expect((await verdict(d, "exec", { command: "make all" }, waivers))?.verdict.ask).toBe(true);
    expect((await verdict(d, "create_skill", {}, waivers))?.verdict.ask).toBe(true);
    expect((await verdict(d, "exec", { command: "ls -l" }, waivers))?.verdict.ask).toBe(false);
    expect((await verdict(deps("always"), "exec", { command: "ls -l" }, waivers))?.verdict.ask).toBe(true);
  });

  it("admin and the owner: the owner's policy as configured", async () => {
    expect(ownerWaiversApply("admin")).toBe(true);
    expect(ownerWaiversApply(undefined)).toBe(true);
    const d = deps("never");
    expect((await verdict(d, "exec", { command: "touch x" }, true))?.verdict).toEqual({ ask: false, why: "approval_mode is never" });
    const smart = deps("smart", ["touch x"]);
    expect((await verdict(smart, "exec", { command: "touch x" }, true))?.verdict.ask).toBe(false);
    expect((await verdict(smart, "exec", { command: "make all" }, true))?.verdict.ask).toBe(false);
  });
});
