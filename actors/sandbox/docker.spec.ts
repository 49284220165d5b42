import type { ContainerCreateOptions } from "dockerode";

/**
 * What the docker backend asks the engine for: pure builders, no I/O.
 *
 * Layout decisions (the same as bubblewrap's where it applies):
 * - The workspace is bind-mounted at its own host path, not /workspace, so paths in output,
 *   errors and `fullOutputPath` mean the same inside and out, and `resolveWorkdir` (which confines
 *   `cwd` on the host, symlinks included) yields the container's working directory unchanged.
 * - Read-only root filesystem, a private tmpfs /tmp (mode 1777, size-capped), no capabilities,
 *   no-new-privileges, no network unless asked, memory (without swap), CPU and pids limits on the
 *   container's cgroup.
 * - User: the workspace owner's uid:gid (numeric, so any image allows it: no passwd entry is
 *   needed). Files the agent creates then belong to whoever owns the workspace, and a gateway
 *   running as a normal user gets a non-root sandbox. When the gateway (and so the workspace) is
 *   root's, commands run as uid 0 but with every capability dropped: they cannot override file
 *   permissions, mount, or gain privileges, and the only writable host path is the workspace.
 *   Set `user` to force another identity (the workspace must then be writable by it).
 * - The container is a per-session keepalive (a shell that also reaps orphans, since it is PID 1
 *   and images need not ship an init); each command is a `docker exec` of `EXEC_WRAPPER`.
 */
export interface ContainerSpecInput {
  readonly image: string;
  readonly workspace: string;
  readonly workspaceMount: "rw" | "ro";
  readonly user: string;
  readonly network: boolean;
  readonly networkMode: string;
  readonly memoryMb?: number | undefined;
  readonly cpus?: number | undefined;
  readonly pids?: number | undefined;
  readonly tmpMb: number;
  readonly path: string;
  readonly instance?: string | undefined;
  readonly name: string;
}

/** Built locally by `buildSandboxImage` (busybox-static); never pulled. */
export const DEFAULT_SANDBOX_IMAGE = "cairn-sandbox:latest";

export const SANDBOX_LABEL = "cairn.sandbox";
export const WORKSPACE_LABEL = "cairn.workspace";
export const INSTANCE_LABEL = "cairn.instance";
/**
 * Marks every process of one command (inherited through fork/exec), so a kill finds them all. The
 * command can see it (harmless: a random id) and could scrub it; a process that escapes that way
 * lives, confined and limited, until the container goes (`dispose`, or a stop whose output stream
 * never ends: see docker.exec.ts).
 */
export const EXEC_MARKER = "SANDBOX_EXEC_ID";

// `wait` in a loop reaps every orphan reparented to PID 1 (ash waits for any child), so
// background leftovers never pile up as zombies against the pids limit.
const KEEPALIVE = `trap 'exit 0' TERM INT; while :; do sleep 3600 & wait; done`;

export const containerCreateOptions = (i: ContainerSpecInput): ContainerCreateOptions => ({
  name: i.name,
  Image: i.image,
  Cmd: ["/bin/sh", "-c", KEEPALIVE],
  Entrypoint: [],
  User: i.user,
  WorkingDir: i.workspace,
  Env: [`PATH=${i.path}`, `HOME=${i.workspace}`],
  Hostname: "cairn-sandbox",
  Labels: { [SANDBOX_LABEL]: "1", [WORKSPACE_LABEL]: i.workspace, ...(i.instance ? { [INSTANCE_LABEL]: i.instance } : {}) },
  NetworkDisabled: !i.network,
  HostConfig: {
    NetworkMode: i.network ? i.networkMode : "none",
    // `Mounts`, not `Binds`: a path with ':' or ',' cannot be misread as mount options.
    Mounts: [{ Type: "bind", Source: i.workspace, Target: i.workspace, ReadOnly: i.workspaceMount === "ro" }],
    ReadonlyRootfs: true,
    Tmpfs: { "/tmp": `rw,nosuid,nodev,mode=1777,size=${i.tmpMb}m` },
    CapDrop: ["ALL"],
    // Neither `Privileged` nor `systempaths=unconfined`: so the engine applies its default
    // masked paths (/proc/kcore, /proc/keys, /proc/timer_list, ...) and read-only paths
    // (/proc/sys, /proc/sysrq-trigger, /proc/irq, /proc/bus, /proc/fs) — what bubblewrap.args.ts
    // has to spell out itself. Never add either here.
    SecurityOpt: ["no-new-privileges"],
    ...(i.memoryMb !== undefined ? { Memory: i.memoryMb * 1024 * 1024, MemorySwap: i.memoryMb * 1024 * 1024 } : {}),
    ...(i.cpus !== undefined ? { NanoCpus: Math.round(i.cpus * 1e9) } : {}),
    ...(i.pids !== undefined ? { PidsLimit: i.pids } : {}),
    AutoRemove: false,
    RestartPolicy: { Name: "no" },
  },
});

/**
 * Runs one command (`$1`) in the background, waits for it, then kills whatever it left behind and
 * exits with its status: the other backends kill a finished command's process group, and an orphan
 * would otherwise live as long as the container.
 *
 * Two passes. The command runs in its own session (`setsid`, when the image has it), so its whole
 * process group dies by `kill` alone, a shell builtin: a fork bomb that has used up the
 * container's pids limit leaves no room for any helper process, and a sweep that needs `tr` and
 * `grep` would kill nothing. Then every process still carrying the marker (one that left the
 * group) is swept. The wrapper unsets the marker once the command has it, so the sweep's own
 * helpers are not swept.
 */
export const execWrapper = (cpuSeconds: number | undefined): string =>
  [
    ...(cpuSeconds !== undefined ? [`ulimit -t ${Math.ceil(cpuSeconds)} || exit 125`] : []),
    `if command -v setsid >/dev/null 2>&1; then setsid /bin/sh -c "$1" </dev/null & else /bin/sh -c "$1" </dev/null & fi`,
    `c=$!`,
    `id="$${EXEC_MARKER}"`,
    `unset ${EXEC_MARKER}`,
    `wait $c`,
    `s=$?`,
    // Bounded: a process stuck in the kernel (D state) must not keep the wrapper spinning.
    `i=0; while [ $i -lt 200 ] && kill -0 -$c 2>/dev/null; do kill -KILL -$c 2>/dev/null; i=$((i+1)); done`,
    sweep("KILL", "$id"),
    `exit $s`,
  ].join("\n");

/** A script that signals every process of one command but itself. */
const sweep = (sig: string, id: string): string =>
  `for d in /proc/[0-9]*; do p=\${d#/proc/}; [ "$p" = "$$" ] && continue; ` +
  `tr '\\0' '\\n' < "$d/environ" 2>/dev/null | grep -qx "${EXEC_MARKER}=${id}" && kill -${sig} "$p" 2>/dev/null; done; :`;

/** The `docker exec` argv that stops a running command (and its leftovers) with `sig`. */
export const killCommand = (id: string, sig: "TERM" | "KILL"): string[] => ["/bin/sh", "-c", sweep(sig, id)];

/** Command ids travel inside a shell script: keep them to characters that need no quoting. */
export const safeExecId = (id: string): string => id.replace(/[^A-Za-z0-9_.-]/g, "_");
