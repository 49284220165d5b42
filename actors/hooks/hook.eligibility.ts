import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import type { HookRequires } from "../../schemas/index.ts";

/** What requirements are checked against: injected, so a test can name another OS or PATH. */
export interface HostFacts {
  readonly platform: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export const thisHost = (): HostFacts => ({ platform: process.platform, env: process.env });

const onPath = (bin: string, path: string): boolean =>
  path
    .split(delimiter)
    .filter(Boolean)
    .some((dir) => {
      try {
        accessSync(join(dir, bin), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });

/**
 * Why a hook cannot run here, one reason per unmet requirement (empty: eligible). An env var set
 * by the hook's own `env` table counts as present. Unmet requirements skip the hook; they are not
 * an error.
 */
export const unmetRequirements = (
  req: HookRequires | undefined,
  host: HostFacts,
  hookEnv: Readonly<Record<string, string>> = {},
): string[] => {
  if (!req) return [];
  const reasons: string[] = [];
  if (req.os && req.os.length > 0 && !req.os.includes(host.platform)) reasons.push(`runs on ${req.os.join(", ")}, not ${host.platform}`);
  const path = host.env.PATH ?? "";
  for (const bin of req.bins ?? []) {
    const found = bin.includes("/") ? onPath(bin.slice(bin.lastIndexOf("/") + 1), bin.slice(0, bin.lastIndexOf("/"))) : onPath(bin, path);
    if (!found) reasons.push(`needs '${bin}' on PATH`);
  }
  for (const name of req.env ?? []) if (!host.env[name] && !hookEnv[name]) reasons.push(`needs the environment variable ${name}`);
  return reasons;
};
