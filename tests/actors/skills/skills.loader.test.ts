/** Loading skills from a real directory: hot pickup of changes, malformed files skipped and reported. */
import { mkdir, rm, symlink, utimes, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { describe, expect, test } from "vitest";
import { loadSkills, scanSkills, skillsPrompt } from "../../../actors/skills/index.ts";
import { okOutput } from "../tools/tools.helpers.ts";
import { useSkillsDir } from "./skills.helpers.ts";

const newDir = useSkillsDir();
const skillText = (name: string, description: string, body = "Do the thing.") =>
  `---\nname: ${name}\ndescription: ${description}\n---\n\n${body}\n`;
const write = async (dir: string, name: string, text: string) => {
  await mkdir(path.join(dir, name), { recursive: true });
  await writeFile(path.join(dir, name, "SKILL.md"), text);
};

describe("loadSkills", () => {
  test("a missing skills directory is no skills", async () => {
    const { dir } = await newDir();
    expect(await loadSkills(dir)).toEqual([]);
  });

  test("a skill created with the tool is seen by the next load", async () => {
    const { dir, call } = await newDir();
    expect(await loadSkills(dir)).toEqual([]);
    okOutput(
      await call("create_skill", { name: "summarize-pr", description: "Summarize GitHub PRs", body: "# summarize-pr\n\nRead the diff." }),
    );
    expect(await loadSkills(dir)).toEqual([
      {
        name: "summarize-pr",
        description: "Summarize GitHub PRs",
        body: "# summarize-pr\n\nRead the diff.",
        extra: [],
        path: path.join(dir, "summarize-pr", "SKILL.md"),
      },
    ]);
  });

  test("editing a SKILL.md by hand is seen by the next load, even at the same size right after a load", async () => {
    const { dir } = await newDir();
    await write(dir, "notes", skillText("notes", "Version one", "aaaa"));
    expect((await loadSkills(dir))[0]).toMatchObject({ description: "Version one", body: "aaaa" });
    await writeFile(path.join(dir, "notes", "SKILL.md"), skillText("notes", "Version two", "bbbb"));
    expect((await loadSkills(dir))[0]).toMatchObject({ description: "Version two", body: "bbbb" });
    await write(dir, "another", skillText("another", "Second skill"));
    expect((await loadSkills(dir)).map((s) => s.name)).toEqual(["another", "notes"]);
    await rm(path.join(dir, "notes"), { recursive: true });
    expect((await loadSkills(dir)).map((s) => s.name)).toEqual(["another"]);
  });

  test("an unchanged skill is not read again; a change that keeps size and mtime is still seen", async () => {
    const { dir } = await newDir();
    await write(dir, "cached", skillText("cached", "Version one", "aaaa"));
    const past = new Date(Date.now() - 60_000);
    const file = path.join(dir, "cached", "SKILL.md");
    await utimes(file, past, past);
    await utimes(dir, past, past);
    const first = await loadSkills(dir);
    expect((await loadSkills(dir))[0]).toBe(first[0]); // the cached object: nothing was re-read
    await writeFile(file, skillText("cached", "Version two", "bbbb"));
    await utimes(file, past, past); // same size, same mtime: only the change time moved
    expect((await loadSkills(dir))[0]).toMatchObject({ description: "Version two", body: "bbbb" });
  });

  test("a malformed SKILL.md is skipped and reported once, the others still load; fixing it brings it back", async () => {
    const { dir } = await newDir();
    await write(dir, "good", skillText("good", "Fine"));
    await write(dir, "broken", "no frontmatter here\n");
    await write(dir, "renamed", skillText("other-name", "Name does not match the folder"));
    await mkdir(path.join(dir, "empty-folder"));
    await writeFile(path.join(dir, "stray.md"), "not a folder");
    const reports: string[] = [];
    const skills = await loadSkills(dir, { report: (l) => reports.push(l) });
    expect(skills.map((s) => s.name)).toEqual(["good"]);
    expect(reports).toHaveLength(2);
    expect(reports.find((l) => l.includes("broken"))).toMatch(/does not start with a '---'/);
    expect(reports.find((l) => l.includes("renamed"))).toMatch(/differs from its folder/);
    await loadSkills(dir, { report: (l) => reports.push(l) });
    expect(reports).toHaveLength(2);
    expect((await scanSkills(dir)).problems.map((p) => path.basename(path.dirname(p.path)))).toEqual(["broken", "renamed"]);
    await writeFile(path.join(dir, "broken", "SKILL.md"), skillText("broken", "Repaired"));
    expect((await loadSkills(dir)).map((s) => s.name)).toEqual(["broken", "good"]);
  });

  test("a skill folder linked in from elsewhere is loaded", async () => {
    const { top, dir } = await newDir();
    await write(top, "elsewhere", skillText("linked", "Lives elsewhere"));
    await mkdir(dir);
    await symlink(path.join(top, "elsewhere"), path.join(dir, "linked"));
    expect((await loadSkills(dir)).map((s) => s.name)).toEqual(["linked"]);
  });
});

describe("skillsPrompt", () => {
  test("lists each skill's name, description and path, escaped; nothing when there are none", async () => {
    const { dir } = await newDir();
    expect(skillsPrompt([])).toBe("");
    await write(dir, "a-skill", skillText("a-skill", '"Use <b>bold</b> & more"'));
    const prompt = skillsPrompt(await loadSkills(dir));
    expect(prompt).toContain("<available_skills>");
    expect(prompt).toContain(
      `<skill name="a-skill" path="${path.join(dir, "a-skill", "SKILL.md")}">\nUse &lt;b&gt;bold&lt;/b&gt; &amp; more\n</skill>`,
    );
    expect(prompt).toContain("read_skill");
    expect(prompt).not.toContain("Do the thing."); // bodies are read on demand
  });

  test("past its budget, skills are listed by name only", async () => {
    const skills = ["a", "b", "c"].map((name) => ({ name, description: "d".repeat(40), body: "", extra: [], path: `/s/${name}/SKILL.md` }));
    const prompt = skillsPrompt(skills, { maxChars: 90 });
    expect(prompt).toContain(`<skill name="b" path="/s/b/SKILL.md">`);
    expect(prompt).toContain(`<skill name="c" path="/s/c/SKILL.md" />`);
  });
});
