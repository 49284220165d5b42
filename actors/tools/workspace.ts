import { lstat, realpath } from "node:fs/promises";
import * as path from "node:path";
import { CairnError } from "../../schemas/index.ts";

/** A path the model gave, resolved inside the workspace. */
export interface WorkspacePath {
  /** Real absolute path (symlinks resolved) to operate on. */
  readonly real: string;
  /** Real path of the workspace root. */
  readonly root: string;
  /** `real` relative to the root, "/"-separated, "." for the root: what messages show. */
  readonly display: string;
}

const isInside = (root: string, p: string): boolean => {
  const rel = path.relative(root, p);
  return rel === "" || (rel !== ".." && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
};

const escapeError = (p: string, why: string): CairnError =>
  new CairnError("bad_request", `path ${JSON.stringify(p)} is outside the workspace (${why})`, {
    reason: "path_escape",
    path: p,
  });

/**
 * Confines a model-supplied path to `workspace`. Relative paths resolve against the workspace;
 * absolute ones must already be inside it; `..` may not climb out. Then the real path is checked
 * too: the nearest existing ancestor is `realpath`ed, so a symlink (file or directory) inside the
 * workspace that points outside is refused, also for files that do not exist yet. A dangling
 * symlink is refused because writing through it would create its (unchecked) target.
 *
 * What remains is a race: something else swapping a checked directory for a symlink between this
 * check and the use. Callers narrow it by operating on the returned real path, opening leaves with
 * O_NOFOLLOW and replacing files by rename; the exec sandbox, not this check, is the hard boundary.
 */
export async function resolveInWorkspace(workspace: string, p: string): Promise<WorkspacePath> {
  if (p.includes("\0")) throw new CairnError("bad_request", "path contains a NUL byte", { reason: "nul_byte" });
  const lexicalRoot = path.resolve(workspace);
  const root = await realpath(lexicalRoot);
  const abs = path.resolve(lexicalRoot, p);
  // An absolute path may name the workspace either as configured or by its real path.
  let candidate: string;
  if (isInside(lexicalRoot, abs)) candidate = path.join(root, path.relative(lexicalRoot, abs));
  else if (isInside(root, abs)) candidate = abs;
  else throw escapeError(p, path.isAbsolute(p) ? "absolute path" : "'..' leaves it");

  const real = await realWithMissingTail(candidate, p);
  if (!isInside(root, real)) throw escapeError(p, "a symlink leads out of it");
  return { real, root, display: displayPath(root, real) };
}

/** realpath of the nearest existing ancestor, with the not-yet-existing components appended. */
async function realWithMissingTail(abs: string, original: string): Promise<string> {
  const tail: string[] = [];
  let cur = abs;
  for (;;) {
    try {
      return path.join(await realpath(cur), ...tail.reverse());
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "ENOTDIR") throw e;
    }
    // realpath failed: either `cur` is missing, or it is a symlink whose target is.
    const st = await lstat(cur).catch(() => undefined);
    if (st?.isSymbolicLink()) {
      throw new CairnError("bad_request", `path ${JSON.stringify(original)} goes through a dangling symlink`, {
        reason: "dangling_symlink",
        path: original,
      });
    }
    const parent = path.dirname(cur);
    if (parent === cur) throw new CairnError("internal", `cannot resolve ${JSON.stringify(original)}`);
    tail.push(path.basename(cur));
    cur = parent;
  }
}

/** A path under the workspace root for messages ("src/a.ts"). */
export const displayPath = (root: string, real: string): string => {
  const rel = path.relative(root, real);
  return rel === "" ? "." : rel.split(path.sep).join("/");
};
