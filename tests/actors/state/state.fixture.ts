/** A real NATS server, event log and actor system for the session-state suites. */
import { afterAll, beforeAll } from "vitest";
import type { NatsConnection } from "@nats-io/transport-node";
import { EventLog, SnapshotStore, ensureStreams } from "../../../bus/index.ts";
import { startActorSystem, type ActorSystem } from "../../../actors/index.ts";
import { startTestNats, type TestNats } from "../../fixtures/nats.ts";

export interface StateEnv {
  nats: TestNats;
  nc: NatsConnection;
  log: EventLog;
  sys: ActorSystem;
  /** What the actor systems reported (failed snapshots, failed effects). */
  reports: string[];
  /** Stops the actor system and starts a fresh one on the same log: nothing is kept in memory. */
  restart(): Promise<ActorSystem>;
}

export function useStateSystem(opts: { now?: () => number } = {}): () => StateEnv {
  let env: StateEnv | undefined;
  const reports: string[] = [];
  const start = async (nc: NatsConnection, log: EventLog) =>
    startActorSystem({
      report: (line) => reports.push(line),
      nc,
      log,
      snapshots: await SnapshotStore.open(nc),
      model: { defaultModel: null, env: {}, config: {} },
      ...(opts.now ? { now: opts.now } : {}),
    });
  beforeAll(async () => {
    const nats = await startTestNats();
    const nc = await nats.connect();
    await ensureStreams(nc);
    const log = await EventLog.open(nc);
    const e: StateEnv = {
      nats,
      nc,
      log,
      reports,
      sys: await start(nc, log),
      restart: async () => {
        await e.sys.stop();
        e.sys = await start(nc, await EventLog.open(nc));
        return e.sys;
      },
    };
    env = e;
  });
  afterAll(async () => {
    await env?.sys.stop();
    await env?.nc.close();
    await env?.nats.stop();
  });
  return () => env!;
}
