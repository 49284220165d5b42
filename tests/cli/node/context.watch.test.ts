import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { readNodeContext, watchNodeContext, type ContextWatcher } from "../../../cli/node/index.ts";
import type { NodeContext } from "../../../schemas/nodes.ts";

const skill = (name: string, description: string, body = "Do the thing.") =>
  `---\nname: ${name}\ndescription: ${description}\n---\n${body}\n`;

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** A watcher over a fresh temp dir whose changes can be awaited one by one. */
function setup() {
  const dir = mkdtempSync(join(tmpdir(), "cairn-node-ctx-"));
  const queue: NodeContext[] = [];
  let wake: (() => void) | undefined;
  const watcher: ContextWatcher = watchNodeContext({
    workingDir: dir,
    onChange: (c) => {
      queue.push(c);
      wake?.();
    },
  });
  cleanups.push(() => {
    watcher.close();
    rmSync(dir, { recursive: true, force: true });
  });
  /** The next change notification (the test times out if it never comes). */
  const next = async (): Promise<NodeContext> => {
    while (queue.length === 0) await new Promise<void>((r) => (wake = r));
    return queue.shift()!;
  };
  return { dir, watcher, next };
}

describe("node context watcher", () => {
  it("reports a skill created after start, then its edit, then AGENTS.md", { timeout: 5_000 }, async () => {
    const { dir, watcher, next } = setup();
    expect(watcher.current()).toMatchObject({ agentsMd: null, skills: [] });
    mkdirSync(join(dir, ".agents", "skills", "deploy"), { recursive: true });
    writeFileSync(join(dir, ".agents", "skills", "deploy", "SKILL.md"), skill("deploy", "Ship the app"));
    let c = await next();
    expect(c.skills).toEqual([{ name: "deploy", description: "Ship the app", body: "Do the thing." }]);

    writeFileSync(join(dir, ".agents", "skills", "deploy", "SKILL.md"), skill("deploy", "Ship it to production"));
    c = await next();
    expect(c.skills[0].description).toBe("Ship it to production");

    writeFileSync(join(dir, "AGENTS.md"), "# Project\nUse pnpm.\n");
    c = await next();
    expect(c.agentsMd).toBe("# Project\nUse pnpm.\n");
    expect(watcher.current()).toEqual(c);
  });

  it("a malformed skill is left out with a reason; a huge AGENTS.md is capped", () => {
    const dir = mkdtempSync(join(tmpdir(), "cairn-node-ctx-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    mkdirSync(join(dir, ".agents", "skills", "bad"), { recursive: true });
    mkdirSync(join(dir, ".agents", "skills", "good"), { recursive: true });
    writeFileSync(join(dir, ".agents", "skills", "bad", "SKILL.md"), "no frontmatter here");
    writeFileSync(join(dir, ".agents", "skills", "good", "SKILL.md"), skill("good", "Fine"));
    writeFileSync(join(dir, "AGENTS.md"), "x".repeat(200_000));
    const { context, problems } = readNodeContext(dir);
    expect(context.skills.map((s) => s.name)).toEqual(["good"]);
    expect(problems).toHaveLength(1);
    expect(problems[0].file).toContain(join("bad", "SKILL.md"));
    expect(context.agentsMd!.length).toBeLessThan(70_000);
    expect(context.agentsMd).toContain("truncated");
  });
});
