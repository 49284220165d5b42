import { homedir } from "node:os";
import { join, resolve } from "node:path";

/** Where cairn keeps things. Every path derives from the two roots, which env vars override. */
export interface Paths {
  readonly dataDir: string;
  readonly configDir: string;
  readonly configFile: string;
  readonly projectionsDb: string;
  readonly lockFile: string;
  /** Written by a running gateway: how CLI commands on this machine find it. */
  readonly runtimeFile: string;
  /** The gateway's id on the bus (stable across restarts). */
  readonly gatewayIdFile: string;
  readonly logFile: string;
  /**
   * Each session's working files, and the skills. Gateways sharing one NATS must share these too
   * (`CAIRN_WORKSPACES_DIR`, `CAIRN_SKILLS_DIR` on common storage): a session's owner can change.
   */
  readonly workspacesDir: string;
  readonly skillsDir: string;
}

export const resolvePaths = (env: NodeJS.ProcessEnv = process.env): Paths => {
  const dataDir = resolve(env.CAIRN_DATA_DIR || join(homedir(), ".cairn"));
  const configDir = resolve(env.CAIRN_CONFIG_DIR || join(env.XDG_CONFIG_HOME || join(homedir(), ".config"), "cairn"));
  return {
    dataDir,
    configDir,
    configFile: join(configDir, "cairn.toml"),
    projectionsDb: join(dataDir, "projections", "projections.db"),
    lockFile: join(dataDir, "gateway.lock"),
    runtimeFile: join(dataDir, "gateway.json"),
    gatewayIdFile: join(dataDir, "gateway-id"),
    logFile: join(dataDir, "logs", "gateway.log"),
    workspacesDir: resolve(env.CAIRN_WORKSPACES_DIR || join(dataDir, "workspaces")),
    skillsDir: resolve(env.CAIRN_SKILLS_DIR || join(dataDir, "skills")),
  };
};
