import * as Schema from "effect/Schema";
import {
  SKILL_BODY_MAX_BYTES,
  SKILL_DESCRIPTION_MAX,
  SKILL_NAME_MAX,
  SKILL_NAME_PATTERN,
  createSkill,
  deleteSkill,
  readSkill,
  updateSkill,
} from "../skills/index.ts";
import { defineTool, type Tool } from "./tool.registry.ts";

const Name = Schema.String.check(
  Schema.isMaxLength(SKILL_NAME_MAX),
  Schema.isPattern(SKILL_NAME_PATTERN, { message: 'a skill name is lowercase letters, digits and single hyphens (e.g. "summarize-pr")' }),
).annotate({
  description: `The skill's name: lowercase letters, digits and hyphens, at most ${SKILL_NAME_MAX} characters (e.g. "summarize-pr").`,
});
const Description = Schema.String.annotate({
  description: `One line (at most ${SKILL_DESCRIPTION_MAX} characters): what the skill does and when to use it. This is all you will see of it until you read it.`,
});
const Body = Schema.String.annotate({
  description: `The instructions, in markdown, without a frontmatter block (at most ${SKILL_BODY_MAX_BYTES / 1024} KiB).`,
});

export const CreateSkillParams = Schema.Struct({ name: Name, description: Description, body: Body });
export const UpdateSkillParams = Schema.Struct({
  name: Name,
  description: Schema.optionalKey(Description),
  body: Schema.optionalKey(Body),
});
export const SkillNameParams = Schema.Struct({ name: Name });

/**
 * The tools that let the agent extend itself with skills kept in `dir` (`<dir>/<name>/SKILL.md`).
 * Creating, changing and deleting a skill are `dangerous`: a skill is read into every future
 * conversation's system prompt, so writing one is a lasting instruction to the agent — a page it
 * fetched must not be able to plant one without a person agreeing. Reading is not.
 */
export const skillTools = (dir: string): Tool[] => [
  defineTool({
    name: "create_skill",
    description:
      "Create a new skill: reusable instructions for a kind of task, offered to you in every future conversation (from the next message on). " +
      "Fails if the name is taken (use update_skill).",
    source: "builtin",
    dangerous: true,
    params: CreateSkillParams,
    async run(args) {
      const file = await createSkill(dir, args);
      return { output: `created skill '${args.name}' (${file}); it is listed from the next message on` };
    },
  }),
  defineTool({
    name: "update_skill",
    description: "Change an existing skill's description and/or body (what is not given stays). Read it first with read_skill.",
    source: "builtin",
    dangerous: true,
    params: UpdateSkillParams,
    async run(args) {
      const file = await updateSkill(dir, args);
      return { output: `updated skill '${args.name}' (${file})` };
    },
  }),
  defineTool({
    name: "delete_skill",
    description: "Delete a skill and its folder. This cannot be undone: confirm with the user first.",
    source: "builtin",
    dangerous: true,
    params: SkillNameParams,
    async run(args) {
      await deleteSkill(dir, args.name);
      return { output: `deleted skill '${args.name}'` };
    },
  }),
  defineTool({
    name: "read_skill",
    description: "Read a skill's full SKILL.md (its instructions). Do this before following or updating a skill.",
    source: "builtin",
    dangerous: false,
    readOnly: true,
    params: SkillNameParams,
    async run(args) {
      return { output: (await readSkill(dir, args.name)).text };
    },
  }),
];
