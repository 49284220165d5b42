import { opendir } from "node:fs/promises";
import * as path from "node:path";
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

export interface WalkedFile {
  readonly rel: string;
  readonly abs: string;
  readonly symlink: boolean;
}

// Heavy, rarely wanted directories are skipped unless the pattern names them.
const SKIPPED_DIRS = [".git", "node_modules"];
export const MAX_WALK_ENTRIES = 200_000;

/**
 * Regular files below `dir` as "/"-separated paths relative to it, in sorted order. Symlinks are
 * not followed (a link to a directory outside the workspace must not widen the walk); a symlinked
 * file is listed, and reading it goes through the workspace check like any other path.
 */
export async function* walkFiles(dir: string, signal: AbortSignal, mentions = ""): AsyncGenerator<WalkedFile> {
  const skip = new Set(SKIPPED_DIRS.filter((d) => !mentions.includes(d)));
  let seen = 0;
  async function* walk(abs: string, rel: string): AsyncGenerator<WalkedFile> {
    throwIfAborted(signal, "the file walk");
    const entries: { name: string; dir: boolean; file: boolean; symlink: boolean }[] = [];
    const handle = await opendir(abs).catch(() => undefined); // unreadable directories are skipped
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
        if (!skip.has(e.name)) yield* walk(path.join(abs, e.name), childRel);
      } else if (e.file || e.symlink) yield { rel: childRel, abs: path.join(abs, e.name), symlink: e.symlink };
    }
  }
  yield* walk(dir, "");
}
