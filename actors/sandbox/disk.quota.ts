import type { FileHandle } from "node:fs/promises";
import { opendir } from "node:fs/promises";
import { CairnError } from "../../schemas/index.ts";
import { at, lstatAt, openDirAt, openRoot } from "./workspace.open.ts";

/**
 * The workspace disk quota (`[tools.exec.sandbox.resource_limits] disk`, default 5 GiB).
 *
 * Mechanism, and why: no per-directory quota exists on this kind of host without setup cairn does
 * not own (ext4/xfs project quotas need the `prjquota` mount option; a loop-mounted image per
 * workspace needs free loop devices, a mount per session and its cleanup, and does not carry to a
 * shared CAIRN_WORKSPACES_DIR). So, two parts: RLIMIT_FSIZE (`ulimit -f`, set before the command
 * starts, inherited by every process of it, enforced by the kernel) caps any one file at what is
 * left of the quota, which stops the common `dd`/`cat /dev/zero >` fill exactly; and a watcher
 * measures the workspace (allocated blocks, as a filesystem quota counts them) while the command
 * runs and kills it when many smaller files push the total past the quota. The watcher's
 * overshoot is what the command can write between two scans; scans are spaced to at most ~10%
 * of one core. The file tools check the same total before a write.
 */
export const DEFAULT_DISK_QUOTA_BYTES = 5 * 1024 * 1024 * 1024;

/** What the workspace occupies on disk (st_blocks, no symlink followed); stops counting once past `stopAbove`. */
export const workspaceUsage = async (root: string, stopAbove = Number.POSITIVE_INFINITY): Promise<number> => {
  const top = await openRoot(root);
  let total = 0;
  const walk = async (dir: FileHandle): Promise<void> => {
    const names: string[] = [];
    const handle = await opendir(at(dir, ".")).catch(() => undefined);
    if (handle === undefined) return;
    for await (const d of handle) names.push(d.name);
    // Batches of lstat: the thread pool runs them side by side.
    for (let i = 0; i < names.length && total <= stopAbove; i += 64) {
      const stats = await Promise.all(names.slice(i, i + 64).map((n) => lstatAt(dir, n).catch(() => undefined)));
      for (let j = 0; j < stats.length; j++) {
        const st = stats[j];
        if (st === undefined) continue;
        total += st.blocks * 512;
        if (st.isDirectory() && total <= stopAbove) {
          const child = await openDirAt(dir, names[i + j], names[i + j]).catch(() => undefined); // swapped since: skip
          if (child === undefined) continue;
          try {
            await walk(child);
          } finally {
            await child.close();
          }
        }
      }
    }
  };
  try {
    await walk(top);
  } finally {
    await top.close();
  }
  return total;
};

const mb = (n: number): string => `${Math.round((n / 1024 / 1024) * 10) / 10} MB`;

export const diskQuotaError = (usage: number, quota: number, what: string): CairnError =>
  new CairnError(
    "disk_quota_exceeded",
    `${what}: the workspace would use ${mb(usage)} of its ${mb(quota)} disk quota ([tools.exec.sandbox.resource_limits] disk); delete files first`,
    { usage, quota },
  );

/**
 * Watches the workspace while a command runs; calls `exceeded` once when its usage passes both
 * the quota and where it started (a workspace already over its quota may still be cleaned up).
 */
export const watchDiskQuota = (root: string, quota: number, startedAt: number, exceeded: (usage: number) => void): { stop(): void } => {
  const limit = Math.max(quota, startedAt);
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const scan = async (): Promise<void> => {
    const t0 = performance.now();
    const usage = await workspaceUsage(root, limit).catch(() => 0);
    if (stopped) return;
    if (usage > limit) {
      stopped = true;
      exceeded(usage);
      return;
    }
    // A big workspace takes long to scan: wait ten times the scan, at least 250 ms.
    timer = setTimeout(() => void scan(), Math.max(250, 10 * (performance.now() - t0)));
  };
  timer = setTimeout(() => void scan(), 100);
  return {
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
};
