import type { CaptureSpec } from "./output.capture.ts";
import type { ExecResult } from "./sandbox.ts";

/**
 * What the two command runners (`runProcess` on the host, `runDockerExec` in a container) share:
 * the run's common spec, its outcome, and the one stop on timeout or abort, so both keep the same
 * contract (a timeout and an abort stop the command once; the result says which).
 */
export interface CommandRunSpec extends CaptureSpec {
  readonly timeoutMs: number;
  readonly killGraceMs: number;
  readonly now: () => number;
  readonly signal?: AbortSignal | undefined;
}

/** What one command did: an `ExecResult` before the sandbox adds what it filtered. */
export type RunOutcome = Omit<ExecResult, "droppedEnv">;

/** The outcome of a command whose signal was aborted before it started: nothing ran. */
export const ABORTED_BEFORE_START: RunOutcome = {
  exitCode: null,
  signal: null,
  stdout: "",
  stderr: "",
  truncated: false,
  timedOut: false,
  aborted: true,
  durationMs: 0,
};

export interface CommandStop {
  readonly timedOut: boolean;
  readonly aborted: boolean;
  /** Clears the timeout, the steps `stop` scheduled and the abort listener: the command is over. */
  dispose(): void;
}

/**
 * Arms the timeout and the abort signal: either calls `stop` (an abort after a timeout does not
 * call it again); `after` schedules a later step of the stop (the SIGKILL after the grace), which
 * `dispose` clears with the rest.
 */
export const armCommandStop = (
  spec: Pick<CommandRunSpec, "timeoutMs" | "signal">,
  stop: (after: (ms: number, step: () => void) => void) => void,
): CommandStop => {
  const timers: NodeJS.Timeout[] = [];
  const after = (ms: number, step: () => void): void => {
    timers.push(setTimeout(step, ms));
  };
  let timedOut = false;
  let aborted = false;
  after(spec.timeoutMs, () => {
    timedOut = true;
    stop(after);
  });
  const onAbort = (): void => {
    if (timedOut || aborted) return;
    aborted = true;
    stop(after);
  };
  spec.signal?.addEventListener("abort", onAbort, { once: true });
  return {
    get timedOut() {
      return timedOut;
    },
    get aborted() {
      return aborted;
    },
    dispose: () => {
      for (const t of timers) clearTimeout(t);
      spec.signal?.removeEventListener("abort", onAbort);
    },
  };
};
