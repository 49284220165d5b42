import * as fs from "node:fs";
import { createRequire } from "node:module";
import type Docker from "dockerode";
import { CairnError } from "../../schemas/index.ts";

/**
 * Which engine socket the docker backend talks to. Only unix sockets: the workspace is
 * bind-mounted, so the engine must run on this machine anyway (a `tcp://` DOCKER_HOST is ignored).
 * Podman's Docker-compatible service is found at its usual rootful and rootless paths.
 */
export const resolveDockerSocket = (env: NodeJS.ProcessEnv = process.env, exists: (p: string) => boolean = fs.existsSync): string => {
  const host = env.DOCKER_HOST;
  if (host?.startsWith("unix://")) return host.slice("unix://".length);
  const candidates = [
    "/var/run/docker.sock",
    "/run/podman/podman.sock",
    ...(env.XDG_RUNTIME_DIR ? [`${env.XDG_RUNTIME_DIR}/podman/podman.sock`] : []),
  ];
  // When none exists the Docker path is named, so the error says where it looked first.
  return candidates.find(exists) ?? "/var/run/docker.sock";
};

/**
 * A client for the socket. `timeoutMs` is an idle-socket timeout applied to every request, which
 * suits pings and inspections but would cut a quiet long-running exec stream: exec uses a client
 * without it.
 */
export const dockerClient = (socketPath: string, timeoutMs?: number): Docker => {
  DockerClient ??= createRequire(import.meta.url)("dockerode") as typeof Docker;
  return new DockerClient(timeoutMs === undefined ? { socketPath } : { socketPath, timeout: timeoutMs });
};

// dockerode (and the HTTP/SSH stack under it) loads with the first client, not with the sandbox
// door: `cairn node run` and most CLI commands import this folder and never talk to an engine.
let DockerClient: typeof Docker | undefined;

/** Why the engine at `socketPath` cannot be used, in words that say what to do; undefined when it answers. */
export const pingEngine = async (socketPath: string, timeoutMs = 3_000): Promise<string | undefined> => {
  if (!fs.existsSync(socketPath)) {
    return `no Docker or Podman socket at ${socketPath}: start the engine (dockerd, or \`podman system service\`) or set its socket path`;
  }
  try {
    await dockerClient(socketPath, timeoutMs).ping();
    return undefined;
  } catch (e) {
    return `the engine at ${socketPath} does not answer (${(e as Error).message}): is dockerd/podman running, and may this user use its socket?`;
  }
};

/** Why `image` cannot be used (cairn never pulls: no registry is assumed reachable); undefined when present. */
export const checkImage = async (docker: Docker, image: string): Promise<string | undefined> => {
  try {
    await docker.getImage(image).inspect();
    return undefined;
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404) {
      return `image ${image} is not on this engine and cairn never pulls images: build it locally from busybox-static (buildSandboxImage, see the README's "Docker sandbox" section) or set another local image`;
    }
    return `could not inspect image ${image}: ${(e as Error).message}`;
  }
};

export const unavailable = (reason: string): CairnError =>
  new CairnError("unavailable", `docker sandbox unavailable: ${reason}`, { reason });
