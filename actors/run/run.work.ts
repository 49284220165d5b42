import { setMaxListeners } from "node:events";
import { ROOT_CONTEXT, SpanStatusCode, trace, type Context, type Span } from "@opentelemetry/api";
import { tracer } from "../../bus/index.ts";
import { CairnError } from "../../schemas/index.ts";
import { humanWait } from "./fallback.policy.ts";
import { RunDeadline } from "./run.deadline.ts";

/** The abort reason of a run a person stopped (stop button, Ctrl-C). */
export class RunCancelled extends Error {
  constructor(readonly by: string) {
    super(`cancelled by the user (${by})`);
  }
}

/** Thrown into a model call when the gateway is shutting down. */
export const SHUTDOWN = new CairnError("run_interrupted", "the gateway stopped while this reply was streaming");

/**
 * What a run needs in this process while its effects run — never truth: the machine's context is.
 * Opened by the run's first effect here (at its start, or when it was adopted after a crash; then
 * the time budget starts again) and closed when the run ends.
 */
export interface RunWork {
  /** Stops every effect of the run: cancel, shutdown and the time budget abort it with their reason. */
  readonly abort: AbortController;
  /** `[agent] timeout`, paused while a person is asked. */
  readonly deadline: RunDeadline;
  /** The reply as streamed so far: the machine's text plus what the model call in flight added. */
  text: string;
  /** Index of the next live delta (clients drop repeats by index). */
  nextDelta: number;
}

/** The runs with effects in this process. */
export class RunWorks {
  readonly #open = new Map<string, Promise<RunWork>>();
  /** Each run's trace root in this process: one trace per run (a run adopted after a crash starts another). */
  readonly #spans = new Map<string, Span>();

  /** `timeoutMs`: the run's time budget, read as each run opens here. */
  constructor(private readonly timeoutMs: () => Promise<number>) {}

  /**
   * The trace context of the run's effects: its `run` span, started on first use. Model calls,
   * tool calls, approvals and node commands become its children, and the events its commands
   * append carry its trace id. A no-op span while tracing is off.
   */
  context(runId: string): Context {
    let span = this.#spans.get(runId);
    if (!span) {
      span = tracer().startSpan("run", { root: true, attributes: { "cairn.run.id": runId } }, ROOT_CONTEXT);
      this.#spans.set(runId, span);
    }
    return trace.setSpan(ROOT_CONTEXT, span);
  }

  #endSpan(runId: string, status: string): void {
    const span = this.#spans.get(runId);
    if (!span) return;
    this.#spans.delete(runId);
    span.setAttribute("cairn.run.status", status);
    if (status !== "completed") span.setStatus({ code: SpanStatusCode.ERROR, message: status });
    span.end();
  }

  /** The run's work, opened on first use; `nextDelta` says where its live numbering goes on. */
  open(runId: string, text: string, nextDelta: () => Promise<number>): Promise<RunWork> {
    let w = this.#open.get(runId);
    if (!w) {
      w = Promise.all([nextDelta(), this.timeoutMs()]).then(([next, timeoutMs]) => {
        const abort = new AbortController();
        // Every parallel call (and its sandboxed process) listens on the run's signal.
        setMaxListeners(200, abort.signal);
        const deadline = new RunDeadline(timeoutMs, () =>
          abort.abort(
            new CairnError("timeout", `the run did not finish within its time limit of ${humanWait(timeoutMs)} ([agent] timeout)`),
          ),
        );
        return { abort, deadline, text, nextDelta: next };
      });
      this.#open.set(runId, w);
    }
    return w;
  }

  /** The run's abort controller when it has effects here. */
  async controller(runId: string): Promise<AbortController | undefined> {
    return (await this.#open.get(runId))?.abort;
  }

  async close(runId: string, status = "completed"): Promise<void> {
    this.#endSpan(runId, status);
    const w = this.#open.get(runId);
    this.#open.delete(runId);
    (await w)?.deadline.clear();
  }

  /** Stops the effects of the runs `which` selects with `reason` (their session moved to another gateway). */
  async abortWhere(which: (runId: string) => boolean, reason: unknown): Promise<void> {
    for (const [runId, p] of [...this.#open]) {
      if (!which(runId)) continue;
      this.#open.delete(runId);
      this.#endSpan(runId, "interrupted");
      const w = await p;
      w.deadline.clear();
      w.abort.abort(reason);
    }
  }

  /** Shutdown: every run's effects stop with `reason`, and no time budget outlives the process's work. */
  async abortAll(reason: unknown): Promise<void> {
    const open = [...this.#open.values()];
    this.#open.clear();
    for (const runId of [...this.#spans.keys()]) this.#endSpan(runId, "interrupted");
    for (const p of open) {
      const w = await p;
      w.deadline.clear();
      w.abort.abort(reason);
    }
  }
}
