import * as fs from "node:fs";
import { probeBubblewrap } from "./bubblewrap.probe.ts";
import { DEFAULT_SANDBOX_IMAGE } from "./docker.spec.ts";
import { checkImage, dockerClient, pingEngine, resolveDockerSocket } from "./docker.socket.ts";
import type { SandboxBackendName } from "./sandbox.ts";

export interface DetectOptions {
  readonly image?: string;
  readonly socketPath?: string;
  readonly bwrap?: string;
  /** Per engine request (default 3 s): a hung socket must not hold the gateway's start. */
  readonly timeoutMs?: number;
  readonly env?: NodeJS.ProcessEnv;
}

export interface DetectedBackends {
  /** Strongest first. `none` is always there. */
  readonly available: SandboxBackendName[];
  /** What `auto` means here: docker > bubblewrap > none. */
  readonly strongest: SandboxBackendName;
  /** Per backend: why it is unavailable, or what was found. */
  readonly reasons: Record<string, string>;
}

/**
 * Which sandbox backends really work on this machine, for the gateway to resolve `auto` once at
 * startup (and for `cairn doctor`). Docker counts only when its socket answers a ping and the
 * image is already local: cairn never pulls.
 */
export const detectSandboxBackends = async (opts: DetectOptions = {}): Promise<DetectedBackends> => {
  const reasons: Record<string, string> = {};
  const available: SandboxBackendName[] = [];
  const image = opts.image ?? DEFAULT_SANDBOX_IMAGE;
  const socketPath = opts.socketPath ?? resolveDockerSocket(opts.env ?? process.env);
  const timeoutMs = opts.timeoutMs ?? 3_000;
  const engine = await pingEngine(socketPath, timeoutMs);
  const missing = engine ?? (await checkImage(dockerClient(socketPath, timeoutMs), image));
  if (missing === undefined) {
    available.push("docker");
    reasons.docker = `engine at ${socketPath}, image ${image}`;
  } else reasons.docker = missing;

  const bwrap = opts.bwrap ?? (fs.existsSync("/usr/bin/bwrap") ? "/usr/bin/bwrap" : "bwrap");
  const probe = probeBubblewrap(bwrap);
  if (probe.ok) {
    available.push("bubblewrap");
    reasons.bubblewrap = `${bwrap} builds a sandbox here`;
  } else reasons.bubblewrap = `bubblewrap cannot create a sandbox here: ${probe.reason}`;

  available.push("none");
  reasons.none = "always available: commands run on the host without isolation";
  return { available, strongest: available[0], reasons };
};
