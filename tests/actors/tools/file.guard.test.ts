/**
 * write_file and edit_file on real files: a path whose content later commands execute is written
 * only when the run's approval gate let the call through (`ToolContext.approved`), however the
 * path is spelled (`..`, case, a symlink to `.git`).
 */
import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { protectedTarget } from "../../../actors/tools/index.ts";
import { errorOf, okOutput, useWorkspace } from "./tools.helpers.ts";

describe("protected paths in the file tools", () => {
  const workspace = useWorkspace();

  it("refuses .git/config without an approval (nothing written) and writes it with one", async () => {
    const { ws, ctx, registry } = await workspace();
    await mkdir(path.join(ws, ".git"));
    const args = JSON.stringify({ path: ".git/config", content: "[core]\n\tfsmonitor = sh -c id\n" });
    const refused = errorOf(await registry.invoke("write_file", args, ctx));
    expect(refused).toMatchObject({ code: "bad_request", details: { reason: "approval_required", path: ".git/config" } });
    expect(refused.message).toMatch(/needs the user's approval/);
    await expect(readFile(path.join(ws, ".git", "config"))).rejects.toThrow(/ENOENT/);
    okOutput(await registry.invoke("write_file", args, { ...ctx, approved: true }));
    expect(await readFile(path.join(ws, ".git", "config"), "utf8")).toContain("fsmonitor");
  });

  it("sees through .., case and a symlink to .git; edit_file is held to the same rule", async () => {
    const { ws, call } = await workspace();
    await mkdir(path.join(ws, ".git"));
    await writeFile(path.join(ws, ".git", "config"), "[core]\n");
    await mkdir(path.join(ws, "src"));
    await symlink(".git", path.join(ws, "cfg"));
    for (const p of [
      "src/../.git/config",
      ".GIT/config",
      "cfg/config",
      "cfg/hooks/pre-commit",
      ".envrc",
      ".cairn/hooks/x",
      "lib/.gitmodules",
    ]) {
      expect(errorOf(await call("write_file", { path: p, content: "x" })).details).toMatchObject({ reason: "approval_required" });
    }
    const edit = await call("edit_file", { path: "cfg/config", old_string: "[core]", new_string: "[core]\n\tpager = sh" });
    expect(errorOf(edit).details).toMatchObject({ reason: "approval_required" });
    expect(await readFile(path.join(ws, ".git", "config"), "utf8")).toBe("[core]\n");
    expect(okOutput(await call("write_file", { path: "src/a.ts", content: "x" }))).toMatch(/^created src\/a\.ts/);
  });

  it("protectedTarget (what the run's gate asks about) agrees, before the file exists", async () => {
    const { ws } = await workspace();
    await mkdir(path.join(ws, ".git"));
    await symlink(".git", path.join(ws, "cfg"));
    expect(await protectedTarget(ws, "cfg/config")).toMatch(/\.git/);
    expect(await protectedTarget(ws, path.join(ws, "src/../.git/config"))).toMatch(/\.git/);
    expect(await protectedTarget(ws, "src/new.ts")).toBeUndefined();
  });
});
