/**
 * `<dataDir>/node/status.json`: the running agent's own view (connected or not, since when, the
 * last error), so `cairn node status` can answer without talking to the gateway. Written on every
 * change; `pid` lets a reader tell a live agent from a file left by a dead one.
 */
import { readFileSync } from "node:fs";
import { writeJsonFile } from "./node.config.ts";

export interface AgentStatus {
  readonly pid: number;
  readonly connected: boolean;
  /** When the current state began (epoch ms). */
  readonly since: number;
  readonly natsUrl: string;
  readonly lastError: string | null;
  readonly updatedAt: number;
}

export const writeAgentStatus = (file: string, status: AgentStatus): void => {
  try {
    writeJsonFile(file, status);
  } catch {
    // status is a convenience for `cairn node status`; never a reason to stop the agent
  }
};

export function readAgentStatus(file: string): AgentStatus | undefined {
  try {
    const s = JSON.parse(readFileSync(file, "utf8")) as AgentStatus;
    return typeof s.pid === "number" && typeof s.connected === "boolean" ? s : undefined;
  } catch {
    return undefined;
  }
}

export const processAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
};
