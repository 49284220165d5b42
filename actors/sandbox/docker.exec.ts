import { constants } from "node:os";
import type { Duplex } from "node:stream";
import type Docker from "dockerode";
import { CairnError } from "../../schemas/index.ts";
import { createDemuxer } from "./docker.demux.ts";
import { EXEC_MARKER, execWrapper, killCommand } from "./docker.spec.ts";
import { ABORTED_BEFORE_START, armCommandStop, type CommandRunSpec, type RunOutcome } from "./command.stop.ts";
import { openOutputCapture } from "./output.capture.ts";

/**
 * One command as a `docker exec` in the session's container, with the contract of `runProcess`:
 * timeout and abort stop the command and everything it started, output is demultiplexed into
 * stdout/stderr and capped, the exit code comes from the exec's inspection.
 *
 * Stopping: Docker has no "kill this exec" call, so a second exec signals every process carrying
 * the command's marker (SIGTERM, then SIGKILL after the grace). Should the stream still not end
 * (a process that scrubbed its environment and holds the output open), the container itself is
 * removed (`onLost`), which ends everything in it; the next command gets a fresh one.
 */
export interface DockerExecSpec extends CommandRunSpec {
  readonly container: Docker.Container;
  readonly command: string;
  readonly env: Record<string, string>;
  readonly workdir: string;
  readonly user: string;
  readonly cpuSeconds?: number | undefined;
  /** Called when the command could not be stopped inside the container; must remove it. */
  readonly onLost: () => Promise<void>;
}

/** Runs an exec to completion, output discarded (the stop helper). */
const runQuiet = async (container: Docker.Container, cmd: string[], user: string): Promise<void> => {
  const exec = await container.exec({ Cmd: cmd, User: user, AttachStdout: true, AttachStderr: true, Tty: false });
  const stream = (await exec.start({ hijack: true, stdin: false })) as Duplex;
  await new Promise<void>((resolve) => {
    stream.on("data", () => {});
    stream.once("end", resolve);
    stream.once("close", resolve);
    stream.once("error", () => resolve());
  });
};

const signalName = (code: number): string | undefined => Object.entries(constants.signals).find(([, n]) => n === code - 128)?.[0];

/** The exit code once the engine has recorded it (the stream can end a moment before). */
const exitCodeOf = async (exec: Docker.Exec): Promise<number | null> => {
  for (let i = 0; i < 100; i++) {
    const info = await exec.inspect();
    if (!info.Running) return info.ExitCode ?? null;
    await new Promise((r) => setTimeout(r, 10));
  }
  return null;
};

export const runDockerExec = async (spec: DockerExecSpec): Promise<RunOutcome> => {
  const started = spec.now();
  if (spec.signal?.aborted) return ABORTED_BEFORE_START;
  const env = [...Object.entries(spec.env).map(([k, v]) => `${k}=${v}`), `${EXEC_MARKER}=${spec.id}`];
  let exec: Docker.Exec;
  let stream: Duplex;
  try {
    exec = await spec.container.exec({
      Cmd: ["/bin/sh", "-c", execWrapper(spec.cpuSeconds), "cairn-exec", spec.command],
      Env: env,
      WorkingDir: spec.workdir,
      User: spec.user,
      AttachStdin: false,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
    });
    stream = (await exec.start({ hijack: true, stdin: false })) as Duplex;
  } catch (e) {
    // Nothing ran yet; the status (409/404: the container is gone or stopped) lets the caller
    // start a fresh container and try once more without running anything twice.
    throw new CairnError("unavailable", `docker sandbox: could not start the command: ${(e as Error).message}`, {
      statusCode: (e as { statusCode?: number }).statusCode,
    });
  }

  const capture = await openOutputCapture(spec);
  const demux = createDemuxer((s, payload) => capture.write(s, payload));
  stream.on("data", (chunk: Buffer) => demux.push(chunk));

  const signalAll = (sig: "TERM" | "KILL"): Promise<void> => runQuiet(spec.container, killCommand(spec.id, sig), spec.user).catch(() => {});
  const stop = armCommandStop(spec, (after) => {
    void signalAll("TERM");
    after(spec.killGraceMs, () => void signalAll("KILL"));
    after(spec.killGraceMs * 2 + 5_000, () => {
      stream.destroy();
      spec.onLost().catch(() => {});
    });
  });

  await new Promise<void>((resolve) => {
    stream.once("end", resolve);
    stream.once("close", resolve);
    stream.once("error", () => resolve());
  }).finally(stop.dispose);
  const { timedOut, aborted } = stop;
  // The exec ends with its main process; what ignored SIGTERM may still run: the stop is not
  // over until everything of the command is gone.
  if (timedOut || aborted) await signalAll("KILL");

  let code: number | null = null;
  try {
    code = await exitCodeOf(exec);
  } catch {
    // The container went away with the command (reset after an unkillable command, OOM of PID 1).
  }
  const output = await capture.finish();
  // Killed by us: report the signal like the process backends do, not the shell's 128+n.
  const killedBy = (timedOut || aborted) && code !== null && code > 128 ? signalName(code) : undefined;
  const exitCode = killedBy !== undefined || ((timedOut || aborted) && code === null) ? null : code;
  const signal = killedBy ?? ((timedOut || aborted) && code === null ? "SIGKILL" : null);
  return { exitCode, signal, ...output, timedOut, aborted, durationMs: Math.max(0, Math.round(spec.now() - started)) };
};
