import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { CairnError } from "../../schemas/index.ts";
import { bwrapArgv } from "./bubblewrap.args.ts";
import { createDockerSandbox } from "./docker.sandbox.ts";
import { probeBubblewrap } from "./bubblewrap.probe.ts";
import { DEFAULT_DISK_QUOTA_BYTES } from "./disk.quota.ts";
import { openCommandCgroup } from "./cgroup.limits.ts";
import { DEFAULT_PATH, filterEnv } from "./env.filter.ts";
import { runProcess } from "./process.runner.ts";
import {
  NO_SANDBOX_WARNING,
  type ExecRequest,
  type ExecResult,
  type Sandbox,
  type SandboxBackendName,
  type SandboxDescription,
  type SandboxOptions,
} from "./sandbox.ts";
import { resolveWorkdir } from "./workspace.paths.ts";

const BWRAP = fs.existsSync("/usr/bin/bwrap") ? "/usr/bin/bwrap" : "bwrap";

const positive = (name: string, v: number | undefined): void => {
  if (v !== undefined && !(Number.isFinite(v) && v > 0))
    throw new CairnError("bad_request", `${name} must be a positive number`, { [name]: v });
};

/** Which mechanism enforces each limit on this machine, found by opening a throwaway cgroup. */
const limitMechanisms = (opts: SandboxOptions, id: string): SandboxDescription["limits"] => {
  const cg = openCommandCgroup(`probe-${id}`, { pids: opts.pids, memoryMb: opts.memoryMb });
  const enforced = cg?.enforced ?? [];
  void cg?.dispose();
  const root = process.getuid?.() === 0;
  return {
    pids: opts.pids === undefined ? "none" : enforced.includes("pids") ? "cgroup" : root ? "none" : "rlimit",
    memory: opts.memoryMb === undefined ? "none" : enforced.includes("memory") ? "cgroup" : "rlimit",
    cpu: opts.cpuSeconds === undefined ? "none" : "rlimit",
  };
};

const checkRequest = (req: ExecRequest): void => {
  if (typeof req.command !== "string" || req.command.length === 0) throw new CairnError("bad_request", "command is empty");
  positive("timeoutMs", req.timeoutMs);
  positive("maxOutputBytes", req.maxOutputBytes);
};

/**
 * A sandbox for one workspace. Synchronous, so `auto` here only weighs the process backends:
 * bubblewrap when it really works (probed once), else `none`, whose description carries a warning
 * that must be shown. Docker needs the engine (async): the gateway resolves `auto` once with
 * `detectSandboxBackends` at startup and passes the concrete backend.
 */
export const createSandbox = (opts: SandboxOptions): Sandbox => {
  if (!path.isAbsolute(opts.workspace)) throw new CairnError("bad_request", "workspace must be an absolute path");
  if (!fs.existsSync(opts.workspace) || !fs.statSync(opts.workspace).isDirectory()) {
    throw new CairnError("bad_request", `workspace ${opts.workspace} is not a directory`);
  }
  positive("memoryMb", opts.memoryMb);
  positive("pids", opts.pids);
  positive("cpuSeconds", opts.cpuSeconds);
  positive("cpus", opts.cpus);
  positive("tmpMb", opts.tmpMb);
  positive("diskBytes", opts.diskBytes);
  const newId = opts.newId ?? randomUUID;
  const now = opts.now ?? (() => performance.now());
  if (opts.backend === "docker") {
    return createDockerSandbox({ opts, workspace: fs.realpathSync(opts.workspace), newId, now, checkRequest });
  }
  let backend: Exclude<SandboxBackendName, "docker">;
  if (opts.backend === "none") backend = "none";
  else {
    const probe = probeBubblewrap(BWRAP);
    if (probe.ok) backend = "bubblewrap";
    else if (opts.backend === "auto") backend = "none";
    else throw new CairnError("unavailable", `bubblewrap cannot create a sandbox here: ${probe.reason}`, { reason: probe.reason });
  }
  const workspace = fs.realpathSync(opts.workspace);
  const network = backend === "bubblewrap" ? (opts.network ?? false) : true;
  const limits = limitMechanisms(opts, newId());
  const description: SandboxDescription = {
    backend,
    isolated: backend !== "none",
    network,
    workspace,
    limits,
    ...(backend === "none" ? { warning: NO_SANDBOX_WARNING } : {}),
    summary:
      backend === "none"
        ? `sandbox: none — ${NO_SANDBOX_WARNING}`
        : `sandbox: bubblewrap (${network ? "network shared" : "no network"}, read-only system, writable workspace ${workspace}; ` +
          `pids: ${limits.pids}, memory: ${limits.memory}, cpu: ${limits.cpu})`,
  };

  const exec = async (req: ExecRequest): Promise<ExecResult> => {
    checkRequest(req);
    const workdir = resolveWorkdir(workspace, req.cwd);
    const hostEnv = opts.hostEnv ?? process.env;
    // Under bubblewrap the host PATH may name directories that are not mounted.
    const { env, dropped } = filterEnv({
      host: hostEnv,
      request: req.env,
      home: workspace,
      path: backend === "bubblewrap" ? DEFAULT_PATH : undefined,
    });
    const id = newId();
    const argv =
      backend === "bubblewrap" ? bwrapArgv(BWRAP, { workspace, workdir, network, env }, req.command) : ["/bin/sh", "-c", req.command];
    const outcome = await runProcess({
      id,
      argv,
      env: backend === "bubblewrap" ? { PATH: DEFAULT_PATH } : env,
      cwd: workdir,
      limits: { pids: opts.pids, memoryMb: opts.memoryMb, cpuSeconds: opts.cpuSeconds },
      disk: { root: workspace, quotaBytes: opts.diskBytes ?? DEFAULT_DISK_QUOTA_BYTES },
      timeoutMs: req.timeoutMs,
      maxOutputBytes: req.maxOutputBytes,
      outputDir: opts.outputDir,
      workspace,
      fullOutputMaxBytes: opts.fullOutputMaxBytes ?? 64 * 1024 * 1024,
      killGraceMs: opts.killGraceMs ?? 2_000,
      now,
      signal: req.signal,
      onOutput: req.onOutput,
    });
    return { ...outcome, droppedEnv: dropped.map((d) => `${d.name} (${d.reason})`) };
  };

  // Nothing is held between commands: every process of a command dies with it.
  return { backend, exec, describe: () => description, dispose: async () => {} };
};

/** One line for the startup banner and the UI; for `none` it is the warning. */
export const describeSandbox = (sandbox: Sandbox): string => sandbox.describe().summary;
