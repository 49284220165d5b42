import type Docker from "dockerode";
import { checkImage, dockerClient, pingEngine, resolveDockerSocket, unavailable } from "./docker.socket.ts";
import { containerCreateOptions, INSTANCE_LABEL, SANDBOX_LABEL, type ContainerSpecInput } from "./docker.spec.ts";

/**
 * The one container a sandbox (= a session's workspace) runs its commands in: created and started
 * on first use, shared by concurrent first callers, recreated when it is gone (killed, OOM'd,
 * removed by hand) and removed by `dispose`. It holds no domain state: losing it loses /tmp only.
 */
export interface SessionContainer {
  /** The running container. Rejects with `CairnError("unavailable")` saying what to do. */
  get(): Promise<Docker.Container>;
  /** Forgets the current container and removes it: the next `get` starts a fresh one. */
  reset(): Promise<void>;
  /** Id of the current container, if one was started. */
  currentId(): string | undefined;
}

const statusOf = (e: unknown): number | undefined => (e as { statusCode?: number }).statusCode;

export const removeContainer = async (docker: Docker, id: string): Promise<void> => {
  try {
    await docker.getContainer(id).remove({ force: true, v: true });
  } catch (e) {
    // 404: already gone; 409: removal already in progress (a concurrent dispose or reap).
    if (statusOf(e) !== 404 && statusOf(e) !== 409) throw e;
  }
};

export const openSessionContainer = (docker: Docker, socketPath: string, spec: () => ContainerSpecInput): SessionContainer => {
  let current: Promise<Docker.Container> | undefined;
  let id: string | undefined;

  const start = async (): Promise<Docker.Container> => {
    const input = spec();
    let container: Docker.Container;
    try {
      container = await docker.createContainer(containerCreateOptions(input));
    } catch (e) {
      // Say why in terms a user can act on: no engine, no image, or the engine's own message.
      const why = (await pingEngine(socketPath)) ?? (statusOf(e) === 404 ? await checkImage(docker, input.image) : undefined);
      throw unavailable(why ?? `could not create the container: ${(e as Error).message}`);
    }
    id = container.id;
    try {
      await container.start();
    } catch (e) {
      await removeContainer(docker, container.id).catch(() => {});
      id = undefined;
      throw unavailable(`the container did not start: ${(e as Error).message}`);
    }
    return container;
  };

  return {
    get: () => {
      if (!current) {
        current = start();
        // A failed start is not cached: the next command tries again (the engine may be back).
        current.catch(() => {
          current = undefined;
        });
      }
      return current;
    },
    reset: async () => {
      const old = id;
      current = undefined;
      id = undefined;
      if (old) await removeContainer(docker, old);
    },
    currentId: () => id,
  };
};

export interface ReapOptions {
  readonly socketPath?: string;
  /** Only containers of this gateway instance (`SandboxOptions.instance`); all cairn's when absent. */
  readonly instance?: string;
}

/**
 * Removes sandbox containers left behind by a gateway that crashed (found by label). Call once at
 * startup, before any sandbox is created; returns the ids removed. An unreachable engine is not
 * an error here (there is nothing to reap): it returns [].
 */
export const reapSandboxContainers = async (opts: ReapOptions = {}): Promise<string[]> => {
  const socketPath = opts.socketPath ?? resolveDockerSocket();
  if ((await pingEngine(socketPath)) !== undefined) return [];
  const docker = dockerClient(socketPath, 30_000);
  const label = [`${SANDBOX_LABEL}=1`, ...(opts.instance ? [`${INSTANCE_LABEL}=${opts.instance}`] : [])];
  const found = await docker.listContainers({ all: true, filters: { label } });
  for (const c of found) await removeContainer(docker, c.Id);
  return found.map((c) => c.Id);
};
