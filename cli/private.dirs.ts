import { chmodSync, lstatSync, mkdirSync, readdirSync, type Stats } from "node:fs";
import { join, relative, resolve } from "node:path";
import type { Paths } from "./paths.ts";

/**
 * cairn's data and config dirs hold every chat (SQLite), the bus's keys and creds and provider API
 * keys: nothing in them is for other local users. Dirs are 0700, files lose every group/other bit
 * (a database becomes 0600). New installs are made so; an install from before (`~/.cairn` 0755,
 * `projections.db` 0644) is tightened at start, and the gateway says so once — the next start
 * finds nothing to change.
 */

/**
 * Folders whose *contents* are not cairn's own files: only the folder itself is tightened (0700
 * is what keeps other users out). nats-server writes its store and its resolver's account JWTs
 * (public claims, 0640) itself; tightening those on every start would only repeat the report.
 */
const CONTENTS_NOT_OURS = ["workspaces", "skills", join("nats", "store"), join("nats", "resolver"), "models"];

/** A bound on the walk, so a start never crawls a huge tree someone put in the data dir. */
const MAX_ENTRIES = 20_000;

export interface Tightened {
  /** Paths whose mode changed, relative to their root. */
  readonly paths: string[];
  /** Paths that could not be changed (owned by another user), with the reason. */
  readonly failed: string[];
}

/** Creates `dir` (and parents) 0700 and forces 0700 on it: mkdir's mode is masked and ignored for existing dirs. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

/**
 * Makes the data dir (created if missing) and the config dir (if present) private, and tightens
 * what an older install left readable. Symlinks are never followed. Reports once, through `report`,
 * when it changed anything.
 */
export function securePrivateDirs(
  paths: Pick<Paths, "dataDir" | "configDir" | "workspacesDir" | "skillsDir">,
  report: (line: string) => void,
): Tightened {
  mkdirSync(paths.dataDir, { recursive: true, mode: 0o700 });
  const result: Tightened = { paths: [], failed: [] };
  const roots = [paths.dataDir, paths.configDir];
  // Workspaces and skills elsewhere (shared storage) are the user's to arrange; in the data dir
  // they are tightened as folders only.
  const opaque = new Set(CONTENTS_NOT_OURS.map((d) => resolve(paths.dataDir, d)));
  for (const p of [paths.workspacesDir, paths.skillsDir]) opaque.add(resolve(p));
  let budget = MAX_ENTRIES;
  for (const root of roots) {
    const st = lstatOrUndefined(root);
    if (!st?.isDirectory()) continue;
    const stack = [root];
    while (stack.length > 0 && budget-- > 0) {
      const path = stack.pop() as string;
      const s = lstatOrUndefined(path);
      if (!s || s.isSymbolicLink()) continue;
      tighten(path, s, root, result);
      if (s.isDirectory() && !opaque.has(resolve(path))) {
        for (const name of readdirOrEmpty(path)) stack.push(join(path, name));
      }
    }
  }
  if (result.paths.length > 0) {
    const shown = result.paths.slice(0, 5).join(", ");
    const more = result.paths.length > 5 ? ` and ${result.paths.length - 5} more` : "";
    report(`tightened permissions that let other local users read cairn's data: ${shown}${more} (now 0700 dirs, 0600 files)`);
  }
  if (result.failed.length > 0) report(`could not tighten permissions of ${result.failed.join(", ")}`);
  return result;
}

function tighten(path: string, s: Stats, root: string, result: Tightened): void {
  const mode = s.mode & 0o7777;
  const wanted = s.isDirectory() ? 0o700 : s.isFile() ? mode & 0o700 : mode;
  if (mode === wanted || !(s.isDirectory() || s.isFile())) return;
  const shown = `${relative(root, path) || "."} in ${root}`;
  try {
    chmodSync(path, wanted);
    result.paths.push(shown);
  } catch (e) {
    result.failed.push(`${shown} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

const lstatOrUndefined = (p: string): Stats | undefined => {
  try {
    return lstatSync(p);
  } catch {
    return undefined;
  }
};

const readdirOrEmpty = (p: string): string[] => {
  try {
    return readdirSync(p);
  } catch {
    return [];
  }
};
