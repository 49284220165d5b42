import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { lstat, mkdir, open, rename, unlink, type FileHandle } from "node:fs/promises";
import * as path from "node:path";
import { CairnError } from "../../schemas/index.ts";

/**
 * Opening workspace paths as the gateway, against a sandboxed command that plants symlinks.
 *
 * The workspace is writable by commands, so any path the gateway checks and then opens by name can
 * be swapped for a symlink to /etc in between (issue 10 measured 19 host reads and 16 host writes
 * per 3,000 tries). Node has no openat(), so the Linux magic link `/proc/self/fd/<dirFd>/<name>`
 * stands in for it: the kernel resolves `/proc/self/fd/<dirFd>` to the very directory the fd holds
 * (not to a path that could have changed) and then looks up one `name` in it, where O_NOFOLLOW
 * refuses a symlink. Walking component by component from a handle on the workspace root, each
 * directory opened with O_DIRECTORY|O_NOFOLLOW, no step ever leaves the tree: a command can rename
 * things inside its workspace but cannot move a held directory out of it (another mount is EXDEV,
 * and it cannot see the workspace's parent), and it cannot mount into the gateway's namespace.
 * rename() and unlink() go through the same magic links, so a temporary file is renamed within
 * the directory whose handle we hold, and a symlink at the destination is replaced, never
 * written through.
 *
 * Paths here are already confined lexically (relative, "/"-separated, no `.`/`..`, no empty
 * components: see `splitRelative`); symlinks are never followed. A caller that wants to honour a
 * symlink staying inside the workspace resolves it first (tools' `resolveInWorkspace`) and passes
 * the resolved path, whose every component is then re-checked here.
 */

/** The magic link naming `name` inside the directory `dir` holds. */
export const at = (dir: FileHandle, name: string): string => `/proc/self/fd/${dir.fd}/${name}`;

const errno = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | undefined)?.code;

const DIR_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

/** A symlink (or something else that is not a directory) where the walk expected a directory. */
const symlinkMet = (rel: string): CairnError =>
  new CairnError("bad_request", `path ${JSON.stringify(rel)} is outside the workspace (a symlink or non-directory is in the way)`, {
    reason: "path_escape",
    path: rel,
  });

/**
 * A relative path as its components; refuses what a component walk must never see: absolute
 * paths, `..`, `.`, empty components and NUL bytes (callers normalise model input before).
 */
export const splitRelative = (rel: string): string[] => {
  if (rel === "" || rel === ".") return [];
  if (rel.includes("\0")) throw new CairnError("bad_request", "path contains a NUL byte", { reason: "nul_byte" });
  const parts = rel.split("/");
  if (path.isAbsolute(rel) || parts.some((p) => p === "" || p === "." || p === "..")) {
    throw new CairnError("bad_request", `path ${JSON.stringify(rel)} is not a plain relative path`, { reason: "path_escape", path: rel });
  }
  return parts;
};

/** A handle on the workspace root itself: the one path opened by name (the gateway made it; commands cannot replace a mount point). */
export const openRoot = async (root: string): Promise<FileHandle> => {
  try {
    return await open(root, DIR_FLAGS);
  } catch (e) {
    if (errno(e) === "ENOENT") throw new CairnError("not_found", `workspace ${root} does not exist`);
    if (errno(e) === "ELOOP" || errno(e) === "ENOTDIR") throw new CairnError("bad_request", `workspace ${root} is not a plain directory`);
    throw e;
  }
};

/** Opens the directory `name` inside `dir` without following a symlink; `create` makes it first when missing. */
export const openDirAt = async (dir: FileHandle, name: string, rel: string, create = false): Promise<FileHandle> => {
  for (let attempt = 0; ; attempt++) {
    try {
      return await open(at(dir, name), DIR_FLAGS);
    } catch (e) {
      const code = errno(e);
      if (code === "ELOOP" || code === "ENOTDIR") throw symlinkMet(rel);
      if (code !== "ENOENT") throw e;
      if (!create || attempt > 2) {
        throw new CairnError("bad_request", `directory not found: ${rel}`, { reason: "not_found", path: rel });
      }
    }
    // mkdir never follows a symlink in its last component (EEXIST instead); a race that plants
    // one in between is caught by the O_NOFOLLOW open of the next attempt.
    await mkdir(at(dir, name), 0o755).catch((e) => {
      if (errno(e) !== "EEXIST") throw e;
    });
  }
};

/**
 * The directory `rel` below the root handle, each component opened relative to the previous one
 * with no-follow semantics. The caller owns (closes) the returned handle; `root` stays open.
 */
export const openDirPath = async (root: FileHandle, rel: string, create = false): Promise<FileHandle> => {
  const parts = splitRelative(rel);
  let cur = root;
  try {
    for (let i = 0; i < parts.length; i++) {
      const next = await openDirAt(cur, parts[i], parts.slice(0, i + 1).join("/"), create);
      if (cur !== root) await cur.close();
      cur = next;
    }
  } catch (e) {
    if (cur !== root) await cur.close().catch(() => {});
    throw e;
  }
  // A fresh handle even for "" so every caller may close what it got.
  return cur === root ? open(at(root, "."), DIR_FLAGS) : cur;
};

/** A path split into the handle of its directory and its last component. */
export interface ParentAndName {
  readonly dir: FileHandle;
  readonly name: string;
  close(): Promise<void>;
}

/** Opens the parent of `rel` (which must name something below the root) and keeps the leaf name. */
export const openParent = async (root: FileHandle, rel: string, create = false): Promise<ParentAndName> => {
  const parts = splitRelative(rel);
  if (parts.length === 0) throw new CairnError("bad_request", "path names the workspace itself, not a file");
  const dir = await openDirPath(root, parts.slice(0, -1).join("/"), create);
  return { dir, name: parts[parts.length - 1], close: () => dir.close() };
};

/**
 * Opens the regular file `name` in `dir` for reading: O_NOFOLLOW (a symlink is refused, not
 * followed) and O_NONBLOCK (a FIFO planted in its place must not hang the gateway; it has no effect
 * on a regular file). Anything but a regular file is refused after the open, on the handle itself.
 */
export const openFileAt = async (dir: FileHandle, name: string, rel: string): Promise<FileHandle> => {
  let fh: FileHandle;
  try {
    fh = await open(at(dir, name), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    const code = errno(e);
    if (code === "ENOENT") throw new CairnError("bad_request", `file not found: ${rel}`, { reason: "not_found", path: rel });
    if (code === "ELOOP") throw new CairnError("bad_request", `refusing to follow a symlink: ${rel}`, { reason: "symlink", path: rel });
    if (code === "EISDIR") throw notAFile(rel, true);
    throw e;
  }
  const st = await fh.stat();
  if (!st.isFile()) {
    await fh.close();
    throw notAFile(rel, st.isDirectory());
  }
  return fh;
};

export const notAFile = (rel: string, dir: boolean): CairnError =>
  new CairnError("bad_request", dir ? `${rel} is not a file (it is a directory)` : `${rel} is not a regular file`, {
    reason: dir ? "is_directory" : "not_a_file",
    path: rel,
  });

/** Opens the regular file at `rel` below the root for reading; see `openFileAt`. */
export const openFileRelative = async (root: FileHandle, rel: string): Promise<FileHandle> => {
  const p = await openParent(root, rel);
  try {
    return await openFileAt(p.dir, p.name, rel);
  } finally {
    await p.close();
  }
};

/** What is at `name` in `dir`, without following a symlink; undefined when nothing is. */
export const lstatAt = (dir: FileHandle, name: string) =>
  lstat(at(dir, name)).catch((e) => {
    if (errno(e) === "ENOENT") return undefined;
    throw e;
  });

/**
 * Creates `name` in `dir` exclusively (O_CREAT|O_EXCL|O_NOFOLLOW: never an existing file, never
 * through a symlink) for writing.
 */
export const createFileAt = (dir: FileHandle, name: string, mode = 0o644): Promise<FileHandle> =>
  open(at(dir, name), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);

/**
 * Replaces `name` in `dir` with `content` atomically: a temporary sibling is created exclusively,
 * written, flushed and renamed over it within the held directory, so a crash leaves either the old
 * or the new file, and whatever sits at `name` (a symlink a command planted a moment ago included)
 * is replaced rather than written through. An existing regular file keeps its mode.
 */
export const replaceFileAt = async (
  dir: FileHandle,
  name: string,
  rel: string,
  content: string | Uint8Array,
): Promise<{ created: boolean }> => {
  const existing = await lstatAt(dir, name);
  if (existing?.isDirectory()) throw notAFile(rel, true);
  const tmp = `.${name.slice(0, 100)}.${randomBytes(6).toString("hex")}.tmp`;
  const fh = await createFileAt(dir, tmp);
  try {
    try {
      await fh.writeFile(content);
      if (existing?.isFile()) await fh.chmod(existing.mode & 0o7777);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(at(dir, tmp), at(dir, name));
  } catch (e) {
    await unlink(at(dir, tmp)).catch(() => {});
    throw e;
  }
  return { created: existing === undefined };
};

/** Removes `name` from `dir` (a symlink is removed itself, never its target); missing is fine. */
export const unlinkAt = (dir: FileHandle, name: string): Promise<void> =>
  unlink(at(dir, name)).catch((e) => {
    if (errno(e) !== "ENOENT") throw e;
  });
