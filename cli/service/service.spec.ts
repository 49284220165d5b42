/**
 * What a service definition says, whatever the service manager: the command that runs the
 * gateway, its environment, and where its unit file goes. Pure, so the unit and plist renderers
 * are tested on their text (and the unit with `systemd-analyze verify`).
 */
import { homedir } from "node:os";
import { join } from "node:path";

export type ServiceManager = "systemd" | "launchd";

export interface ServiceSpec {
  readonly manager: ServiceManager;
  /** A per-user service (systemd --user, a LaunchAgent) rather than a system-wide one. */
  readonly user: boolean;
  /** The Node binary and its arguments, then `cli/bin.mjs gateway`. */
  readonly command: readonly string[];
  readonly workingDirectory: string;
  /** CAIRN_DATA_DIR and CAIRN_CONFIG_DIR as the installing shell resolved them, so the service uses the same data. */
  readonly environment: Readonly<Record<string, string>>;
  /** Optional file of KEY=value lines (provider keys); systemd only: launchd has no such thing. */
  readonly environmentFile: string;
  /** launchd only: where stdout/stderr go (systemd sends them to the journal). */
  readonly logFile: string;
}

export const SYSTEMD_UNIT = "cairn.service";
export const LAUNCHD_LABEL = "dev.cairn.gateway";

/** Where the unit file is installed (pure; `env` gives XDG_CONFIG_HOME and HOME). */
export function unitPath(manager: ServiceManager, user: boolean, env: NodeJS.ProcessEnv = process.env): string {
  const home = env.HOME || homedir();
  if (manager === "launchd") {
    return user
      ? join(home, "Library", "LaunchAgents", `${LAUNCHD_LABEL}.plist`)
      : join("/Library/LaunchDaemons", `${LAUNCHD_LABEL}.plist`);
  }
  return user
    ? join(env.XDG_CONFIG_HOME || join(home, ".config"), "systemd", "user", SYSTEMD_UNIT)
    : join("/etc/systemd/system", SYSTEMD_UNIT);
}

/** The service manager of this platform, or undefined where cairn has none to offer. */
export function managerFor(platform: NodeJS.Platform): ServiceManager | undefined {
  if (platform === "linux") return "systemd";
  if (platform === "darwin") return "launchd";
  return undefined;
}
