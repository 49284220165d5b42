/**
 * The sandbox port the `exec` tool runs shell commands through. A backend turns one request into
 * one confined process tree with a filtered environment, limits, a timeout and capped output.
 */

export type SandboxBackendName = "bubblewrap" | "none";

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
  readonly timedOut: boolean;
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
}

export interface SandboxDescription {
  readonly backend: SandboxBackendName;
  readonly isolated: boolean;
  readonly network: boolean;
  readonly workspace: string;
  /** Which limit is enforced by what: "cgroup", "rlimit" or "none". */
  readonly limits: Readonly<Record<"pids" | "memory" | "cpu", "cgroup" | "rlimit" | "none">>;
  /** Present for `none`: must be shown loudly wherever the backend is named. */
  readonly warning?: string;
  readonly summary: string;
}

export interface SandboxOptions {
  readonly backend: "auto" | SandboxBackendName;
  /** Absolute path of the directory commands may write to. */
  readonly workspace: string;
  /** Bubblewrap only: share the host network (default: no network at all). */
  readonly network?: boolean;
  readonly memoryMb?: number;
  readonly pids?: number;
  readonly cpuSeconds?: number;
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
