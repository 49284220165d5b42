import { currentProvenance, withProvenance } from "../../bus/index.ts";
import { CairnError, isCairnError, toWireError } from "../../schemas/index.ts";
import type { Dispatch, EffectSupervisor } from "../runtime/index.ts";
import type { CronClock } from "./cron.clock.ts";
import { CronTimers } from "./cron.timers.ts";
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
  /**
   * Re-arms a job from its log (adopts it, when this gateway owns it): after a deadline the job
   * did not take (armed from a read model that was behind, or for a job that moved on).
   */
  readonly readopt: (id: string) => Promise<unknown>;
  readonly report: (line: string) => void;
}

/** What a read model says of a job: when its next slot is, and whether a slot of it is in progress. */
export interface CronJobDue {
  readonly name: string;
  readonly nextAt: number | null;
  readonly inProgress: boolean;
}

export interface CronRuntime {
  readonly effects: CronEffects;
  readonly supervise: EffectSupervisor;
  readonly timers: CronTimers;
  /**
   * Arms a job at a deadline a read model gave (its next slot) unless it is armed already: at
   * start this spares reading 10,000 jobs' logs. The job still decides against its log when due.
   */
  armFromReadModel(id: string, at: number): boolean;
  /**
   * Cancels every timer and stops watching runs (shutdown): what was claimed is picked up by the
   * next owner. Resolves when the fires already under way have been decided.
   */
  stop(): Promise<void>;
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
  const firing = new Set<Promise<void>>();
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

  // The fire acts for whatever armed the job (its creation, its last run's end), as the timer did.
  const due =
    (id: string, slot: number, cause = currentProvenance()) =>
    () => {
      if (stopped) return;
      const f = withProvenance(cause, async () => {
        const r = (await d.dispatch("cron", id, "fire", { slot })) as { fired?: boolean; skipped?: number };
        // Nothing recorded: the job was not at that slot (or not idle); its log says what it waits for.
        if (!r.fired && !r.skipped && !stopped) await d.readopt(id);
      })
        .catch((e) => d.report(`cron ${id}: slot ${new Date(slot).toISOString()} could not fire: ${(e as Error).message}`))
        .finally(() => firing.delete(f));
      firing.add(f);
    };

  // Arming is instant: the deadline waits in the queue, not in a pending effect. A failed fire is
  // left to the next reconcile, which re-arms the job from the log.
  const effects: CronEffects = {
    arm: async (p) => {
      if (p.nextAt === null || stopped) timers.cancel(p.id);
      else timers.arm(p.id, p.nextAt, due(p.id, p.nextAt));
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
    armFromReadModel: (id, at) => !stopped && timers.armIfAbsent(id, at, due(id, at, { actor: `cron:${id}` })),
    async stop() {
      stopped = true;
      timers.cancelWhere(() => true);
      for (const ac of watching) ac.abort();
      await Promise.all([...firing]);
    },
  };
}
