import { opendir, type FileHandle } from "node:fs/promises";
import { at, openDirAt } from "../sandbox/index.ts";
import { CairnError } from "../../schemas/index.ts";
import { throwIfAborted } from "./file.io.ts";

/**
 * A glob as a RegExp over "/"-separated relative paths (Node 20 has no fs.glob). Supports `*`,
 * `?`, `**` (any number of directories), `[abc]`/`[!abc]` and `{a,b}`; `*` and `?` never match
 * "/" or a leading ".", as in shells.
 */
export function globToRegExp(glob: string): RegExp {
  let re = "";
  let braces = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    const atSegmentStart = i === 0 || glob[i - 1] === "/";
    if (c === "*") {
      if (glob[i + 1] === "*") {
        const slashAfter = glob[i + 2] === "/";
        if (atSegmentStart && (slashAfter || i + 2 === glob.length)) {
          // `**/` is zero or more directories, trailing `**` is everything below.
          re += slashAfter ? "(?:[^/.][^/]*/)*" : "(?:[^/.][^/]*(?:/[^/.][^/]*)*)?";
          i += slashAfter ? 2 : 1;
          continue;
        }
        i++; // `a**b` behaves like `a*b`
      }
      re += atSegmentStart ? "(?:[^/.][^/]*)?" : "[^/]*";
    } else if (c === "?") re += atSegmentStart ? "[^/.]" : "[^/]";
    else if (c === "[") {
      const end = glob.indexOf("]", i + 2);
      if (end === -1) re += "\\[";
      else {
        let body = glob.slice(i + 1, end).replace(/\\/g, "\\\\");
        if (body.startsWith("!")) body = `^${body.slice(1)}`;
        re += `(?!/)[${body}]`;
        i = end;
      }
    } else if (c === "{") {
      braces++;
      re += "(?:";
    } else if (c === "}" && braces > 0) {
      braces--;
      re += ")";
    } else if (c === "," && braces > 0) re += "|";
    else re += c.replace(/[.+^$()|\\\]{}]/g, "\\$&");
  }
  if (braces > 0) throw new CairnError("bad_request", `glob ${JSON.stringify(glob)} has an unclosed "{"`);
  return new RegExp(`^${re}$`);
}

/** Refuses globs that try to leave the directory they are matched in. */
export function checkGlob(glob: string): void {
  if (glob.includes("\0")) throw new CairnError("bad_request", "glob contains a NUL byte");
  if (glob.startsWith("/") || glob.split("/").includes("..")) {
    throw new CairnError("bad_request", `glob ${JSON.stringify(glob)} must be relative and may not contain '..'`, {
      reason: "path_escape",
    });
  }
}

/** A file met by `walkFiles`; `dir` (its directory's handle) stays open until the walk moves on. */
export interface WalkedFile {
  /** "/"-separated, relative to the walk's base directory. */
  readonly rel: string;
  readonly dir: FileHandle;
  readonly name: string;
  readonly symlink: boolean;
}

// Heavy, rarely wanted directories are skipped unless the pattern names them.
const SKIPPED_DIRS = [".git", "node_modules"];
export const MAX_WALK_ENTRIES = 200_000;

/**
 * Regular files below the directory `base` holds, as "/"-separated paths relative to it, in sorted
 * order. The walk goes by directory handles, each subdirectory opened relative to its parent with
 * no-follow semantics (actors/sandbox/workspace.open.ts): a directory a command swaps for a
 * symlink to / mid-walk is skipped, never entered. Symlinks are not followed; a symlinked file is
 * listed, and reading it goes through the workspace check like any other path.
 */
export async function* walkFiles(base: FileHandle, signal: AbortSignal, mentions = ""): AsyncGenerator<WalkedFile> {
  const skip = new Set(SKIPPED_DIRS.filter((d) => !mentions.includes(d)));
  let seen = 0;
  async function* walk(dir: FileHandle, rel: string): AsyncGenerator<WalkedFile> {
    throwIfAborted(signal, "the file walk");
    const entries: { name: string; dir: boolean; file: boolean; symlink: boolean }[] = [];
    const handle = await opendir(at(dir, ".")).catch(() => undefined); // unreadable directories are skipped
    if (handle === undefined) return;
    for await (const d of handle) {
      if (++seen > MAX_WALK_ENTRIES) {
        throw new CairnError("bad_request", `more than ${MAX_WALK_ENTRIES} entries to scan; narrow the path`, { reason: "too_many_files" });
      }
      entries.push({ name: d.name, dir: d.isDirectory(), file: d.isFile(), symlink: d.isSymbolicLink() });
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const childRel = rel === "" ? e.name : `${rel}/${e.name}`;
      if (e.dir) {
        if (skip.has(e.name)) continue;
        const child = await openDirAt(dir, e.name, childRel).catch(() => undefined); // swapped or gone since the listing
        if (child === undefined) continue;
        try {
          yield* walk(child, childRel);
        } finally {
          await child.close();
        }
      } else if (e.file || e.symlink) yield { rel: childRel, dir, name: e.name, symlink: e.symlink };
    }
  }
  yield* walk(base, "");
}
