/**
 * Skills: folders `<dir>/<name>/SKILL.md` of instructions the agent is told about in its system
 * prompt and reads when a task calls for one; the agent can write them too (self-extension) with
 * the skill tools of `actors/tools`, which build on this folder (never the other way round).
 */
export {
  SKILL_BODY_MAX_BYTES,
  SKILL_DESCRIPTION_MAX,
  SKILL_FILE_MAX_BYTES,
  SKILL_NAME_MAX,
  SKILL_NAME_PATTERN,
  parseSkillFile,
  renderSkillFile,
  skillNameProblem,
  type ParsedSkill,
  type SkillDocument,
} from "./skill.format.ts";
export { SKILL_FILE, loadSkills, scanSkills, type Skill, type SkillProblem, type SkillScan } from "./skills.loader.ts";
export { SKILLS_PROMPT_MAX_CHARS, skillsPrompt } from "./skills.prompt.ts";
export { createSkill, deleteSkill, readSkill, updateSkill } from "./skill.store.ts";
