import { spawn, type ChildProcessByStdio } from "node:child_process";
import type { Readable } from "node:stream";
import { CairnError } from "../../schemas/index.ts";
import { openCommandCgroup, type CgroupLimits } from "./cgroup.limits.ts";
import { ABORTED_BEFORE_START, armCommandStop, type CommandRunSpec, type RunOutcome } from "./command.stop.ts";
import { watchDiskQuota, workspaceUsage } from "./disk.quota.ts";
import { openOutputCapture } from "./output.capture.ts";

/**
 * Runs one argv as its own process group, with limits, timeout, abort and output capture; shared
 * by every backend. The process is started through a tiny host shell that first joins the
 * command's cgroups and sets rlimits, then `exec`s the argv, so nothing runs unlimited even for
 * a moment.
 */
export interface RunSpec extends CommandRunSpec {
  readonly argv: ReadonlyArray<string>;
  readonly env: Record<string, string>;
  readonly cwd: string;
  readonly limits: CgroupLimits & { readonly cpuSeconds?: number | undefined };
  /** The workspace disk quota (disk.quota.ts): RLIMIT_FSIZE for what is left, and a watcher. */
  readonly disk?: { readonly root: string; readonly quotaBytes: number } | undefined;
}

const shQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** The host-side prelude: join cgroups, set rlimits the cgroups do not cover, exec. */
const prelude = (procsFiles: ReadonlyArray<string>, spec: RunSpec, cgroupMemory: boolean, fileBytes: number | undefined): string => {
  const lines = procsFiles.map((f) => `echo $$ > ${shQuote(f)} || exit 125`);
  // POSIX sh (dash, and bash as sh) counts -f in 512-byte blocks.
  if (fileBytes !== undefined) lines.push(`ulimit -f ${Math.max(1, Math.floor(fileBytes / 512))} || exit 125`);
  const { cpuSeconds, memoryMb, pids } = spec.limits;
  if (cpuSeconds !== undefined) lines.push(`ulimit -t ${Math.ceil(cpuSeconds)} || exit 125`);
  // RLIMIT_AS is a crude stand-in for a memory cgroup (it counts address space, which JIT runtimes
  // reserve generously), so it is only used where no cgroup enforces memory.
  if (memoryMb !== undefined && !cgroupMemory) lines.push(`ulimit -v ${memoryMb * 1024} || exit 125`);
  // bash says -u, dash says -p; neither binds uid 0 (see cgroup.limits.ts).
  if (pids !== undefined) lines.push(`ulimit -u ${pids} 2>/dev/null || ulimit -p ${pids} 2>/dev/null || :`);
  lines.push(`exec "$@"`);
  return lines.join("\n");
};

/**
 * The largest file a command may write: what is left of the quota. A workspace already over it
 * (the command may be the clean-up) gets the whole quota per file instead; the watcher then holds
 * the total where it started.
 */
const fileLimit = (quota: number, usage: number): number => (usage < quota ? quota - usage : quota);

export const runProcess = async (spec: RunSpec): Promise<RunOutcome> => {
  const started = spec.now();
  if (spec.signal?.aborted) return ABORTED_BEFORE_START;
  const disk = spec.disk;
  const usageAtStart = disk ? await workspaceUsage(disk.root) : 0;
  const cgroup = openCommandCgroup(spec.id, spec.limits);
  const cgroupMemory = cgroup?.enforced.includes("memory") ?? false;
  const capture = await openOutputCapture(spec);
  // Cancelled while the quota was measured or the capture opened: the abort event has fired already.
  if (spec.signal?.aborted) {
    await capture.discard();
    await cgroup?.dispose();
    return ABORTED_BEFORE_START;
  }

  let child: ChildProcessByStdio<null, Readable, Readable>;
  try {
    child = spawn(
      "/bin/sh",
      [
        "-c",
        prelude(cgroup?.procsFiles ?? [], spec, cgroupMemory, disk ? fileLimit(disk.quotaBytes, usageAtStart) : undefined),
        "sh",
        ...spec.argv,
      ],
      {
        cwd: spec.cwd,
        env: spec.env,
        detached: true, // its own process group, so a timeout reaches every descendant
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
  } catch (e) {
    await capture.discard();
    await cgroup?.dispose();
    throw new CairnError("internal", `could not start the command: ${(e as Error).message}`);
  }

  const onData = (stream: "stdout" | "stderr") => (chunk: Buffer) => capture.write(stream, chunk);
  child.stdout.on("data", onData("stdout"));
  child.stderr.on("data", onData("stderr"));

  // No pid: the spawn failed, and its "error" event below says why.
  const pgid = child.pid;
  const killGroup = (sig: NodeJS.Signals): void => {
    try {
      if (pgid !== undefined) process.kill(-pgid, sig);
    } catch {}
    if (sig === "SIGKILL") cgroup?.killAll();
  };
  const stop = armCommandStop(spec, (after) => {
    killGroup("SIGTERM");
    after(spec.killGraceMs, () => killGroup("SIGKILL"));
  });

  let overQuota = false;
  const watcher = disk
    ? watchDiskQuota(disk.root, disk.quotaBytes, usageAtStart, () => {
        overQuota = true;
        killGroup("SIGKILL");
      })
    : undefined;
  const [exitCode, signal] = await new Promise<[number | null, string | null]>((resolve, reject) => {
    child.once("error", (e) => reject(new CairnError("internal", `command failed to start: ${e.message}`)));
    // Leftover background processes die with the command: otherwise they would hold the pipes
    // open (and the result back) until the timeout, and outlive a tool call nobody tracks.
    child.once("exit", () => killGroup("SIGKILL"));
    child.once("close", (code, sig) => resolve([code, sig]));
  }).finally(() => {
    stop.dispose();
    watcher?.stop();
  });
  await cgroup?.dispose();
  const output = await capture.finish();
  const { timedOut, aborted } = stop;
  // Also over when the command ended between two scans, or when the kernel stopped a file at the
  // RLIMIT_FSIZE (SIGXFSZ; under bwrap its status 128+25).
  if (disk && !overQuota) {
    overQuota =
      signal === "SIGXFSZ" ||
      exitCode === 153 ||
      (await workspaceUsage(disk.root, Math.max(disk.quotaBytes, usageAtStart))) > Math.max(disk.quotaBytes, usageAtStart);
  }
  return {
    exitCode,
    signal,
    ...output,
    timedOut,
    aborted,
    ...(overQuota ? { diskQuotaExceeded: true } : {}),
    durationMs: Math.max(0, Math.round(spec.now() - started)),
  };
};
