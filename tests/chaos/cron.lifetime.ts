/**
 * Many gateway lifetimes in one process, for cron chaos at volume (tests/chaos/cron-kill9.test.ts,
 * bench/cron.bench.ts): a kill -9 of a gateway process costs ~2.3 s of CPU just to load the next
 * one's modules, so 1,000 of them do not fit in a run. A lifetime is the gateway's back half as
 * `cairn gateway` assembles it for cron: its own NATS connection, the event log, a SQLite read
 * model on a file kept across lifetimes, the actor system given the read-model queries, and the
 * gateway's start-up recovery (sessions with a run, then jobs armed from the read model). Not here:
 * the edge, and the partition table (one writer, as with the embedded server). `crash()` ends it
 * the way kill -9 does as far as the log can tell: the connection is cut at once, so from that
 * instant nothing it was doing reaches the log, whatever it was in the middle of (the leftovers stop
 * behind it, writing nothing). The next lifetime recovers from the log and the read model.
 */
import { join } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import { startActorSystem, type ActorSystem } from "../../actors/index.ts";
import { EventLog, SnapshotStore, ensureStreams } from "../../bus/index.ts";
import { cronQueries, Projector, queries } from "../../projections/index.ts";
import type { TestNats } from "../fixtures/nats.ts";
import type { LoggedEvent } from "./chaos.helpers.ts";

export interface Lifetime {
  readonly system: ActorSystem;
  readonly log: EventLog;
  /** Resolves when the start-up recovery (sessions adopted, jobs armed) has been done. */
  readonly recovered: Promise<void>;
  /** kill -9 as the log sees it: the connection is cut now; the rest stops behind, writing nothing. */
  crash(): void;
  /** A clean stop (SIGTERM). */
  stop(): Promise<void>;
}

/** Starts one lifetime on `nats`, its read model at `<dir>/projections.db`, models from the scripted LLM at `llmUrl`. */
export async function startLifetime(
  nats: TestNats,
  dir: string,
  llmUrl: string,
  report: (l: string) => void = () => {},
): Promise<Lifetime> {
  const nc: NatsConnection = await nats.connect("cron-lifetime");
  await ensureStreams(nc);
  const log = await EventLog.open(nc);
  const snapshots = await SnapshotStore.open(nc);
  const projector = Projector.open(join(dir, "projections.db"), { log, nc, report });
  await projector.catchUp(await log.lastSeq());
  projector.start();
  const q = queries(() => projector.db);
  const cronQ = cronQueries(() => projector.db);
  const system = startActorSystem({
    nc,
    log,
    snapshots,
    model: { defaultModel: "openai/test-model", env: { OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: `${llmUrl}/v1` }, config: {} },
    activeSessions: async () => {
      await projector.waitFor(await log.lastSeq());
      return q.activeSessionKeys();
    },
    activeCronJobs: async (dueBefore) => {
      await projector.waitFor(await log.lastSeq());
      return cronQ.due(dueBefore);
    },
    report,
  });
  // As the gateway does once its read models have caught up: adopt the sessions with a run in
  // progress, arm the jobs (idle ones at the read model's next slot, the others from their log).
  const recovered = (async () => {
    await system.recover(q.activeSessionKeys());
    await system.recoverCron(cronQ.due());
  })();
  // A crash during recovery fails it; nobody waits for it then.
  recovered.catch(() => {});
  // After a crash: the read model first (it would retry its dead connection), then the actors.
  const leftovers = async () => {
    await projector.stop().catch(() => {});
    projector.db.close();
    await system.stop().catch(() => {});
  };
  return {
    system,
    log,
    recovered,
    crash() {
      void nc.close().catch(() => {});
      void leftovers();
    },
    async stop() {
      await recovered.catch(() => {});
      await system.stop();
      await projector.stop();
      projector.db.close();
      await nc.close();
    },
  };
}

/** The events of some aggregates, read from the log itself, in the shape the slot checker reads. */
export async function aggregatesOf(log: EventLog, ids: readonly (readonly ["cron" | "session", string])[]): Promise<LoggedEvent[]> {
  const out: LoggedEvent[] = [];
  for (const [kind, id] of ids) {
    for (const r of (await log.load(kind, id)).records) {
      if (r.ok)
        out.push({ seq: r.event.seq, type: r.event.type, kind, id, time: new Date(r.event.time).toISOString(), data: r.event.data });
    }
  }
  return out;
}

/** A job's events and its session's, for `checkCronSlots`. */
export const jobAggregates = (names: readonly string[]) => names.flatMap((n) => [["cron", n] as const, ["session", `cron-${n}`] as const]);
