import type { EventLog } from "../../bus/index.ts";
import type { RunContext } from "../run/index.ts";
import type { SessionContext } from "../session/index.ts";

export interface RunOutcomeReads {
  readonly run: (runId: string) => Promise<RunContext>;
  readonly session: (key: string) => Promise<SessionContext>;
  readonly log: EventLog;
  /** Adopts sessions left by a dead host (their stuck runs are closed). */
  readonly recover: (keys: readonly string[]) => Promise<unknown>;
}

/**
 * How a run ended, for a cron job watching it. The run's final usage is in its end event (the
 * context only sums the calls that asked for tools).
 */
export const runOutcomeReader =
  (r: RunOutcomeReads) =>
  async (runId: string, sessionKey: string): Promise<RunContext> => {
    const c = await r.run(runId);
    if (c.status === "new" || c.status === "running") {
      // A run that never started (the gateway died first) stays "new" in its own log; its session
      // records the end instead (adoptRun). The session having moved on is the run's end.
      const session = await r.session(sessionKey);
      if (session.activeRun?.runId !== runId && session.recentUserMessages.some((m) => m.runId === runId)) {
        return {
          ...c,
          status: "interrupted" as const,
          error: { code: "run_interrupted" as const, message: "the run ended before it started" },
        };
      }
      return c;
    }
    // Ended in its own log, but its session still holds it (a crash between the run's end and the
    // session's record of it, or that record on its way): the session would refuse the job's next
    // slot as busy, a claimed slot with no run. So the job's run ends when its session has let go:
    // adopting the session closes it (its `run.ended` then wakes the watch up again).
    if ((await r.session(sessionKey)).activeRun?.runId === runId) {
      await r.recover([sessionKey]);
      if ((await r.session(sessionKey)).activeRun?.runId === runId) return { ...c, status: "running" as const };
    }
    if (c.status !== "completed") return c;
    const end = (await r.log.load("run", runId)).records.findLast((e) => e.ok && e.event.type === "run.completed");
    return { ...c, usage: end?.ok && end.event.type === "run.completed" ? (end.event.data.usage ?? c.usage) : c.usage };
  };
