import * as path from "node:path";

/**
 * Workspace paths whose content a later command executes, so a file tool writes them only with a
 * person's approval (the same approval card as a command). The workspace is also the sandbox's
 * HOME, so its dotfiles configure every program a command runs:
 * - any path component `.git` (a repository's config: core.fsmonitor, hooks, pager, drivers;
 *   nested repositories and submodules too), `.gitmodules`, `.gitconfig` at any depth;
 * - `.config/git/` at the root (git's XDG config under HOME);
 * - `.envrc` at any depth (direnv runs it on entering the directory);
 * - `.cairn/` at the root (cairn's own files in the workspace: outputs, hooks);
 * - shell start-up files at the root (HOME): `.profile`, `.bashrc`, `.bash_profile`,
 *   `.bash_login`, `.bash_logout`, `.zshrc`, `.zshenv`, `.zprofile`, `.zlogin`.
 * `.gitattributes` is not on the list: it only names drivers, and what a driver runs is set in the
 * git config, which is. Project files that build tools run (Makefile, package.json scripts) are
 * not either: running them is what approving `make` or `npm test` means, and the sandbox bounds them.
 *
 * Names compare case-insensitively, after Unicode normalisation with default-ignorable code points
 * removed: case-insensitive file systems (and HFS+, which ignores some code points) open `.GIT`
 * or `.g\u200Cit` as `.git`.
 */
const ANY_DEPTH = new Set([".git", ".gitmodules", ".gitconfig", ".envrc"]);
const AT_ROOT = new Set([
  ".cairn",
  ".profile",
  ".bashrc",
  ".bash_profile",
  ".bash_login",
  ".bash_logout",
  ".zshrc",
  ".zshenv",
  ".zprofile",
  ".zlogin",
]);

const IGNORABLE = /\p{Default_Ignorable_Code_Point}/gu;

// Trailing dots and spaces too: Windows file systems drop them (`.git.` opens `.git`).
const canonical = (name: string): string =>
  name
    .normalize("NFC")
    .replace(IGNORABLE, "")
    .replace(/[. ]+$/, "")
    .toLowerCase();

/**
 * Why writing `rel` (relative to the workspace root, "/" or the platform separator) needs an
 * approval, or undefined. Judged lexically after `..` and `.` are folded, so `src/../.git/config`
 * is `.git/config`; callers pass the resolved real path too, so a symlink to `.git` is seen.
 */
export const protectedWriteReason = (rel: string): string | undefined => {
  const parts = path.posix
    .normalize(rel.split(path.sep).join("/"))
    .split("/")
    .filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) return "the path leaves the workspace";
  const names = parts.map(canonical);
  for (const p of names) {
    if (ANY_DEPTH.has(p)) return `${p} configures programs that later commands run (git, direnv)`;
  }
  const [first, second] = names;
  if (first === undefined) return undefined;
  if (first === ".cairn") return ".cairn/ holds cairn's own files in the workspace (outputs, hooks)";
  if (AT_ROOT.has(first)) return `${first} is a shell start-up file of the sandbox's HOME (the workspace)`;
  if (first === ".config" && second === "git") return ".config/git/ is git's config in the sandbox's HOME (the workspace)";
  return undefined;
};
