import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterEach } from "vitest";
import { workspaceToolRegistry, type ToolContext, type ToolResult } from "../../../actors/tools/index.ts";

/** A fresh workspace inside a fresh temp dir (so "outside the workspace" is a real sibling dir). */
export function useWorkspace() {
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });
  return async () => {
    const top = await mkdtemp(path.join(tmpdir(), "cairn-tools-"));
    dirs.push(top);
    const { mkdir } = await import("node:fs/promises");
    const ws = path.join(top, "ws");
    const outside = path.join(top, "outside");
    await mkdir(ws);
    await mkdir(outside);
    const ctx: ToolContext = { workspace: ws, signal: new AbortController().signal, sessionKey: "test" };
    const registry = workspaceToolRegistry();
    const call = (name: string, args: unknown): Promise<ToolResult> =>
      registry.invoke(name, typeof args === "string" ? args : JSON.stringify(args), ctx);
    return { top, ws, outside, ctx, registry, call };
  };
}

export const okOutput = (r: ToolResult): string => {
  if (!r.ok) throw new Error(`expected ok, got ${r.error.code}: ${r.error.message}`);
  return r.output;
};

export const errorOf = (r: ToolResult) => {
  if (r.ok) throw new Error(`expected an error, got output: ${r.output.slice(0, 200)}`);
  return r.error;
};
