import type { BigIntStats } from "node:fs";
import { readFile, readdir, stat } from "node:fs/promises";
import * as path from "node:path";
import { SKILL_FILE_MAX_BYTES, parseSkillFile, type SkillDocument } from "./skill.format.ts";

export const SKILL_FILE = "SKILL.md";

/** A skill as loaded: its document and where it lives. */
export interface Skill extends SkillDocument {
  /** Absolute path of its SKILL.md. */
  readonly path: string;
}

/** A SKILL.md that was skipped, and why. */
export interface SkillProblem {
  readonly path: string;
  readonly problem: string;
}

export interface SkillScan {
  readonly skills: readonly Skill[];
  readonly problems: readonly SkillProblem[];
}

type Outcome = { readonly skill: Skill } | { readonly problem: SkillProblem };

interface FileEntry {
  readonly stamp: string;
  readonly racy: boolean;
  readonly outcome: Outcome;
}

interface DirEntry {
  readonly dirStamp: string;
  readonly racy: boolean;
  readonly folders: readonly string[];
  readonly files: Map<string, FileEntry>;
}

// Per directory. A new or removed skill folder changes the directory's mtime; an edited SKILL.md
// changes only its own, so every file is stat'ed on each load and re-read only when it changed.
const cache = new Map<string, DirEntry>();

type Stats = { mtimeNs: bigint; ctimeNs: bigint; mtimeMs: bigint; size: bigint; ino: bigint };
const stampOf = (s: Stats) => `${s.mtimeNs}:${s.ctimeNs}:${s.size}:${s.ino}`;

/**
 * Linux stamps files from a coarse clock (a few ms), so a second same-size write right after we
 * read a file can leave every stamp unchanged. As git does with its index, a stamp that recent is
 * not trusted: the file is read again until it is older than this.
 */
const RACY_MS = 2000;
const isRacy = (s: Stats) => Date.now() - Number(s.mtimeMs) < RACY_MS;
const errno = (e: unknown) => (e as NodeJS.ErrnoException).code;

/**
 * Every skill under `dir` (`<dir>/<name>/SKILL.md`), sorted by name, and the SKILL.md files that
 * were skipped with the reason. A missing directory is no skills. Never throws for one bad skill.
 */
export async function scanSkills(dir: string): Promise<SkillScan & { readonly fresh: readonly SkillProblem[] }> {
  const root = path.resolve(dir);
  let st: BigIntStats;
  try {
    st = await stat(root, { bigint: true });
  } catch (e) {
    if (errno(e) !== "ENOENT") throw e;
    cache.delete(root);
    return { skills: [], problems: [], fresh: [] };
  }
  if (!st.isDirectory()) {
    const problem = { path: root, problem: "the skills directory is not a directory" };
    return { skills: [], problems: [problem], fresh: [problem] };
  }
  let entry = cache.get(root);
  const dirStamp = stampOf(st);
  if (!entry || entry.dirStamp !== dirStamp || entry.racy) {
    const racy = isRacy(st);
    const folders = await listFolders(root);
    entry = { dirStamp, racy, folders, files: entry?.files ?? new Map() };
    cache.set(root, entry);
  }
  const skills: Skill[] = [];
  const problems: SkillProblem[] = [];
  const fresh: SkillProblem[] = [];
  const seen = new Set<string>();
  for (const folder of entry.folders) {
    const file = path.join(root, folder, SKILL_FILE);
    const outcome = await loadOne(entry.files, file, folder, fresh);
    if (outcome === undefined) continue;
    seen.add(file);
    if ("skill" in outcome) skills.push(outcome.skill);
    else problems.push(outcome.problem);
  }
  for (const f of entry.files.keys()) if (!seen.has(f)) entry.files.delete(f);
  return { skills, problems, fresh };
}

/** Skill folders: directories (or links to them), hidden ones excluded (deletes and temp files). */
async function listFolders(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const d of await readdir(root, { withFileTypes: true })) {
    if (d.name.startsWith(".")) continue;
    if (d.isDirectory()) out.push(d.name);
    else if (d.isSymbolicLink()) {
      const target = await stat(path.join(root, d.name)).catch(() => undefined);
      if (target?.isDirectory()) out.push(d.name);
    }
  }
  return out.sort();
}

/** One folder's outcome (cached by the file's stamp); undefined when it holds no SKILL.md. */
async function loadOne(files: Map<string, FileEntry>, file: string, folder: string, fresh: SkillProblem[]): Promise<Outcome | undefined> {
  let st: BigIntStats;
  try {
    st = await stat(file, { bigint: true });
  } catch (e) {
    // A folder without SKILL.md is not a skill (or one being created right now): not a problem.
    if (errno(e) === "ENOENT" || errno(e) === "ENOTDIR") return undefined;
    return note(fresh, { problem: { path: file, problem: `cannot be read: ${(e as Error).message}` } });
  }
  const stamp = stampOf(st);
  const cached = files.get(file);
  if (cached?.stamp === stamp && !cached.racy) return cached.outcome;
  const racy = isRacy(st);
  const outcome = await readOne(file, folder, st.size, st.isFile());
  files.set(file, { stamp, racy, outcome });
  if (!("problem" in outcome)) return outcome;
  // Reported once per change: reading a racy file again to the same problem is not news.
  const known = cached && "problem" in cached.outcome && cached.outcome.problem.problem === outcome.problem.problem;
  return known ? outcome : note(fresh, outcome);
}

async function readOne(file: string, folder: string, size: bigint, isFile: boolean): Promise<Outcome> {
  const problem = (p: string): Outcome => ({ problem: { path: file, problem: p } });
  if (!isFile) return problem("is not a regular file");
  if (size > BigInt(SKILL_FILE_MAX_BYTES)) return problem(`is ${size} bytes; a SKILL.md is at most ${SKILL_FILE_MAX_BYTES / 1024} KiB`);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    return problem(`cannot be read: ${(e as Error).message}`);
  }
  const parsed = parseSkillFile(text);
  if (!parsed.ok) return problem(parsed.problem);
  if (parsed.doc.name !== folder) return problem(`its name '${parsed.doc.name}' differs from its folder '${folder}'; they must match`);
  return { skill: { ...parsed.doc, path: file } };
}

const note = (fresh: SkillProblem[], o: { problem: SkillProblem }): Outcome => {
  fresh.push(o.problem);
  return o;
};

/**
 * The skills under `dir`, for the start of a run: cheap when nothing changed (one stat per skill),
 * and current without a restart when something did. A malformed SKILL.md is skipped and reported
 * (once per change of the file, not on every call).
 */
export async function loadSkills(dir: string, opts: { report?: (line: string) => void } = {}): Promise<Skill[]> {
  const scan = await scanSkills(dir);
  for (const p of scan.fresh) opts.report?.(`skill skipped: ${p.path} ${p.problem}`);
  return [...scan.skills];
}
