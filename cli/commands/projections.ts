import { createInbox, type NatsConnection } from "@nats-io/transport-node";
import * as Schema from "effect/Schema";
import { EventLog, ensureStreams, request, subjects } from "../../bus/index.ts";
import { connectNats, startEmbeddedNats } from "../../bus/server/index.ts";
import { buildFresh, installRebuilt } from "../../projections/index.ts";
import { decodeLenient, isCairnError } from "../../schemas/index.ts";
import { connectToGateway } from "../connect.ts";
import { acquireGatewayLock } from "../gateway/lock.ts";
import { progressBar } from "../output.ts";
import type { Paths } from "../paths.ts";

const Progress = Schema.Struct({ applied: Schema.Number, total: Schema.Number });
type Result = { events: number; ms: number };

/** Through the running gateway: it rebuilds beside the live read models and switches over. */
async function viaGateway(nc: NatsConnection, onProgress: (applied: number, total: number) => void): Promise<Result> {
  const inbox = createInbox();
  const sub = nc.subscribe(inbox, {
    callback: (_e, m) => {
      try {
        const p = decodeLenient(Progress, m.json(), "progress");
        onProgress(p.applied, p.total);
      } catch {
        // progress is cosmetic
      }
    },
  });
  try {
    return (await request(nc, subjects.admin("projections", "rebuild"), { progressSubject: inbox }, { timeoutMs: 3_600_000 })) as Result;
  } finally {
    sub.unsubscribe();
  }
}

/**
 * With no gateway running: start the data dir's embedded NATS alone (holding the gateway lock, so
 * no gateway starts meanwhile), rebuild from its log, install the result, stop.
 */
async function offline(paths: Paths, onProgress: (applied: number, total: number) => void): Promise<Result> {
  const release = acquireGatewayLock(paths.lockFile);
  const nats = await startEmbeddedNats({ dataDir: paths.dataDir }).catch((e) => {
    release();
    throw e;
  });
  try {
    const nc = await connectNats({ url: nats.url, credsFile: nats.creds.gateway, name: "cairn-rebuild" });
    try {
      await ensureStreams(nc);
      const built = await buildFresh(paths.projectionsDb, await EventLog.open(nc), onProgress);
      installRebuilt(paths.projectionsDb, built.tmp).close();
      return { events: built.events, ms: Math.round(built.ms) };
    } finally {
      await nc.close();
    }
  } finally {
    await nats.stop();
    release();
  }
}

export async function projectionsRebuild(o: { json: boolean }, paths: Paths): Promise<number> {
  const bar = progressBar("rebuilding");
  const onProgress = (applied: number, total: number) => {
    if (!o.json) bar.update(applied, total);
  };
  let nc: NatsConnection | undefined;
  try {
    nc = await connectToGateway(paths);
  } catch (e) {
    if (!isCairnError(e) || e.code !== "unavailable") throw e;
  }
  let result: Result;
  try {
    result = nc ? await viaGateway(nc, onProgress) : await offline(paths, onProgress);
  } finally {
    await nc?.close();
  }
  if (!o.json) bar.done();
  const rate = result.ms > 0 ? Math.round((result.events / result.ms) * 1000) : result.events;
  const where = nc ? "gateway" : "offline";
  if (o.json) process.stdout.write(`${JSON.stringify({ ok: true, ...result, eventsPerSecond: rate, mode: where })}\n`);
  else
    process.stdout.write(
      `rebuilt read models from ${result.events} events in ${result.ms} ms (${rate} events/s)${nc ? "" : ", with the gateway stopped"}\n`,
    );
  return 0;
}
