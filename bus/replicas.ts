/**
 * How many copies JetStream keeps of cairn's streams and KV buckets: one on a single server,
 * three (or the cluster size when smaller) on a cluster, so a server lost with its disk loses no
 * acknowledged event.
 */
import type { JetStreamManager, StreamConfig } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { CairnError } from "../schemas/index.ts";

/** Past three copies a write waits for more servers and survives nothing more that matters here. */
const MAX_REPLICAS = 3;

/**
 * The replica count for streams created on `nc`'s server: `CAIRN_NATS_REPLICAS` when set (1–5),
 * else 1 off a cluster, else min(3, servers in the cluster).
 *
 * The cluster size is what the server reports in its INFO: `cluster` (the cluster's name) is set
 * only on a clustered server, and `connect_urls` lists the client URLs of every server that is
 * routed to it right now, itself included (nats-server 2.9.10, checked). So a count taken while a
 * server is down is too low: callers only ever raise the replicas of an existing stream with it
 * (`raiseReplicas`), never lower them. A server configured with `no_advertise` sends no
 * `connect_urls`; set `CAIRN_NATS_REPLICAS` then.
 */
export function streamReplicas(nc: NatsConnection, env: NodeJS.ProcessEnv = process.env): number {
  const explicit = env.CAIRN_NATS_REPLICAS?.trim();
  if (explicit) {
    const n = Number(explicit);
    // JetStream itself accepts 1 to 5 replicas.
    if (!Number.isInteger(n) || n < 1 || n > 5) {
      throw new CairnError("bad_request", `CAIRN_NATS_REPLICAS must be a whole number from 1 to 5, got '${explicit}'`);
    }
    return n;
  }
  const info = nc.info;
  if (!info?.cluster) return 1;
  return Math.max(1, Math.min(MAX_REPLICAS, new Set(info.connect_urls ?? []).size));
}

/**
 * Raises an existing stream to `wanted` replicas (JetStream 2.9 allows changing `num_replicas` in
 * a stream update; the new peers catch up in the background). Never lowers them: a lower count
 * usually means a server is down right now, not that fewer copies are wanted; lowering is an
 * operator's decision (`nats stream edit --replicas`). If the update is refused (too few servers
 * with JetStream up, e.g. during a rolling restart) the stream keeps its replicas and the error
 * propagates: the next start tries again.
 */
export async function raiseReplicas(jsm: JetStreamManager, config: StreamConfig, wanted: number): Promise<void> {
  if ((config.num_replicas ?? 1) >= wanted) return;
  await jsm.streams.update(config.name, { ...config, num_replicas: wanted });
}
