/** The skill tools as the agent loop calls them, on a real skills directory. */
import { lstat, mkdir, readFile, readdir, symlink, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { describe, expect, test } from "vitest";
import { SKILL_BODY_MAX_BYTES, loadSkills } from "../../../actors/skills/index.ts";
import { skillTools } from "../../../actors/tools/index.ts";
import { useSkillsDir } from "../skills/skills.helpers.ts";
import { errorOf, okOutput } from "./tools.helpers.ts";

const newDir = useSkillsDir();
const exists = (p: string) =>
  lstat(p).then(
    () => true,
    () => false,
  );

describe("skill tools", () => {
  test("writing skills needs an approval, reading one does not", () => {
    expect(Object.fromEntries(skillTools("/x").map((t) => [t.name, t.dangerous]))).toEqual({
      create_skill: true,
      update_skill: true,
      delete_skill: true,
      read_skill: false,
    });
  });

  test("create writes <dir>/<name>/SKILL.md with frontmatter; read_skill returns it", async () => {
    const { dir, call } = await newDir();
    const out = okOutput(
      await call("create_skill", {
        name: "summarize-pr",
        description: "Summarize GitHub PRs with key changes",
        body: "# summarize-pr\n\nSteps.",
      }),
    );
    expect(out).toContain(path.join(dir, "summarize-pr", "SKILL.md"));
    const text = await readFile(path.join(dir, "summarize-pr", "SKILL.md"), "utf8");
    expect(text).toBe("---\nname: summarize-pr\ndescription: Summarize GitHub PRs with key changes\n---\n\n# summarize-pr\n\nSteps.\n");
    expect(okOutput(await call("read_skill", { name: "summarize-pr" }))).toBe(text);
    expect(await readdir(path.join(dir, "summarize-pr"))).toEqual(["SKILL.md"]); // no temp file left
  });

  test("create refuses a name already taken, and leaves the skill as it was", async () => {
    const { dir, call } = await newDir();
    okOutput(await call("create_skill", { name: "dup", description: "First", body: "one" }));
    const err = errorOf(await call("create_skill", { name: "dup", description: "Second", body: "two" }));
    expect(err).toMatchObject({ code: "bad_request", details: { reason: "skill_exists" } });
    expect(err.message).toMatch(/update_skill/);
    expect((await loadSkills(dir))[0]).toMatchObject({ description: "First", body: "one" });
  });

  test("bad names never touch the file system", async () => {
    const { top, dir, call } = await newDir();
    for (const name of ["../escape", "a/b", "..", ".hidden", "Upper", "a--b", "-a", "x".repeat(65), "", "a b", "a\u0000b"]) {
      expect(errorOf(await call("create_skill", { name, description: "d", body: "b" })).code, name).toBe("bad_request");
      expect(errorOf(await call("delete_skill", { name })).code, name).toBe("bad_request");
    }
    expect(await exists(dir)).toBe(false);
    expect(await readdir(top)).toEqual([]);
  });

  test("bodies are capped, must not carry their own frontmatter, and descriptions are one line", async () => {
    const { dir, call } = await newDir();
    const big = errorOf(await call("create_skill", { name: "big", description: "d", body: "x".repeat(SKILL_BODY_MAX_BYTES + 1) }));
    expect(big.details).toMatchObject({ reason: "body_too_large" });
    const fm = errorOf(await call("create_skill", { name: "fm", description: "d", body: "---\nname: fm\n---\nbody" }));
    expect(fm.details).toMatchObject({ reason: "body_has_frontmatter" });
    expect(errorOf(await call("create_skill", { name: "nodesc", description: "  ", body: "b" })).details).toMatchObject({
      reason: "bad_description",
    });
    expect(await exists(path.join(dir, "big"))).toBe(false);
    okOutput(await call("create_skill", { name: "multi", description: "line one\nline two", body: "b" }));
    expect((await loadSkills(dir))[0].description).toBe("line one line two");
  });

  test("update changes what is given, keeps the rest and hand-written frontmatter keys", async () => {
    const { dir, call } = await newDir();
    await mkdir(path.join(dir, "kept"), { recursive: true });
    await writeFile(path.join(dir, "kept", "SKILL.md"), "---\nname: kept\ndescription: Old\nlicense: MIT\n---\nOld body\n");
    okOutput(await call("update_skill", { name: "kept", body: "New body" }));
    expect((await loadSkills(dir))[0]).toMatchObject({ description: "Old", body: "New body", extra: ["license: MIT"] });
    okOutput(await call("update_skill", { name: "kept", description: "New" }));
    expect((await loadSkills(dir))[0]).toMatchObject({ description: "New", body: "New body", extra: ["license: MIT"] });
    expect(await readdir(path.join(dir, "kept"))).toEqual(["SKILL.md"]);
    expect(errorOf(await call("update_skill", { name: "kept" })).details).toMatchObject({ reason: "nothing_to_update" });
  });

  test("update and delete refuse a missing skill", async () => {
    const { call } = await newDir();
    expect(errorOf(await call("update_skill", { name: "ghost", body: "b" })).details).toMatchObject({ reason: "no_such_skill" });
    expect(errorOf(await call("delete_skill", { name: "ghost" })).details).toMatchObject({ reason: "no_such_skill" });
    expect(errorOf(await call("read_skill", { name: "ghost" })).details).toMatchObject({ reason: "no_such_skill" });
  });

  test("a malformed skill is repaired by giving both description and body", async () => {
    const { dir, call } = await newDir();
    await mkdir(path.join(dir, "broken"), { recursive: true });
    await writeFile(path.join(dir, "broken", "SKILL.md"), "just text\n");
    expect(errorOf(await call("update_skill", { name: "broken", body: "b" })).details).toMatchObject({ reason: "malformed_skill" });
    okOutput(await call("update_skill", { name: "broken", description: "Fixed", body: "b" }));
    expect((await loadSkills(dir)).map((s) => s.name)).toEqual(["broken"]);
  });

  test("delete removes the whole folder; the name can be created again", async () => {
    const { dir, call } = await newDir();
    okOutput(await call("create_skill", { name: "gone", description: "d", body: "b" }));
    await writeFile(path.join(dir, "gone", "helper.py"), "print(1)");
    okOutput(await call("delete_skill", { name: "gone" }));
    expect(await readdir(dir)).toEqual([]);
    expect(await loadSkills(dir)).toEqual([]);
    okOutput(await call("create_skill", { name: "gone", description: "again", body: "b" }));
  });

  test("a skill linked in from elsewhere can be read but not changed or deleted", async () => {
    const { top, dir, call } = await newDir();
    await mkdir(path.join(top, "outside"));
    await writeFile(path.join(top, "outside", "SKILL.md"), "---\nname: linked\ndescription: d\n---\nbody\n");
    await mkdir(dir);
    await symlink(path.join(top, "outside"), path.join(dir, "linked"));
    expect(okOutput(await call("read_skill", { name: "linked" }))).toContain("body");
    expect(errorOf(await call("update_skill", { name: "linked", body: "overwritten" })).details).toMatchObject({ reason: "linked_skill" });
    expect(errorOf(await call("delete_skill", { name: "linked" })).details).toMatchObject({ reason: "linked_skill" });
    expect(await readFile(path.join(top, "outside", "SKILL.md"), "utf8")).toContain("body");
  });
});
