/**
 * The SKILL.md format, pure: a YAML frontmatter block (`name`, `description`, anything else kept
 * as written) followed by markdown instructions. Only the YAML cairn needs is understood: plain,
 * quoted and block (`|`, `>`) scalars. Other keys are carried through untouched, so a skill written
 * by hand keeps its `license:` or `metadata:` when the agent updates it.
 */

/** Lowercase letters, digits and single hyphens inside (the Agent Skills rule); also a safe folder name. */
export const SKILL_NAME_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const SKILL_NAME_MAX = 64;
export const SKILL_DESCRIPTION_MAX = 1024;
/** Bytes of the instructions after the frontmatter (a skill is read into the context when used). */
export const SKILL_BODY_MAX_BYTES = 32 * 1024;
/** A SKILL.md bigger than this is not read at all. */
export const SKILL_FILE_MAX_BYTES = 256 * 1024;

/** Why a name is unusable, or undefined when it is fine. */
export const skillNameProblem = (name: string): string | undefined => {
  if (name.length === 0 || name.length > SKILL_NAME_MAX) return `a skill name is 1-${SKILL_NAME_MAX} characters`;
  if (!SKILL_NAME_PATTERN.test(name)) {
    return `a skill name is lowercase letters, digits and single hyphens, not starting or ending with one (e.g. "summarize-pr"); got ${JSON.stringify(name)}`;
  }
  return undefined;
};

/** Descriptions are one line in the prompt: whitespace runs (newlines included) become one space. */
export const normalizeDescription = (d: string): string => d.replace(/\s+/g, " ").trim();

export interface SkillDocument {
  readonly name: string;
  readonly description: string;
  /** The markdown after the frontmatter. */
  readonly body: string;
  /** Frontmatter entries other than name and description, verbatim (each with its indented lines). */
  readonly extra: readonly string[];
}

export type ParsedSkill = { readonly ok: true; readonly doc: SkillDocument } | { readonly ok: false; readonly problem: string };

const FENCE = /^---[ \t]*$/;
const KEY_LINE = /^([A-Za-z_][A-Za-z0-9_-]*)[ \t]*:(?:[ \t]+(.*))?$/;

interface Entry {
  readonly key: string;
  readonly first: string;
  readonly more: string[];
}

/** Parses a SKILL.md. Never throws: a malformed file is a `problem` saying what to fix. */
export function parseSkillFile(text: string): ParsedSkill {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  if (!FENCE.test(lines[0] ?? "")) return bad("it does not start with a '---' frontmatter block (name and description)");
  const end = lines.findIndex((l, i) => i > 0 && (FENCE.test(l) || /^\.\.\.[ \t]*$/.test(l)));
  if (end < 0) return bad("its frontmatter block is not closed by a '---' line");
  const entries: Entry[] = [];
  for (const line of lines.slice(1, end)) {
    // Indented lines, blank lines and a block sequence's "- item" lines belong to the entry above.
    if (/^[ \t]/.test(line) || line.trim() === "" || /^-(?:[ \t]|$)/.test(line)) {
      entries.at(-1)?.more.push(line);
      continue;
    }
    if (line.startsWith("#")) continue;
    const m = KEY_LINE.exec(line);
    if (!m) return bad(`frontmatter line ${JSON.stringify(line.slice(0, 60))} is not 'key: value'`);
    entries.push({ key: m[1], first: (m[2] ?? "").trimEnd(), more: [] });
  }
  const fields = new Map<string, string>();
  for (const e of entries) {
    if (e.key !== "name" && e.key !== "description") continue;
    if (fields.has(e.key)) return bad(`'${e.key}' appears twice in the frontmatter`);
    const v = scalar(e);
    if (v === undefined) return bad(`'${e.key}' is not a string (quote it if it contains ': ' or starts with a symbol)`);
    fields.set(e.key, v);
  }
  const name = (fields.get("name") ?? "").trim();
  const description = normalizeDescription(fields.get("description") ?? "");
  if (!name) return bad("its frontmatter has no 'name'");
  const nameProblem = skillNameProblem(name);
  if (nameProblem) return bad(nameProblem);
  if (!description) return bad("its frontmatter has no 'description' (say when the skill should be used)");
  if (description.length > SKILL_DESCRIPTION_MAX)
    return bad(`its description is ${description.length} characters; at most ${SKILL_DESCRIPTION_MAX}`);
  const extra = entries
    .filter((e) => e.key !== "name" && e.key !== "description")
    .map((e) => [`${e.key}:${e.first ? ` ${e.first}` : ""}`, ...e.more].join("\n").trimEnd());
  const body = lines
    .slice(end + 1)
    .join("\n")
    .replace(/^\n+/, "")
    .trimEnd();
  return { ok: true, doc: { name, description, body, extra } };
}

const bad = (problem: string): ParsedSkill => ({ ok: false, problem });

/** The string value of one frontmatter entry, or undefined when it is not a scalar we read. */
function scalar(e: Entry): string | undefined {
  const first = e.first;
  const block = /^([|>])[+-]?[ \t]*(?:#.*)?$/.exec(first);
  if (block) {
    const body = e.more.filter((_, i, all) => all.slice(i).some((l) => l.trim() !== ""));
    const indent = Math.min(...body.filter((l) => l.trim() !== "").map((l) => l.match(/^[ \t]*/)?.[0].length ?? 0));
    const text = body.map((l) => l.slice(Number.isFinite(indent) ? indent : 0));
    return block[1] === "|" ? text.join("\n") : text.join(" ");
  }
  const joined = [first, ...e.more.map((l) => l.trim())].filter((s) => s !== "").join(" ");
  if (joined.startsWith('"')) {
    try {
      const v: unknown = JSON.parse(joined);
      return typeof v === "string" ? v : undefined;
    } catch {
      return undefined;
    }
  }
  if (joined.startsWith("'")) {
    if (!/^'(?:[^']|'')*'$/.test(joined)) return undefined;
    return joined.slice(1, -1).replaceAll("''", "'");
  }
  // A plain scalar: a ` #` starts a comment; flow collections and aliases are not strings.
  if (/^[[{&*!|>%@`]/.test(joined)) return undefined;
  return joined.replace(/[ \t]+#.*$/, "");
}

const PLAIN_SAFE = /^[A-Za-z][^\n]*$/;
const YAML_WORDS = /^(?:true|false|yes|no|on|off|null|~)$/i;

/** A description as YAML: plain when it reads back unchanged, else double-quoted (JSON escapes are YAML's). */
const yamlString = (s: string): string =>
  PLAIN_SAFE.test(s) && !/: |:$| #|^-|[{}[\]]/.test(s) && !YAML_WORDS.test(s) && s === s.trim() ? s : JSON.stringify(s);

/** The SKILL.md text for a document; `parseSkillFile(renderSkillFile(d))` gives `d` back. */
export const renderSkillFile = (d: SkillDocument): string =>
  ["---", `name: ${d.name}`, `description: ${yamlString(d.description)}`, ...d.extra, "---", "", d.body.trimEnd(), ""].join("\n");
