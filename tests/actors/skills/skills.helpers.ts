import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterEach } from "vitest";
import { ToolRegistry, skillTools, type ToolContext } from "../../../actors/tools/index.ts";

/** A fresh temp dir per test, holding the skills directory `<top>/skills` (not created yet). */
export function useSkillsDir() {
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });
  return async () => {
    const top = await mkdtemp(path.join(tmpdir(), "cairn-skills-"));
    dirs.push(top);
    const dir = path.join(top, "skills");
    const registry = new ToolRegistry();
    for (const t of skillTools(dir)) registry.register(t);
    const ctx: ToolContext = { workspace: top, signal: new AbortController().signal, sessionKey: "test" };
    const call = (name: string, args: unknown) => registry.invoke(name, JSON.stringify(args), ctx);
    return { top, dir, registry, call };
  };
}
