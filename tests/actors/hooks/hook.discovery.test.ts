import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BUNDLED_HOOKS_DIR, discoverHooks } from "../../../actors/hooks/index.ts";
import { hookTmp, writeHook } from "./hook.fixtures.ts";

const host = { platform: "linux", env: { PATH: "/usr/bin:/bin", HOME: "/root" } };

describe("hook discovery", () => {
  it("finds project, user and config hooks in the seed's precedence order; a project hook hides a user one of the same name", () => {
    const root = hookTmp();
    writeHook(join(root, "project"), "audit", { events: ["BeforeToolCall"], script: "exit 0", priority: 1 });
    writeHook(join(root, "user"), "audit", { events: ["SessionStart"], script: "exit 0" });
    writeHook(join(root, "user"), "notify", { events: ["SessionEnd"], script: "exit 0", priority: 5 });
    const hooks = discoverHooks({
      projectDir: join(root, "project"),
      userDir: join(root, "user"),
      config: { entries: [{ name: "cfg", command: "./x.sh", events: ["AgentEnd"], timeout: 2 }], file: join(root, "cairn.toml") },
      bundledDir: null,
      host,
    });
    expect(hooks.map((h) => [h.name, h.source, h.events])).toEqual([
      ["notify", "user", ["SessionEnd"]],
      ["audit", "project", ["BeforeToolCall"]],
      ["cfg", "config", ["AgentEnd"]],
    ]);
    expect(hooks.find((h) => h.name === "cfg")).toMatchObject({ dir: root, timeoutMs: 2000, eligible: true });
  });

  it("lists ineligible hooks with one reason per unmet requirement, and a broken HOOK.md with its error", () => {
    const root = hookTmp();
    writeHook(root, "picky", {
      events: ["SessionStart"],
      script: "exit 0",
      extra: '[requires]\nos = ["darwin"]\nbins = ["sh", "no-such-binary-xyz"]\nenv = ["SLACK_WEBHOOK_URL", "HOME"]',
    });
    mkdirSync(join(root, "broken"));
    writeFileSync(join(root, "broken", "HOOK.md"), "no front matter");
    const hooks = discoverHooks({ userDir: root, bundledDir: null, host });
    expect(hooks.find((h) => h.name === "picky")).toMatchObject({
      eligible: false,
      reasons: ["runs on darwin, not linux", "needs 'no-such-binary-xyz' on PATH", "needs the environment variable SLACK_WEBHOOK_URL"],
    });
    expect(hooks.find((h) => h.name === "broken")).toMatchObject({
      eligible: false,
      enabled: false,
      reasons: [expect.stringMatching(/front matter/)],
    });
  });

  it("ships the bundled hooks disabled; [[hooks]] enables and tunes one by name", () => {
    const off = discoverHooks({ host });
    expect(off.filter((h) => h.source === "bundled").map((h) => [h.name, h.eligible])).toEqual([
      ["boot-md", false],
      ["command-logger", false],
      ["session-memory", false],
    ]);
    expect(off.find((h) => h.name === "boot-md")?.reasons).toEqual(["bundled hooks are off until enabled in cairn.toml"]);
    const on = discoverHooks({
      host,
      config: {
        entries: [{ name: "command-logger", enabled: true, priority: 3, env: { CAIRN_COMMAND_LOG: "/tmp/x" } }],
        file: "/etc/cairn.toml",
      },
    });
    expect(on.find((h) => h.name === "command-logger")).toMatchObject({
      eligible: true,
      priority: 3,
      dir: join(BUNDLED_HOOKS_DIR, "command-logger"),
      env: { CAIRN_COMMAND_LOG: "/tmp/x" },
    });
  });
});
