/**
 * The sandbox port the `exec` tool runs shell commands through. A backend turns one request into
 * one confined process tree with a filtered environment, limits, a timeout and capped output.
 */

/** Strongest first: `auto` resolves to the first one that works here (see `detectSandboxBackends`). */
export type SandboxBackendName = "docker" | "bubblewrap" | "none";

export interface ExecRequest {
  /** Run by `/bin/sh -c`. */
  readonly command: string;
  /** Relative to the workspace and confined to it (`..` and symlinks out are refused). */
  readonly cwd?: string;
  /** Extra variables; secret-looking names and loader/shell hijacks (`LD_*`, `BASH_ENV`) are dropped. */
  readonly env?: Record<string, string>;
  readonly timeoutMs: number;
  /** Cap on stdout + stderr kept in the result; the rest goes to `fullOutputPath`. */
  readonly maxOutputBytes: number;
  readonly signal?: AbortSignal;
  readonly onOutput?: (stream: "stdout" | "stderr", chunk: string) => void;
}

export interface ExecResult {
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly truncated: boolean;
  /** When truncated: the complete output (both streams, in arrival order) in the output dir. */
  readonly fullOutputPath?: string;
  /** When truncated but no full output was kept: why (e.g. the output dir was a symlink a command planted). */
  readonly fullOutputRefused?: string;
  readonly timedOut: boolean;
  /**
   * The command pushed the workspace past its disk quota (`SandboxOptions.diskBytes`): stopped by
   * the watcher, or a file stopped at the size limit. The tool reports it as `disk_quota_exceeded`.
   */
  readonly diskQuotaExceeded?: boolean;
  /** Stopped through `ExecRequest.signal`. */
  readonly aborted: boolean;
  readonly durationMs: number;
  /** Request variables that were not passed on, and why. */
  readonly droppedEnv: ReadonlyArray<string>;
}

export interface Sandbox {
  readonly backend: SandboxBackendName;
  exec(req: ExecRequest): Promise<ExecResult>;
  /** What is enforced, for the banner, the UI and the tool result. */
  describe(): SandboxDescription;
  /**
   * Releases what the sandbox holds: docker removes the session's container (a later `exec`
   * creates a fresh one); the process backends hold nothing and resolve at once.
   */
  dispose(): Promise<void>;
}

export interface SandboxDescription {
  readonly backend: SandboxBackendName;
  readonly isolated: boolean;
  readonly network: boolean;
  readonly workspace: string;
  /** Which limit is enforced by what: "cgroup", "rlimit" or "none" (docker: "cgroup" = the container's). */
  readonly limits: Readonly<Record<"pids" | "memory" | "cpu", "cgroup" | "rlimit" | "none">>;
  /** Present for `none`: must be shown loudly wherever the backend is named. */
  readonly warning?: string;
  readonly summary: string;
}

export interface SandboxOptions {
  readonly backend: "auto" | SandboxBackendName;
  /** Absolute path of the directory commands may write to. */
  readonly workspace: string;
  /** Bubblewrap and docker: give commands a network (default: no network at all). */
  readonly network?: boolean;
  /** Docker: the network mode used when `network` is true (default "bridge"; "host" shares the host's). */
  readonly networkMode?: string;
  /** Bubblewrap: per command; docker: for the session's container (all its commands together). */
  readonly memoryMb?: number;
  readonly pids?: number;
  /**
   * Bubblewrap and none: the workspace disk quota in bytes (default 5 GiB; see disk.quota.ts for
   * the mechanism). Docker: not enforced by the sandbox (the file tools still check it).
   */
  readonly diskBytes?: number;
  /** Per process (RLIMIT_CPU), every backend. */
  readonly cpuSeconds?: number;
  /** Docker: CPU share of the container (HostConfig.NanoCpus), e.g. 0.5 or 2. */
  readonly cpus?: number;
  /**
   * Docker: a local image (default `cairn-sandbox:latest`, see `buildSandboxImage`); never pulled.
   * It needs /bin/sh, sleep, tr, grep and kill (busybox or coreutils): stopping a command uses them.
   */
  readonly image?: string;
  /** Docker: the engine's unix socket (default from `DOCKER_HOST`, then Docker's, then Podman's). */
  readonly socketPath?: string;
  /** Docker: how the workspace is mounted (default "rw"). */
  readonly workspaceMount?: "rw" | "ro";
  /** Docker: `uid:gid` commands run as (default: the workspace owner's, see docker.spec.ts). */
  readonly user?: string;
  /** Docker: size of the private /tmp tmpfs in MiB (default 256; it counts towards `memoryMb`). */
  readonly tmpMb?: number;
  /**
   * Docker: labels the container `cairn.instance=<this>`, so `reapSandboxContainers` of one gateway
   * leaves another gateway's containers on a shared engine alone.
   */
  readonly instance?: string;
  /** Where full outputs of truncated results are kept, e.g. `<workspace>/.cairn/outputs`. */
  readonly outputDir: string;
  /** Grace between SIGTERM and SIGKILL on timeout or abort. */
  readonly killGraceMs?: number;
  /** Upper bound of a kept full output file (default 64 MiB). */
  readonly fullOutputMaxBytes?: number;
  /** Injected for deterministic tests. */
  readonly newId?: () => string;
  readonly now?: () => number;
  readonly hostEnv?: NodeJS.ProcessEnv;
}

export const NO_SANDBOX_WARNING =
  "WARNING: no sandbox — commands run directly on this machine without isolation (no filesystem, network or process confinement).";
