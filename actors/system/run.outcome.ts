import type { EventLog } from "../../bus/index.ts";
import type { RunContext } from "../run/index.ts";
import type { SessionContext } from "../session/index.ts";

export interface RunOutcomeReads {
  readonly run: (runId: string) => Promise<RunContext>;
  readonly session: (key: string) => Promise<SessionContext>;
  readonly log: EventLog;
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
    if (c.status !== "completed") return c;
    const end = (await r.log.load("run", runId)).records.findLast((e) => e.ok && e.event.type === "run.completed");
    return { ...c, usage: end?.ok && end.event.type === "run.completed" ? (end.event.data.usage ?? c.usage) : c.usage };
  };
