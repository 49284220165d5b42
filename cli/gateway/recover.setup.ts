import { syncHeartbeat } from "../../actors/cron/index.ts";
import type { ActorSystem } from "../../actors/index.ts";
import type { cronQueries, Projector, queries } from "../../projections/index.ts";
import type { Settings } from "../config/index.ts";

/**
 * What was in progress when the gateway stopped goes on. Which sessions had a run in progress
 * comes from the read models: with a big backlog that answer waits for them. Resolves with how
 * many runs were adopted; the cron jobs are armed behind it.
 */
export async function recoverWork(o: {
  projector: Projector;
  /** The log's end at start: the read models are caught up to it before they are asked. */
  logEnd: number;
  system: ActorSystem;
  q: ReturnType<typeof queries>;
  cronQ: ReturnType<typeof cronQueries>;
  heartbeat: Settings["heartbeat"];
  log: (line: string) => void;
}): Promise<number> {
  const { system, log } = o;
  await o.projector.waitFor(o.logEnd);
  const n = await system.recover(o.q.activeSessionKeys());
  // Each idle job is armed at the next slot the read model (caught up with the log) gives; a
  // job with a slot in progress is adopted from its log to resolve it. Behind ready: a slot
  // that falls due meanwhile is caught up by its job's policy like any slot missed while down.
  const t0 = performance.now();
  void system
    .recoverCron(o.cronQ.due())
    .then((armed) => {
      if (armed > 0) log(`cron: ${armed} job(s) armed in ${Math.round(performance.now() - t0)} ms`);
      // cairn's own job follows [heartbeat] (every gateway syncs; one that changes nothing appends nothing).
      return syncHeartbeat(system.dispatch, o.heartbeat, log);
    })
    .catch((e) => log(`cron: could not arm the jobs: ${(e as Error).message}`));
  return n;
}
