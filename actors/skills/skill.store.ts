import { randomUUID } from "node:crypto";
import { lstat, mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { CairnError } from "../../schemas/index.ts";
import {
  SKILL_BODY_MAX_BYTES,
  SKILL_DESCRIPTION_MAX,
  SKILL_FILE_MAX_BYTES,
  normalizeDescription,
  parseSkillFile,
  renderSkillFile,
  skillNameProblem,
  type SkillDocument,
} from "./skill.format.ts";
import { SKILL_FILE } from "./skills.loader.ts";

/**
 * Writing skills on disk for the skill tools. Every failure a model can cause is a `bad_request`
 * with a `reason`, so it can correct the call. Writes are atomic (a temp file renamed over the
 * SKILL.md): a run starting meanwhile reads the old skill or the new one, never half of one.
 */

const badRequest = (message: string, reason: string, extra: Record<string, unknown> = {}) =>
  new CairnError("bad_request", message, { reason, ...extra });

const checkName = (name: string): string => {
  const problem = skillNameProblem(name);
  if (problem) throw badRequest(problem, "bad_name");
  return name;
};

const checkDescription = (d: string): string => {
  const text = normalizeDescription(d);
  if (!text) throw badRequest("a skill needs a description: one line saying what it does and when to use it", "bad_description");
  if (text.length > SKILL_DESCRIPTION_MAX)
    throw badRequest(`a description is at most ${SKILL_DESCRIPTION_MAX} characters; this one is ${text.length}`, "bad_description");
  return text;
};

const checkBody = (body: string): string => {
  const size = Buffer.byteLength(body, "utf8");
  if (size > SKILL_BODY_MAX_BYTES)
    throw badRequest(`a skill's body is at most ${SKILL_BODY_MAX_BYTES / 1024} KiB; this one is ${size} bytes`, "body_too_large");
  if (/^\uFEFF?---[ \t]*\r?\n/.test(body)) {
    throw badRequest(
      "pass the body without a frontmatter block: name and description are separate fields, cairn writes the frontmatter",
      "body_has_frontmatter",
    );
  }
  if (!body.trim()) throw badRequest("a skill needs a body: the markdown instructions to follow", "empty_body");
  return body;
};

/**
 * The skill's folder. Writes refuse a symbolic link: a skill linked in by hand lives elsewhere and
 * is edited there, and following the link would let a write land outside the skills directory.
 */
async function existingFolder(dir: string, name: string, opts: { followLink?: boolean } = {}): Promise<string> {
  const folder = path.join(path.resolve(dir), checkName(name));
  const st = await lstat(folder).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") return undefined;
    throw e;
  });
  if (!st) throw badRequest(`there is no skill named '${name}'`, "no_such_skill", { name });
  if (st.isSymbolicLink() && opts.followLink) return folder;
  if (st.isSymbolicLink())
    throw badRequest(`skill '${name}' is a link to a folder elsewhere; the agent does not change it`, "linked_skill", { name });
  if (!st.isDirectory()) throw badRequest(`'${name}' in the skills directory is not a skill folder`, "no_such_skill", { name });
  return folder;
}

async function writeAtomic(file: string, text: string): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomUUID()}.tmp`);
  try {
    await writeFile(tmp, text, { flag: "wx", mode: 0o644 });
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** Creates `<dir>/<name>/SKILL.md`; refuses a name already taken. Returns the SKILL.md path. */
export async function createSkill(dir: string, input: { name: string; description: string; body: string }): Promise<string> {
  const doc: SkillDocument = {
    name: checkName(input.name),
    description: checkDescription(input.description),
    body: checkBody(input.body),
    extra: [],
  };
  await mkdir(path.resolve(dir), { recursive: true });
  const folder = path.join(path.resolve(dir), doc.name);
  // mkdir claims the name: of two creates racing, exactly one succeeds.
  try {
    await mkdir(folder);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") {
      throw badRequest(`a skill named '${doc.name}' already exists; use update_skill to change it`, "skill_exists", { name: doc.name });
    }
    throw e;
  }
  const file = path.join(folder, SKILL_FILE);
  try {
    await writeAtomic(file, renderSkillFile(doc));
  } catch (e) {
    await rm(folder, { recursive: true, force: true });
    throw e;
  }
  return file;
}

/**
 * Rewrites a skill's description and/or body, keeping what is not given (and any other
 * frontmatter keys). A SKILL.md that no longer parses can be repaired by giving both.
 */
export async function updateSkill(dir: string, input: { name: string; description?: string; body?: string }): Promise<string> {
  if (input.description === undefined && input.body === undefined)
    throw badRequest("update_skill needs a new description, a new body, or both", "nothing_to_update");
  const folder = await existingFolder(dir, input.name);
  const file = path.join(folder, SKILL_FILE);
  const text = await readFile(file, "utf8").catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") return undefined;
    throw e;
  });
  const parsed = text === undefined ? undefined : parseSkillFile(text);
  const old = parsed?.ok ? parsed.doc : undefined;
  const description = input.description ?? old?.description;
  const body = input.body ?? old?.body;
  if (description === undefined || body === undefined) {
    const why = text === undefined ? "has no SKILL.md" : `has a malformed SKILL.md (${(parsed as { problem: string }).problem})`;
    throw badRequest(`skill '${input.name}' ${why}; give both description and body to rewrite it`, "malformed_skill", { name: input.name });
  }
  const doc: SkillDocument = {
    name: input.name,
    description: checkDescription(description),
    body: checkBody(body),
    extra: old?.extra ?? [],
  };
  await writeAtomic(file, renderSkillFile(doc));
  return file;
}

/** Removes a skill's folder. It is renamed to a hidden name first, so no run sees half a skill. */
export async function deleteSkill(dir: string, name: string): Promise<void> {
  const folder = await existingFolder(dir, name);
  const doomed = path.join(path.dirname(folder), `.${name}.deleted-${randomUUID()}`);
  await rename(folder, doomed);
  await rm(doomed, { recursive: true, force: true });
}

/** A skill's SKILL.md, as written (for `read_skill`). */
export async function readSkill(dir: string, name: string): Promise<{ path: string; text: string }> {
  const file = path.join(await existingFolder(dir, name, { followLink: true }), SKILL_FILE);
  try {
    const st = await stat(file);
    if (st.size > SKILL_FILE_MAX_BYTES)
      throw badRequest(
        `skill '${name}' is ${st.size} bytes, too big to read (at most ${SKILL_FILE_MAX_BYTES / 1024} KiB)`,
        "skill_too_large",
        { name },
      );
    return { path: file, text: await readFile(file, "utf8") };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") throw badRequest(`skill '${name}' has no ${SKILL_FILE}`, "no_such_skill", { name });
    throw e;
  }
}
