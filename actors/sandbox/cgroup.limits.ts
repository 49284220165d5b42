import * as fs from "node:fs";
import * as path from "node:path";

/**
 * Per-command cgroups for the pids and memory limits. Rlimits cannot do this job when the gateway
 * runs as root: RLIMIT_NPROC never applies to uid 0 (also not inside a user namespace, whose root
 * maps back to uid 0), so a fork bomb is only stopped by a pids cgroup. Both cgroup v1 (one
 * hierarchy per controller) and v2 (one unified tree) are handled; where the tree is not writable
 * (unprivileged gateway, read-only /sys) `open` returns undefined and only rlimits apply.
 */
export interface CgroupLimits {
  readonly pids?: number | undefined;
  readonly memoryMb?: number | undefined;
}

export interface CommandCgroup {
  /** Files a process writes its pid into to join (every controller). */
  readonly procsFiles: ReadonlyArray<string>;
  readonly enforced: ReadonlyArray<"pids" | "memory">;
  /** SIGKILLs every process still in the group: the one kill that reaches setsid'd grandchildren. */
  killAll(): void;
  /** Kills what is left and removes the directories. */
  dispose(): Promise<void>;
}

const ROOT = "/sys/fs/cgroup";

const writable = (dir: string): boolean => {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
};

const tryMkdirWrite = (dir: string, file: string, value: string): boolean => {
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, file), value);
    return true;
  } catch {
    try {
      fs.rmdirSync(dir);
    } catch {}
    return false;
  }
};

/**
 * The start time (clock ticks since boot, /proc/<pid>/stat field 22) of a process: with the pid it
 * names one process for good, where a pid alone is reused.
 */
export const processStartTime = (pid: number): string | undefined => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // A zombie (state Z) is dead: its groups are stale even before its parent reaps it.
    return fields[0] === "Z" ? undefined : fields[19];
  } catch {
    return undefined;
  }
};

/**
 * Every command cgroup carries its gateway's pid and start time (`cairn-<pid>.<start>-<id>`), so a
 * later gateway can tell the groups of a dead one (killed -9, so its `dispose` never ran) from those
 * of another live gateway on the same machine.
 */
const OWNER = `${process.pid}.${processStartTime(process.pid) ?? "0"}`;
const OWNED = /^cairn-(\d+)\.(\d+)-/;

/** Creates the cgroup(s) for one command, named `cairn-<owner>-<id>`; undefined when none can be made. */
export const openCommandCgroup = (id: string, limits: CgroupLimits): CommandCgroup | undefined => {
  if (limits.pids === undefined && limits.memoryMb === undefined) return undefined;
  const dirs: string[] = [];
  const enforced: Array<"pids" | "memory"> = [];
  const name = `cairn-${OWNER}-${id}`;
  const memBytes = limits.memoryMb === undefined ? undefined : String(limits.memoryMb * 1024 * 1024);
  const unified = fs.existsSync(path.join(ROOT, "cgroup.controllers"));
  if (unified) {
    // v2: controllers must be enabled in the parent's subtree_control; when they are not we do not
    // try to rearrange a tree we do not own.
    const dir = path.join(ROOT, name);
    let controllers = "";
    try {
      controllers = fs.readFileSync(path.join(ROOT, "cgroup.subtree_control"), "utf8");
    } catch {}
    if (writable(ROOT) && (controllers.includes("pids") || controllers.includes("memory"))) {
      try {
        fs.mkdirSync(dir);
        if (limits.pids !== undefined && controllers.includes("pids")) {
          fs.writeFileSync(path.join(dir, "pids.max"), String(limits.pids));
          enforced.push("pids");
        }
        if (memBytes !== undefined && controllers.includes("memory")) {
          fs.writeFileSync(path.join(dir, "memory.max"), memBytes);
          try {
            fs.writeFileSync(path.join(dir, "memory.swap.max"), "0");
          } catch {}
          enforced.push("memory");
        }
        dirs.push(dir);
      } catch {
        try {
          fs.rmdirSync(dir);
        } catch {}
      }
    }
  } else {
    if (limits.pids !== undefined && writable(path.join(ROOT, "pids"))) {
      const dir = path.join(ROOT, "pids", name);
      if (tryMkdirWrite(dir, "pids.max", String(limits.pids))) {
        dirs.push(dir);
        enforced.push("pids");
      }
    }
    if (memBytes !== undefined && writable(path.join(ROOT, "memory"))) {
      const dir = path.join(ROOT, "memory", name);
      if (tryMkdirWrite(dir, "memory.limit_in_bytes", memBytes)) {
        try {
          // Without this, v1 lets the group swap past its limit where swap exists.
          fs.writeFileSync(path.join(dir, "memory.memsw.limit_in_bytes"), memBytes);
        } catch {}
        dirs.push(dir);
        enforced.push("memory");
      }
    }
  }
  if (dirs.length === 0) return undefined;
  return {
    procsFiles: dirs.map((d) => path.join(d, "cgroup.procs")),
    enforced,
    killAll: () => killIn(dirs),
    // What an OOM kill or a stuck exit leaves past these attempts goes at the next start (reapStaleCgroups).
    dispose: async () => {
      await removeGroups(dirs);
    },
  };
};

/** SIGKILLs every process in the groups (a cgroup v1 has no `cgroup.kill`). */
const killIn = (dirs: ReadonlyArray<string>): void => {
  for (const dir of dirs) {
    let pids: string[] = [];
    try {
      pids = fs.readFileSync(path.join(dir, "cgroup.procs"), "utf8").split("\n").filter(Boolean);
    } catch {}
    for (const pid of pids) {
      try {
        process.kill(Number(pid), "SIGKILL");
      } catch {}
    }
  }
};

/** Kills and removes the groups, retrying while the dying processes leave; true when all are gone. */
const removeGroups = async (groups: ReadonlyArray<string>): Promise<boolean> => {
  let dirs = [...groups];
  for (let attempt = 0; attempt < 50; attempt++) {
    killIn(dirs);
    dirs = dirs.filter((d) => {
      try {
        fs.rmdirSync(d);
        return false;
      } catch (e) {
        return (e as NodeJS.ErrnoException).code !== "ENOENT";
      }
    });
    if (dirs.length === 0) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
};

/** The hierarchies command cgroups are made in (v2: the root; v1: one per controller). */
const hierarchies = (): string[] =>
  fs.existsSync(path.join(ROOT, "cgroup.controllers")) ? [ROOT] : ["pids", "memory"].map((c) => path.join(ROOT, c));

/**
 * Removes the command cgroups of gateways that are gone (a kill -9 skips every `dispose`), killing
 * what still runs in them first: a `none`-backend command outlives its gateway. Groups of a live
 * gateway (this one or another on the machine) are left alone; unowned ones from older versions
 * are removed only when empty. Run once at start; returns the directories removed.
 */
export const reapStaleCgroups = async (): Promise<string[]> => {
  const stale: string[] = [];
  for (const h of hierarchies()) {
    let names: string[] = [];
    try {
      names = fs.readdirSync(h).filter((n) => n.startsWith("cairn-"));
    } catch {
      continue;
    }
    for (const name of names) {
      const owner = OWNED.exec(name);
      const dir = path.join(h, name);
      if (owner === null) {
        try {
          fs.rmdirSync(dir); // EBUSY while a process is in it: not ours to kill
          stale.push(dir);
        } catch {}
        continue;
      }
      const alive = processStartTime(Number(owner[1])) === owner[2];
      if (!alive) stale.push(dir);
    }
  }
  const owned = stale.filter((d) => fs.existsSync(d));
  await removeGroups(owned);
  return stale.filter((d) => !fs.existsSync(d));
};
