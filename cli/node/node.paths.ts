import { join } from "node:path";

/** Where a node keeps its things, all under the data dir (default `~/.cairn`). */
export interface NodePaths {
  readonly dataDir: string;
  /** `<dataDir>/node/`, mode 0700: the key, the creds and the agent's status. */
  readonly dir: string;
  /** The NATS user seed (`SU...`), mode 0600. Never leaves this machine. */
  readonly seedFile: string;
  /** JWT + seed, written on approval, mode 0600. */
  readonly credsFile: string;
  /** Settings (`~/.cairn/node.json`): gateway, name, id, working dir, timeout. */
  readonly configFile: string;
  /** Written by the running agent: connected or not, since when, last error. */
  readonly statusFile: string;
  /** Full output of commands whose result was truncated. */
  readonly outputDir: string;
  readonly logFile: string;
}

export const nodePaths = (dataDir: string): NodePaths => {
  const dir = join(dataDir, "node");
  return {
    dataDir,
    dir,
    seedFile: join(dir, "node.seed"),
    credsFile: join(dir, "node.creds"),
    configFile: join(dataDir, "node.json"),
    statusFile: join(dir, "status.json"),
    outputDir: join(dir, "output"),
    logFile: join(dataDir, "logs", "node.log"),
  };
};
