import type { AnyStateMachine, SnapshotFrom } from "xstate";
import type { AggregateHost } from "./aggregate.host.ts";
import type { Dispatch } from "./dispatch.ts";

/**
 * Repairs what a crash left half-done, from the log's point of view (never from memory):
 * - a session whose run never started: the run is recorded as interrupted on the session;
 * - a run still "running": nothing is streaming it any more, so it is interrupted (its streamed
 *   text kept) — never re-run, so a crash can't make the model answer twice;
 * - a run that ended but whose session never heard of it: the end is recorded on the session;
 * - except a run stopped at its tool step before any call started (typically waiting for an
 *   approval): nothing ran, so it is picked up again and the pending approval keeps its meaning.
 */
export async function recoverSessions(opts: {
  sessionKeys: readonly string[];
  sessions: AggregateHost<AnyStateMachine, unknown>;
  runs: AggregateHost<AnyStateMachine, unknown>;
  dispatch: Dispatch;
  streamedText: (sessionKey: string, runId: string, sinceMs: number) => Promise<string>;
  /** Picks a run up where it stopped when that is safe (no call had started); true when it did. */
  resume?: (sessionKey: string, runId: string, startedAt: number) => Promise<boolean>;
  report: (line: string) => void;
}): Promise<number> {
  let repaired = 0;
  for (const key of opts.sessionKeys) {
    try {
      const session = (await opts.sessions.read(key)).snapshot as SnapshotFrom<AnyStateMachine>;
      const active = session.context.activeRun as { runId: string; startedAt: number } | null;
      if (!active) continue;
      const run = (await opts.runs.read(active.runId)).snapshot.context as {
        status: string;
        text: string;
        error: unknown;
      };
      if (run.status === "new") {
        await opts.dispatch("session", key, "end_run", {
          runId: active.runId,
          status: "interrupted",
          text: "",
          error: { code: "run_interrupted", message: "the gateway stopped before the reply started" },
        });
      } else if (run.status === "running" && (await opts.resume?.(key, active.runId, active.startedAt))) {
        opts.report(`resumed run ${active.runId} of session ${key} at its tool step (nothing had started running)`);
      } else if (run.status === "running") {
        const partialText = await opts.streamedText(key, active.runId, active.startedAt).catch(() => "");
        await opts.dispatch("run", active.runId, "interrupt", {
          reason: "the gateway stopped while this reply was streaming",
          partialText,
        });
      } else {
        await opts.dispatch("session", key, "end_run", {
          runId: active.runId,
          status: run.status,
          text: run.text,
          ...(run.error ? { error: run.error } : {}),
        });
      }
      repaired++;
      opts.report(`recovered session ${key}: run ${active.runId} was ${run.status}`);
    } catch (e) {
      opts.report(`could not recover session ${key}: ${(e as Error).message}`);
    }
  }
  return repaired;
}
