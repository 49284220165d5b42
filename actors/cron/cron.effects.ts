import { CairnError, isCairnError, toWireError } from "../../schemas/index.ts";
import type { Dispatch, EffectSupervisor } from "../runtime/index.ts";
import { CronTimers, type CronClock } from "./cron.clock.ts";
import type { CronEffects, StartRunParams, WatchRunParams } from "./cron.machine.ts";
import type { RunOutcome } from "./cron.run.watch.ts";

export interface CronEffectDeps {
  readonly clock: CronClock;
  /** Reaches any aggregate wherever it is owned: a job's session may live in another partition. */
  readonly dispatch: Dispatch;
  /** Resolves when the run ended (undefined: aborted). */
  readonly runEnded: (sessionKey: string, runId: string, signal: AbortSignal) => Promise<RunOutcome | undefined>;
  /** Stops a run that outlived its job's timeout. */
  readonly cancelRun: (sessionKey: string, runId: string) => Promise<unknown>;
  readonly report: (line: string) => void;
}

export interface CronRuntime {
  readonly effects: CronEffects;
  readonly supervise: EffectSupervisor;
  readonly timers: CronTimers;
  /** Cancels every timer and stops watching runs (shutdown): what was claimed is picked up by the next owner. */
  stop(): void;
}

/**
 * The cron job's effects. `arm` waits for the next slot and asks the job to `fire` (the job then
 * decides, against the log, whether that slot is still its to claim). `startRun` sends the slot's
 * prompt to the session under the slot's message id, so a repeat after a crash is a duplicate the
 * session answers with the run it already started; it then records the run. `watchRun` waits for
 * the run's end or the job's timeout, whichever is first, and records which.
 */
export function cronEffects(d: CronEffectDeps): CronRuntime {
  const timers = new CronTimers(d.clock);
  const watching = new Set<AbortController>();
  let stopped = false;

  const startRun = async (p: StartRunParams) => {
    if (stopped) return;
    const reply = (await d.dispatch("session", p.sessionKey, "send", {
      text: p.prompt,
      messageId: p.messageId,
      createIfMissing: true,
      ...(p.model ? { model: p.model } : {}),
    })) as { runId: string | null };
    if (!reply.runId) throw new CairnError("internal", `session ${p.sessionKey} has message ${p.messageId} without a run`);
    await d.dispatch("cron", p.id, "started", { slot: p.slot, runId: reply.runId, sessionKey: p.sessionKey });
  };

  const watchRun = async (p: WatchRunParams) => {
    if (stopped) return;
    const ac = new AbortController();
    watching.add(ac);
    let cancelTimer = () => {};
    try {
      const timedOut = new Promise<"timeout">((resolve) => {
        cancelTimer = d.clock.setTimer(p.deadline, () => resolve("timeout"));
      });
      const outcome = await Promise.race([d.runEnded(p.sessionKey, p.runId, ac.signal), timedOut]);
      if (outcome === undefined || stopped) return;
      if (outcome === "timeout") {
        // Recorded first, so the cancelled run's end cannot be mistaken for the slot's outcome.
        await d.dispatch("cron", p.id, "time_out", { slot: p.slot });
        await d
          .cancelRun(p.sessionKey, p.runId)
          .catch((e) => d.report(`cron ${p.id}: could not stop run ${p.runId}: ${(e as Error).message}`));
        return;
      }
      const completed = outcome.status === "completed";
      await d.dispatch("cron", p.id, "finish", {
        slot: p.slot,
        runId: p.runId,
        status: completed ? "completed" : "failed",
        usage: outcome.usage,
        ...(completed ? {} : { error: outcome.error ?? { code: "run_interrupted", message: `the run ended ${outcome.status}` } }),
      });
    } finally {
      cancelTimer();
      ac.abort();
      watching.delete(ac);
    }
  };

  const effects: CronEffects = {
    arm: (p) => {
      if (p.nextAt === null || stopped) {
        timers.cancel(p.id);
        return Promise.resolve();
      }
      const slot = p.nextAt;
      return timers.arm(p.id, slot, async () => {
        if (stopped) return;
        await d.dispatch("cron", p.id, "fire", { slot });
      });
    },
    startRun,
    watchRun,
  };

  // A run that could not be started (no such model, the session busy with someone's chat) is the
  // slot's outcome: recorded as failed, never retried into a second run. A failed timer or watch is
  // left to the next adopt (reconcile), which re-arms from the log.
  const supervise: EffectSupervisor = async (f) => {
    if (stopped || f.action !== "startRun") throw f.error;
    if (isCairnError(f.error) && (f.error.code === "unavailable" || f.error.code === "not_owner" || f.error.code === "timeout"))
      throw f.error;
    const p = f.params as StartRunParams;
    await d.dispatch("cron", p.id, "finish", { slot: p.slot, runId: null, status: "failed", error: toWireError(f.error) });
  };

  return {
    effects,
    supervise,
    timers,
    stop() {
      stopped = true;
      timers.cancelWhere(() => true);
      for (const ac of watching) ac.abort();
    },
  };
}
