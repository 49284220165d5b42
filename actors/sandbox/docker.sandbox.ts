import { createHash } from "node:crypto";
import * as fs from "node:fs";
import { CairnError } from "../../schemas/index.ts";
import { openSessionContainer } from "./docker.container.ts";
import { runDockerExec } from "./docker.exec.ts";
import { dockerClient, resolveDockerSocket } from "./docker.socket.ts";
import { DEFAULT_SANDBOX_IMAGE, safeExecId } from "./docker.spec.ts";
import { DEFAULT_PATH, filterEnv } from "./env.filter.ts";
import type { ExecRequest, ExecResult, Sandbox, SandboxDescription, SandboxOptions } from "./sandbox.ts";
import { resolveWorkdir } from "./workspace.paths.ts";

export interface DockerSandboxContext {
  readonly opts: SandboxOptions;
  /** Real path of the workspace (already checked to be a directory). */
  readonly workspace: string;
  readonly newId: () => string;
  readonly now: () => number;
  readonly checkRequest: (req: ExecRequest) => void;
}

/** The workspace owner's `uid:gid` (see docker.spec.ts for why commands run as them). */
const ownerOf = (workspace: string): string => {
  const st = fs.statSync(workspace);
  return `${st.uid}:${st.gid}`;
};

const describeDocker = (opts: SandboxOptions, workspace: string, image: string, mount: "rw" | "ro"): SandboxDescription => {
  const network = opts.network ?? false;
  const limits: SandboxDescription["limits"] = {
    pids: opts.pids === undefined ? "none" : "cgroup",
    memory: opts.memoryMb === undefined ? "none" : "cgroup",
    // RLIMIT_CPU per process (set by the exec wrapper); `cpus` is a share, not a budget.
    cpu: opts.cpuSeconds === undefined ? "none" : "rlimit",
  };
  const parts = [
    opts.memoryMb !== undefined ? `memory ${opts.memoryMb} MiB` : undefined,
    opts.pids !== undefined ? `pids ${opts.pids}` : undefined,
    opts.cpus !== undefined ? `cpus ${opts.cpus}` : undefined,
    opts.cpuSeconds !== undefined ? `cpu time ${opts.cpuSeconds} s per process` : undefined,
  ].filter((p) => p !== undefined);
  return {
    backend: "docker",
    isolated: true,
    network,
    workspace,
    limits,
    summary:
      `sandbox: docker (image ${image}, ${network ? `network ${opts.networkMode ?? "bridge"}` : "no network"}, read-only root, ` +
      `workspace ${mount} ${workspace}; ${parts.length > 0 ? parts.join(", ") : "no resource limits"})`,
  };
};

/**
 * The docker backend: a container per sandbox, created on the first command. Creating the
 * sandbox touches no engine (it stays synchronous); an unreachable engine or a missing image is
 * reported by the first `exec` as `CairnError("unavailable")` with what to do.
 */
export const createDockerSandbox = (ctx: DockerSandboxContext): Sandbox => {
  const { opts, workspace } = ctx;
  const image = opts.image ?? DEFAULT_SANDBOX_IMAGE;
  const mount = opts.workspaceMount ?? "rw";
  const socketPath = opts.socketPath ?? resolveDockerSocket(opts.hostEnv ?? process.env);
  const docker = dockerClient(socketPath);
  const user = opts.user ?? ownerOf(workspace);
  const tag = createHash("sha256").update(workspace).digest("hex").slice(0, 10);
  const session = openSessionContainer(docker, socketPath, () => ({
    image,
    workspace,
    workspaceMount: mount,
    user,
    network: opts.network ?? false,
    networkMode: opts.networkMode ?? "bridge",
    memoryMb: opts.memoryMb,
    cpus: opts.cpus,
    pids: opts.pids,
    tmpMb: opts.tmpMb ?? 256,
    path: DEFAULT_PATH,
    instance: opts.instance,
    name: `cairn-sbx-${tag}-${safeExecId(ctx.newId()).slice(0, 12)}`,
  }));
  const description = describeDocker(opts, workspace, image, mount);

  const exec = async (req: ExecRequest): Promise<ExecResult> => {
    ctx.checkRequest(req);
    const workdir = resolveWorkdir(workspace, req.cwd);
    // The image's PATH, not the host's: host directories do not exist in the container.
    const { env, dropped } = filterEnv({ host: opts.hostEnv ?? process.env, request: req.env, home: workspace, path: DEFAULT_PATH });
    const id = safeExecId(ctx.newId());
    const run = async () =>
      runDockerExec({
        container: await session.get(),
        id,
        command: req.command,
        env,
        workdir,
        user,
        cpuSeconds: opts.cpuSeconds,
        timeoutMs: req.timeoutMs,
        killGraceMs: opts.killGraceMs ?? 2_000,
        maxOutputBytes: req.maxOutputBytes,
        outputDir: opts.outputDir,
        workspace,
        fullOutputMaxBytes: opts.fullOutputMaxBytes ?? 64 * 1024 * 1024,
        now: ctx.now,
        signal: req.signal,
        onOutput: req.onOutput,
        onLost: () => session.reset(),
      });
    let outcome: Awaited<ReturnType<typeof run>>;
    try {
      outcome = await run();
    } catch (e) {
      // The container died or was removed since the last command: the exec was refused before
      // anything ran, so a fresh container and one more attempt cannot run the command twice.
      const status = e instanceof CairnError ? (e.details as { statusCode?: number } | undefined)?.statusCode : undefined;
      if (status !== 404 && status !== 409) throw e;
      await session.reset().catch(() => {});
      outcome = await run();
    }
    return { ...outcome, droppedEnv: dropped.map((d) => `${d.name} (${d.reason})`) };
  };

  return { backend: "docker", exec, describe: () => description, dispose: () => session.reset() };
};
