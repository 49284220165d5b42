import type { Skill } from "./skills.loader.ts";

/** Characters of skill descriptions in the prompt; past it skills are listed by name only. */
export const SKILLS_PROMPT_MAX_CHARS = 16_000;

// Descriptions come from files the agent itself may have written: escaped so none can close the
// block or fake another skill's entry.
const esc = (s: string) => s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");

/**
 * The block appended to the system prompt: each skill's name, description and SKILL.md path
 * (progressive disclosure — the model fetches a skill's instructions with `read_skill` only when a
 * task calls for it, so many skills cost little context). Empty when there are no skills.
 */
export function skillsPrompt(skills: readonly Skill[], opts: { maxChars?: number } = {}): string {
  if (skills.length === 0) return "";
  const budget = opts.maxChars ?? SKILLS_PROMPT_MAX_CHARS;
  let used = 0;
  const entries = skills.map((s) => {
    used += s.description.length;
    return used <= budget
      ? `<skill name="${esc(s.name)}" path="${esc(s.path)}">\n${esc(s.description)}\n</skill>`
      : `<skill name="${esc(s.name)}" path="${esc(s.path)}" />`;
  });
  return [
    "## Skills",
    "",
    "Skills are instructions for particular tasks, written by the user or by you. When a task matches a skill's description, " +
      "call `read_skill` with its name before you start and follow what it says. To remember a way of doing something for future " +
      "conversations, create a skill (`create_skill`) or improve one (`update_skill`).",
    "",
    "<available_skills>",
    ...entries,
    "</available_skills>",
  ].join("\n");
}
