import { CairnError, type AggregateKind } from "../../schemas/index.ts";
import type { CronClock, CronJobDue, CronRuntime } from "../cron/index.ts";
import type { RunEffectsHandle } from "../run/index.ts";
import type { CommandRouter, Ownership } from "../runtime/index.ts";

/** Every so often the owner adopts its active sessions again: an effect that failed and could not
 * even record its failure is repaired, so a session is never left `session_busy` for longer. */
const RECONCILE_MS = 15_000;
/** Cron jobs adopted at once at start (each reads its log; measured in bench/cron.bench.ts). */
const CRON_ADOPT_CONCURRENCY = 16;

/** What recovery needs of a host: the aggregates it holds, and adopting one from its log. */
interface AdoptingHost<C> {
  /** Resolves with the state the log gave, once the repairs that state called for have settled. */
  adopt(id: string): Promise<{ readonly context: C }>;
  read(id: string): Promise<{ readonly snapshot: { readonly context: C } }>;
  liveIds(): string[];
  forget(): void;
}

export interface RecoveryDeps {
  readonly sessions: AdoptingHost<{ readonly activeRun: { readonly runId: string } | null }>;
  readonly crons: AdoptingHost<unknown>;
  /** Every host, by aggregate kind: forgotten when ownership changes. */
  readonly hosts: Readonly<Record<string, AdoptingHost<unknown>>>;
  readonly router: CommandRouter;
  readonly ownership: Ownership | undefined;
  readonly cron: Pick<CronRuntime, "timers" | "armFromReadModel">;
  readonly runWorks: RunEffectsHandle["works"];
  readonly cronClock: CronClock;
  readonly activeSessions?: () => Promise<readonly string[]>;
  readonly activeCronJobs?: (dueBefore?: number) => Promise<readonly CronJobDue[]>;
  readonly stopping: () => boolean;
  readonly report: (line: string) => void;
}

export interface Recovery {
  recover(sessionKeys: readonly string[]): Promise<number>;
  recoverCron(jobs: readonly (string | CronJobDue)[]): Promise<number>;
  /** Ends the periodic reconcile (shutdown). */
  stop(): void;
}

/**
 * Taking work over: the sessions and cron jobs this gateway owns are adopted after a crash, again
 * every RECONCILE_MS, and whenever ownership moves partitions here (or away: then the hosts forget
 * and the work of the lost partitions stops).
 */
export function startRecovery(d: RecoveryDeps): Recovery {
  const { router, ownership, report, cron } = d;
  const recover = async (keys: readonly string[]) => {
    let adopted = 0;
    for (const key of keys) {
      if (ownership && !ownership.owns(router.partitionKnown("session", key, key))) continue;
      try {
        const run = (await d.sessions.adopt(key)).context.activeRun;
        if (!run) continue;
        adopted++;
        // A run that had ended (or never started) before the restart is repaired, not continued.
        const after = (await d.sessions.read(key)).snapshot.context.activeRun;
        report(
          after?.runId === run.runId
            ? `adopted session ${key}: run ${run.runId} goes on from where the log says it was`
            : `adopted session ${key}: run ${run.runId} had ended before the restart; the session now records its end`,
        );
      } catch (e) {
        report(`could not adopt session ${key}: ${(e as Error).message}`);
      }
    }
    return adopted;
  };
  // A job armed or working here needs nothing. An idle job is armed at the next slot the read model
  // gives, without reading its log (with 10,000 jobs that was 20 s of reads at every start): its
  // timer only wakes it, the job decides against its log. The others (a slot in progress, or only
  // a name) are adopted a few at a time: each is a read of its log.
  const recoverCron = async (jobs: readonly (string | CronJobDue)[]) => {
    const live = new Set(d.crons.liveIds());
    const owned = (n: string) => !ownership || ownership.owns(router.partitionKnown("cron", n, undefined));
    const todo: string[] = [];
    let armed = 0;
    for (const j of jobs) {
      const name = typeof j === "string" ? j : j.name;
      if (live.has(name) || cron.timers.has(name) || !owned(name)) continue;
      if (typeof j === "string" || j.inProgress) todo.push(name);
      else if (j.nextAt !== null && cron.armFromReadModel(name, j.nextAt)) armed++;
    }
    let next = 0;
    const worker = async () => {
      while (next < todo.length && !d.stopping()) {
        const name = todo[next++] as string;
        try {
          await d.crons.adopt(name);
          armed++;
        } catch (e) {
          report(`could not adopt cron job ${name}: ${(e as Error).message}`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(CRON_ADOPT_CONCURRENCY, todo.length) }, worker));
    return armed;
  };
  // The reconcile looks one round ahead: a job not armed (its fire failed) is armed before its slot.
  const adoptActive = (cronDueBefore?: number) => {
    if (d.stopping()) return;
    void d
      .activeSessions?.()
      .then(recover)
      .catch((e) => report(`could not adopt the active sessions: ${(e as Error).message}`));
    void d
      .activeCronJobs?.(cronDueBefore)
      .then(recoverCron)
      .catch((e) => report(`could not adopt the cron jobs: ${(e as Error).message}`));
  };
  const reconcile = setInterval(() => adoptActive(d.cronClock.now() + 2 * RECONCILE_MS), RECONCILE_MS);
  reconcile.unref?.();
  ownership?.listen({
    gained: () => {
      // Another gateway may have written while it owned them: read everything again, then adopt.
      for (const host of Object.values(d.hosts)) host.forget();
      adoptActive();
    },
    lost: (partitions) => {
      for (const host of Object.values(d.hosts)) host.forget();
      const lost = new Set(partitions);
      // The new owner arms these jobs; a timer left here would only ask it to decide twice.
      cron.timers.cancelWhere((name) => lost.has(router.partitionKnown("cron", name, undefined)));
      void d.runWorks.abortWhere(
        (runId) => lost.has(router.partitionKnown("run", runId, router.sessionOf("run", runId))),
        new CairnError("run_interrupted", "this gateway lost ownership of the session; another gateway takes it over"),
      );
    },
    // Cron jobs do not hold a partition: an armed timer waits, and a watched run is re-watched by the new owner.
    isIdle: (p) =>
      !Object.entries(d.hosts).some(
        ([kind, host]) =>
          kind !== "cron" &&
          host.liveIds().some((id) => router.partitionKnown(kind as AggregateKind, id, router.sessionOf(kind as AggregateKind, id)) === p),
      ),
  });
  return { recover, recoverCron, stop: () => clearInterval(reconcile) };
}
