import { lstat, type FileHandle } from "node:fs/promises";
import {
  DEFAULT_DISK_QUOTA_BYTES,
  diskQuotaError,
  openFileRelative,
  openParent,
  openRoot,
  replaceFileAt,
  workspaceUsage,
} from "../sandbox/index.ts";
import { CairnError } from "../../schemas/index.ts";
import type { WorkspacePath } from "./workspace.ts";

/** Output caps shared by the file tools: what one result may cost the model's context. */
export const MAX_OUTPUT_BYTES = 100 * 1024;
export const MAX_LINE_CHARS = 2000;
/** Files bigger than this are not loaded whole (edit_file) or searched (grep). */
export const MAX_EDIT_BYTES = 10 * 1024 * 1024;

/** `display` as the component walk wants it: "" for the workspace root. */
const relOf = (target: WorkspacePath): string => (target.display === "." ? "" : target.display);

/**
 * Opens an existing regular file for reading. `resolveInWorkspace` checked the path (following
 * symlinks that stay inside); the open itself walks that checked path again from a handle on the
 * workspace root with no-follow semantics (see actors/sandbox/workspace.open.ts), so a symlink a
 * command swaps in after the check is refused, never followed.
 */
export async function openForRead(target: WorkspacePath): Promise<FileHandle> {
  const root = await openRoot(target.root);
  try {
    return await openFileRelative(root, relOf(target));
  } finally {
    await root.close();
  }
}

/** A NUL byte in the first 8 KB: treat as binary (the heuristic git and grep use). */
export async function looksBinary(fh: FileHandle): Promise<boolean> {
  const buf = Buffer.alloc(8192);
  const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
  return buf.subarray(0, bytesRead).includes(0);
}

/**
 * Replaces the file at `target` with `content` atomically (temporary sibling, fsync, rename within
 * the held parent directory): a crash leaves the old or the new file, a symlink at the destination
 * is replaced instead of written through, and missing parent directories are created without
 * following a symlink. An existing file keeps its mode.
 */
export async function atomicWrite(target: WorkspacePath, content: string): Promise<{ created: boolean }> {
  const root = await openRoot(target.root);
  try {
    const parent = await openParent(root, relOf(target), true);
    try {
      return await replaceFileAt(parent.dir, parent.name, target.display, content);
    } finally {
      await parent.close();
    }
  } finally {
    await root.close();
  }
}

/**
 * Refuses a write of `bytes` to `target` that would take the workspace past its disk quota (the
 * same total the exec sandbox enforces: allocated blocks, the file's current blocks replaced).
 * A number only, so the plain lstat of the old file needs no no-follow walk.
 */
export async function checkDiskQuota(target: WorkspacePath, bytes: number, quota = DEFAULT_DISK_QUOTA_BYTES): Promise<void> {
  const old = await lstat(target.real).then(
    (st) => (st.isFile() ? st.blocks * 512 : 0),
    () => 0,
  );
  const usage = await workspaceUsage(target.root, quota + old);
  const after = usage - old + Math.ceil(bytes / 4096) * 4096;
  if (after > quota) throw diskQuotaError(after, quota, `writing ${target.display}`);
}

/** Cuts an overlong line so one minified file cannot fill the whole output. */
export const clipLine = (line: string): { text: string; clipped: boolean } =>
  line.length > MAX_LINE_CHARS
    ? { text: `${line.slice(0, MAX_LINE_CHARS)}… [line cut at ${MAX_LINE_CHARS} chars]`, clipped: true }
    : { text: line, clipped: false };

export const throwIfAborted = (signal: AbortSignal, what: string): void => {
  if (signal.aborted) throw new CairnError("run_interrupted", `${what} was cancelled`);
};
