/**
 * The node's context for the agent: its working directory's `AGENTS.md` and
 * `.agents/skills/<name>/SKILL.md`. Read fresh each time (the watcher calls this after a change),
 * capped so a huge file cannot flood the gateway or the prompt.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseSkillFile, SKILL_BODY_MAX_BYTES, SKILL_FILE_MAX_BYTES } from "../../actors/skills/index.ts";
import type { NodeContext } from "../../schemas/index.ts";

export const AGENTS_MD_MAX_BYTES = 64 * 1024;
export const MAX_SKILLS = 50;

const readCapped = (file: string, max: number): string | null => {
  try {
    const st = statSync(file);
    if (!st.isFile()) return null;
    const text = readFileSync(file).subarray(0, max).toString("utf8");
    return st.size > max ? `${text}\n[cairn: truncated at ${max} bytes]` : text;
  } catch {
    return null;
  }
};

export interface ContextProblem {
  readonly file: string;
  readonly problem: string;
}

/** Reads the context; malformed skills are left out and reported through `problems`. */
export function readNodeContext(workingDir: string, now: () => number = Date.now): { context: NodeContext; problems: ContextProblem[] } {
  const agentsMd = readCapped(join(workingDir, "AGENTS.md"), AGENTS_MD_MAX_BYTES);
  const skills: Array<{ name: string; description: string; body: string }> = [];
  const problems: ContextProblem[] = [];
  const skillsDir = join(workingDir, ".agents", "skills");
  let dirs: string[] = [];
  try {
    dirs = readdirSync(skillsDir, { withFileTypes: true })
      .filter((d) => d.isDirectory() || d.isSymbolicLink())
      .map((d) => d.name)
      .sort();
  } catch {
    // no skills folder (yet)
  }
  for (const dir of dirs) {
    if (skills.length >= MAX_SKILLS) {
      problems.push({ file: skillsDir, problem: `more than ${MAX_SKILLS} skills; the rest are left out` });
      break;
    }
    const file = join(skillsDir, dir, "SKILL.md");
    const text = readCapped(file, SKILL_FILE_MAX_BYTES);
    if (text === null) continue;
    const parsed = parseSkillFile(text);
    if (!parsed.ok) {
      problems.push({ file, problem: parsed.problem });
      continue;
    }
    const body = Buffer.from(parsed.doc.body).subarray(0, SKILL_BODY_MAX_BYTES).toString("utf8");
    skills.push({ name: parsed.doc.name, description: parsed.doc.description, body });
  }
  return { context: { agentsMd, skills, at: now() }, problems };
}

/** Same content (ignoring when it was read)? Used to send only real changes. */
export const sameContext = (a: NodeContext, b: NodeContext): boolean => JSON.stringify({ ...a, at: 0 }) === JSON.stringify({ ...b, at: 0 });
