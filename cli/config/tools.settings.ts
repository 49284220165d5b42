import type { ExecOptions, SandboxSettings } from "../../actors/index.ts";
import { DEFAULT_DISK_QUOTA_BYTES } from "../../actors/sandbox/index.ts";
import { CairnError, type ConfigFile } from "../../schemas/index.ts";
import type { WebFetchSettings } from "./settings.types.ts";

/** `[tools.exec.sandbox.resource_limits]` when not set: 512 MiB, one CPU (docker), 256 processes. */
export const DEFAULT_SANDBOX_LIMITS = { memoryMb: 512, cpus: 1, pids: 256 } as const;

/** "512M", "2G", "1.5GiB", "512" or 512 (MiB) → MiB. */
export const parseMemoryMb = (v: string | number): number => {
  const m = typeof v === "number" ? [String(v), String(v), "", ""] : /^(\d+(?:\.\d+)?)\s*([kKmMgG]?)i?([bB]?)$/.exec(v.trim());
  if (!m) throw new CairnError("bad_request", `'${v}' is not a size such as "512M" or "2G"`);
  const n = Number(m[1]);
  const unit = (m[2] ?? "").toLowerCase();
  // A bare number is MiB (as in the TOML number form); "512B" is bytes.
  const mb = unit === "g" ? n * 1024 : unit === "k" ? n / 1024 : unit === "m" ? n : m[3] ? n / (1024 * 1024) : n;
  if (mb < 4) throw new CairnError("bad_request", `memory_limit '${v}' is below 4 MiB: commands could not start`);
  return Math.round(mb);
};

// Exec is on by default (smart approvals, strongest sandbox available), as users of this kind of
// gateway expect; `enabled = false` turns it off.
export const execSettings = (c: NonNullable<ConfigFile["tools"]>["exec"], where: string): ExecOptions | null => {
  if (c?.enabled === false) return null;
  const limits = c?.sandbox?.resource_limits;
  const sandboxSettings: SandboxSettings = {
    ...(c?.sandbox?.image !== undefined ? { image: c.sandbox.image } : {}),
    ...(c?.sandbox?.network !== undefined ? { network: c.sandbox.network } : {}),
    ...(c?.sandbox?.workspace_mount !== undefined ? { workspaceMount: c.sandbox.workspace_mount } : {}),
    // Bounded by default: a runaway or hostile command cannot take the machine's memory or fork-bomb it.
    memoryMb: limits?.memory_limit !== undefined ? memoryLimit(limits.memory_limit, where) : DEFAULT_SANDBOX_LIMITS.memoryMb,
    cpus: limits?.cpu_quota ?? DEFAULT_SANDBOX_LIMITS.cpus,
    pids: limits?.pids_max ?? DEFAULT_SANDBOX_LIMITS.pids,
    diskBytes: limits?.disk !== undefined ? diskLimit(limits.disk, where) : DEFAULT_DISK_QUOTA_BYTES,
  };
  return {
    approvalMode: c?.approval_mode ?? "smart",
    allowlist: c?.allowlist ?? [],
    ...(c?.approval_timeout !== undefined ? { approvalTimeoutMs: Math.round(c.approval_timeout * 1000) } : {}),
    sandbox: c?.sandbox?.backend ?? "auto",
    sandboxSettings,
  };
};

const memoryLimit = (v: string | number, file: string): number => {
  try {
    return parseMemoryMb(v);
  } catch (e) {
    throw new CairnError("bad_request", `config file ${file}: tools.exec.sandbox.resource_limits.memory_limit: ${(e as Error).message}`);
  }
};

/** `resource_limits.disk`: "1g", "500M", "2T" or a number of MiB → bytes (at least 1 MiB). */
export const parseDiskBytes = (v: string | number): number => {
  const m = typeof v === "number" ? [String(v), String(v), "m", ""] : /^(\d+(?:\.\d+)?)\s*([kKmMgGtT]?)i?([bB]?)$/.exec(v.trim());
  if (!m) throw new CairnError("bad_request", `'${v}' is not a size such as "500M" or "1g"`);
  const unit = (m[2] || (m[3] ? "b" : "m")).toLowerCase();
  const scale: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };
  const bytes = Math.round(Number(m[1]) * (scale[unit] ?? 1));
  if (bytes < 1024 * 1024) throw new CairnError("bad_request", `disk '${v}' is below 1 MiB`);
  return bytes;
};

const diskLimit = (v: string | number, file: string): number => {
  try {
    return parseDiskBytes(v);
  } catch (e) {
    throw new CairnError("bad_request", `config file ${file}: tools.exec.sandbox.resource_limits.disk: ${(e as Error).message}`);
  }
};

export const webFetchSettings = (c: NonNullable<ConfigFile["tools"]>["web_fetch"]): WebFetchSettings | null => {
  if (c?.enabled === false) return null;
  return {
    ...(c?.allowlist ? { allowlist: c.allowlist } : {}),
    ...(c?.allow_private ? { allowPrivate: c.allow_private } : {}),
    ...(c?.max_bytes !== undefined ? { maxBytes: c.max_bytes } : {}),
    ...(c?.timeout !== undefined ? { timeoutMs: Math.round(c.timeout * 1000) } : {}),
  };
};
