import { join } from "node:path";
import type { ServiceManager, ServiceSpec } from "./service.spec.ts";

export interface BuildSpecInput {
  readonly manager: ServiceManager;
  readonly user: boolean;
  /** The Node running this command: the service runs the same one. */
  readonly nodePath: string;
  /** The checkout (or installed package) root holding `cli/bin.mjs`. */
  readonly root: string;
  readonly dataDir: string;
  readonly configDir: string;
  /** PATH of the installing shell: nats-server, bwrap and docker are found where the user finds them. */
  readonly path: string | undefined;
}

/**
 * The gateway's service definition from what the installing shell sees (pure). The data and
 * config dirs are fixed in the unit, so the service and the user's own `cairn` commands use the
 * same gateway data; provider keys stay out of the unit (an env file next to cairn.toml, or
 * `cairn providers set-key`).
 */
export function buildServiceSpec(i: BuildSpecInput): ServiceSpec {
  return {
    manager: i.manager,
    user: i.user,
    // --max-semi-space-size=2: as cli/bin.mjs's shebang (the idle gateway stays ~80 MB, not ~130 MB).
    command: [i.nodePath, "--max-semi-space-size=2", join(i.root, "cli", "bin.mjs"), "gateway"],
    workingDirectory: i.root,
    environment: {
      CAIRN_DATA_DIR: i.dataDir,
      CAIRN_CONFIG_DIR: i.configDir,
      ...(i.path ? { PATH: i.path } : {}),
    },
    environmentFile: join(i.configDir, "cairn.env"),
    logFile: join(i.dataDir, "logs", "service.log"),
  };
}
