import * as fs from "node:fs";

/**
 * The bwrap command line. Layout decision: the workspace is bound read-write at its own host path
 * (not /workspace), so paths in output, errors and `fullOutputPath` mean the same inside and out.
 * Everything else is read-only system directories, a private /proc, /dev and /tmp, and a minimal
 * /etc: no host secrets (/etc/shadow, ssh keys), and name resolution files only with network.
 */
export interface BwrapLayout {
  readonly workspace: string;
  readonly workdir: string;
  readonly network: boolean;
  readonly env: Record<string, string>;
}

const ETC_ALWAYS = [
  "/etc/passwd",
  "/etc/group",
  "/etc/nsswitch.conf",
  "/etc/ld.so.cache",
  "/etc/ld.so.conf",
  "/etc/ld.so.conf.d",
  "/etc/alternatives", // Debian's /usr/bin/awk etc. are symlinks through here
  "/etc/localtime",
  "/etc/timezone",
  "/etc/os-release",
];
const ETC_NETWORK = ["/etc/resolv.conf", "/etc/hosts", "/etc/gai.conf", "/etc/ssl", "/etc/ca-certificates"];

/** Top-level system paths: merged-/usr systems have them as symlinks, older ones as directories. */
const systemMounts = (): string[] => {
  const args = ["--ro-bind", "/usr", "/usr"];
  for (const name of ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"]) {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(name);
    } catch {
      continue;
    }
    if (st.isSymbolicLink()) args.push("--symlink", fs.readlinkSync(name), name);
    else if (st.isDirectory()) args.push("--ro-bind", name, name);
  }
  return args;
};

/**
 * Kernel interfaces under /proc, as runc/docker treat them by default (runc's `readonlyPaths` and
 * `maskedPaths`). bwrap's own cover of /proc/sys and /proc/sysrq-trigger is skipped when bwrap
 * runs as root (its `access(W_OK)` check fails first), which left `kernel.core_pattern` and
 * `sysrq-trigger` writable by a sandboxed root command: capabilities do not guard these files, only
 * their mode does. So they are named here explicitly. The read-only ones are bound from the host's
 * /proc (bwrap binds from the old root; the values are the same kernel's, only never writable).
 */
export const PROC_READONLY = ["/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus", "/proc/fs"] as const;
/** Hidden: files become /dev/null, directories an empty read-only tmpfs. */
export const PROC_MASKED = [
  "/proc/kcore",
  "/proc/keys",
  "/proc/timer_list",
  "/proc/timer_stats",
  "/proc/latency_stats",
  "/proc/sched_debug",
  "/proc/kallsyms",
  "/proc/kmsg",
  "/proc/kpagecount",
  "/proc/kpageflags",
  "/proc/kpagecgroup",
  "/proc/config.gz",
  "/proc/acpi",
  "/proc/asound",
  "/proc/scsi",
] as const;

/** Only what exists on this kernel: bwrap cannot create a mount point inside proc. */
const procCovers = (): string[] => {
  const args: string[] = [];
  for (const p of PROC_READONLY) if (fs.existsSync(p)) args.push("--ro-bind", p, p);
  for (const p of PROC_MASKED) {
    let st: fs.Stats;
    try {
      st = fs.statSync(p);
    } catch {
      continue;
    }
    if (st.isDirectory()) args.push("--tmpfs", p, "--remount-ro", p);
    else args.push("--ro-bind", "/dev/null", p);
  }
  return args;
};

/** Arguments shared by the real run and the availability probe. */
export const isolationArgs = (network: boolean): string[] => {
  const args = ["--unshare-all", "--die-with-parent", "--new-session"];
  if (network) args.push("--share-net");
  // Run by root, bwrap keeps the full capability set inside unless told otherwise.
  if (process.getuid?.() === 0) args.push("--cap-drop", "ALL");
  args.push(...systemMounts());
  for (const p of network ? [...ETC_ALWAYS, ...ETC_NETWORK] : ETC_ALWAYS) args.push("--ro-bind-try", p, p);
  args.push("--proc", "/proc", ...procCovers(), "--dev", "/dev", "--tmpfs", "/tmp", "--hostname", "cairn-sandbox");
  return args;
};

export const bwrapArgv = (bwrap: string, layout: BwrapLayout, command: string): string[] => {
  const args = [bwrap, ...isolationArgs(layout.network)];
  // After --tmpfs /tmp, so a workspace under /tmp is bound on top of the private /tmp.
  args.push("--bind", layout.workspace, layout.workspace);
  // The sandbox root is a tmpfs bwrap builds the tree in; without this, /etc, / and the mount
  // points in it stay writable (nothing reaches the host, but `touch /etc/x` should fail).
  args.push("--remount-ro", "/", "--chdir", layout.workdir, "--clearenv");
  for (const [k, v] of Object.entries(layout.env)) args.push("--setenv", k, v);
  args.push("--", "/bin/sh", "-c", command);
  return args;
};
