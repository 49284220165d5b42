import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { chmod, mkdir, open, rename, stat, unlink, type FileHandle } from "node:fs/promises";
import * as path from "node:path";
import { CairnError } from "../../schemas/index.ts";

/** Output caps shared by the file tools: what one result may cost the model's context. */
export const MAX_OUTPUT_BYTES = 100 * 1024;
export const MAX_LINE_CHARS = 2000;
/** Files bigger than this are not loaded whole (edit_file) or searched (grep). */
export const MAX_EDIT_BYTES = 10 * 1024 * 1024;

const errno = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | undefined)?.code;

/**
 * Opens an existing file for reading without following a symlink at the leaf (the workspace check
 * resolved it already; a link appearing afterwards is a race we refuse, not follow).
 */
export async function openForRead(real: string, display: string): Promise<FileHandle> {
  try {
    const fh = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW);
    const st = await fh.stat();
    if (!st.isFile()) {
      await fh.close();
      throw notAFile(display, st.isDirectory());
    }
    return fh;
  } catch (e) {
    if (errno(e) === "ENOENT") {
      throw new CairnError("bad_request", `file not found: ${display}`, { reason: "not_found", path: display });
    }
    if (errno(e) === "ELOOP")
      throw new CairnError("bad_request", `refusing to follow a symlink: ${display}`, { reason: "symlink", path: display });
    if (errno(e) === "EISDIR") throw notAFile(display, true);
    throw e;
  }
}

const notAFile = (display: string, dir: boolean): CairnError =>
  new CairnError("bad_request", dir ? `${display} is a directory, not a file` : `${display} is not a regular file`, {
    reason: dir ? "is_directory" : "not_a_file",
    path: display,
  });

/** A NUL byte in the first 8 KB: treat as binary (the heuristic git and grep use). */
export async function looksBinary(fh: FileHandle): Promise<boolean> {
  const buf = Buffer.alloc(8192);
  const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
  return buf.subarray(0, bytesRead).includes(0);
}

/**
 * Replaces `real` with `content` atomically: a temporary sibling is written, flushed and renamed
 * over it, so a crash leaves either the old or the new file, never half of one. rename replaces a
 * symlink at the destination instead of writing through it. An existing file keeps its mode.
 */
export async function atomicWrite(real: string, display: string, content: string): Promise<{ created: boolean }> {
  const dir = path.dirname(real);
  const existing = await stat(real).catch((e) => {
    if (errno(e) === "ENOENT") return undefined;
    throw e;
  });
  if (existing?.isDirectory()) throw notAFile(display, true);
  await mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(real)}.${randomBytes(6).toString("hex")}.tmp`);
  const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  try {
    await fh.writeFile(content, "utf8");
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    if (existing) await chmod(tmp, existing.mode & 0o7777);
    await rename(tmp, real);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
  return { created: existing === undefined };
}

/** Cuts an overlong line so one minified file cannot fill the whole output. */
export const clipLine = (line: string): { text: string; clipped: boolean } =>
  line.length > MAX_LINE_CHARS
    ? { text: `${line.slice(0, MAX_LINE_CHARS)}… [line cut at ${MAX_LINE_CHARS} chars]`, clipped: true }
    : { text: line, clipped: false };

export const throwIfAborted = (signal: AbortSignal, what: string): void => {
  if (signal.aborted) throw new CairnError("run_interrupted", `${what} was cancelled`);
};
