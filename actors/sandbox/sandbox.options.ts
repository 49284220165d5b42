/** `[tools.exec.sandbox] backend`: `auto` is the strongest backend found at start-up. */
export type SandboxChoice = "auto" | "docker" | "bubblewrap" | "none";

/** `[tools.exec.sandbox]` besides the backend (each backend enforces what it can; `describe()` says which). */
export interface SandboxSettings {
  readonly image?: string;
  readonly network?: boolean;
  readonly workspaceMount?: "rw" | "ro";
  readonly memoryMb?: number;
  readonly cpus?: number;
  readonly pids?: number;
  /** `resource_limits.disk` in bytes: the workspace disk quota. */
  readonly diskBytes?: number;
  /** Docker: labels this gateway's containers, so cleaning up after a crash leaves others' alone. */
  readonly instance?: string;
}
