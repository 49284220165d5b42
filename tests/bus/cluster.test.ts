/**
 * The event log on a 3-server JetStream cluster (issue 9): streams and the snapshot bucket are
 * made with three replicas, and a SIGKILL of the server leading the log while appends run loses
 * no acknowledged event, duplicates none, and the client carries on by itself.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import {
  EVENTS_STREAM,
  EventLog,
  LIVE_STREAM,
  SNAPSHOT_BUCKET,
  SnapshotStore,
  defaultStreamLimits,
  ensureStreams,
  streamReplicas,
} from "../../bus/index.ts";
import { connectNats } from "../../bus/server/index.ts";
import { startNatsCluster, type NatsClusterFixture } from "../fixtures/nats-cluster.ts";

let cluster: NatsClusterFixture;
let nc: NatsConnection;

beforeAll(async () => {
  cluster = await startNatsCluster({ servers: 3 });
  nc = await cluster.connect();
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});

const replicasOf = async (stream: string) => (await (await jetstreamManager(nc)).streams.info(stream)).config.num_replicas;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("cairn's streams on a 3-server cluster", () => {
  test("the server reports the cluster, so streams and the snapshot bucket get three replicas; an R1 log is raised", async () => {
    expect(streamReplicas(nc, {})).toBe(3);
    expect(streamReplicas(nc, { CAIRN_NATS_REPLICAS: "2" })).toBe(2);
    expect(() => streamReplicas(nc, { CAIRN_NATS_REPLICAS: "7" })).toThrow(/1 to 5/);

    // A log made by a single-server setup (R1) is raised in place, keeping its events.
    await ensureStreams(nc, { ...defaultStreamLimits, replicas: 1 });
    expect(await replicasOf(EVENTS_STREAM)).toBe(1);
    await ensureStreams(nc);
    expect(await replicasOf(EVENTS_STREAM)).toBe(3);
    expect(await replicasOf(LIVE_STREAM)).toBe(3);
    // Never lowered: fewer servers reachable at start-up must not shed copies.
    await ensureStreams(nc, { ...defaultStreamLimits, replicas: 1 });
    expect(await replicasOf(EVENTS_STREAM)).toBe(3);

    await SnapshotStore.open(nc);
    expect(await replicasOf(`KV_${SNAPSHOT_BUCKET}`)).toBe(3);
  });

  test("SIGKILL of the log's leader under appends: every acknowledged event is read back once, in order; the client reconnects", async () => {
    const leader = await cluster.streamLeader(EVENTS_STREAM);
    expect(leader).toBeDefined();
    const li = leader as number;
    // The writer dials only the leader: it must learn the others from the server (connect_urls)
    // and move there by itself when its server dies.
    const writer = await connectNats({ url: cluster.serverUrls[li], credsFile: cluster.creds.gateway, name: "cluster-writer" });
    let reconnects = 0;
    void (async () => {
      for await (const s of writer.status()) if (s.type === "reconnect") reconnects++;
    })();
    const log = await EventLog.open(writer);

    const acked = new Map<string, string[]>();
    let running = true;
    let failures = 0;
    let ownConflicts = 0;
    const ackTimes: number[] = [];
    const write = async (w: string) => {
      const ids: string[] = [];
      acked.set(w, ids);
      let expected = 0;
      for (let k = 0; running; k++) {
        const id = `${w}-${k}`;
        const event =
          k === 0
            ? { type: "session.created" as const, data: { key: w, title: "", model: null } }
            : { type: "session.renamed" as const, data: { title: `t${k}` } };
        // An append that fails (NATS gave no answer in time) is retried as the very same publish:
        // if it was stored, the server answers with the stored sequence (deduplication by id).
        for (;;) {
          try {
            [expected] = await log.append({ kind: "session", id: w, expectedSeq: expected, events: [event], eventIds: [id], now: k });
            ids.push(id);
            ackTimes.push(Date.now());
            break;
          } catch (e) {
            failures++;
            if (!running) return;
            if ((e as { code?: string }).code === "conflict") {
              // A retry of an append whose first attempt was stored (ack lost in the failover)
              // can come back as `conflict` instead of a duplicate ack: if the aggregate's one
              // event after `expected` is this very event, it is stored, once.
              const { records, lastSeq } = await log.load("session", w, expected);
              if (records.length !== 1 || !records[0].ok || records[0].event.id !== id) throw e;
              ownConflicts++;
              expected = lastSeq;
              ids.push(id);
              ackTimes.push(Date.now());
              break;
            }
            await sleep(100);
          }
        }
      }
    };
    const writers = ["wa", "wb", "wc", "wd"].map(write);

    const count = () => [...acked.values()].reduce((n, ids) => n + ids.length, 0);
    const waitForMore = async (than: number, what: string) => {
      // Generous: under a loaded CI machine an election plus the 5 s publish timeout can take long.
      const deadline = Date.now() + 30_000;
      while (count() <= than) {
        if (Date.now() > deadline) throw new Error(`no acknowledged append ${what} within 30 s`);
        await sleep(20);
      }
    };
    await sleep(1_000);
    const before = count();
    const killedAt = Date.now();
    await cluster.kill(li);
    // Appends resume once a new leader is elected and the in-flight publishes time out and are
    // retried (event-log.ts waits up to 5 s for an ack: that, not the election, is most of the pause).
    await waitForMore(before + 50, "after the kill");
    await sleep(500);
    await cluster.restart(li);
    const afterRestart = count();
    await waitForMore(afterRestart + 50, "after the restart");
    running = false;
    await Promise.all(writers);

    const total = count();
    const pauseMs = Math.max(...ackTimes.filter((t) => t >= killedAt).map((t, i, a) => (i === 0 ? t - killedAt : t - a[i - 1])));
    expect(before).toBeGreaterThan(0);
    expect(reconnects).toBeGreaterThanOrEqual(1);
    expect(writer.info?.server_name).not.toBe(cluster.serverNames[li]);

    const last = await log.lastSeq();
    const read = new Map<string, string[]>();
    const seen = new Set<string>();
    for await (const r of log.read({ fromSeq: 1, untilSeq: last })) {
      if (!r.ok) throw new Error(`undecodable: ${r.bad.error}`);
      const { aggregateId, id } = r.event;
      if (!acked.has(aggregateId)) continue;
      expect(seen.has(id), `duplicate ${id}`).toBe(false);
      seen.add(id);
      read.set(aggregateId, [...(read.get(aggregateId) ?? []), id]);
    }
    // Each writer's events, in its order; an append retried after the stop may be the one extra.
    for (const [w, ids] of acked) expect(read.get(w)?.slice(0, ids.length)).toEqual(ids);
    expect(seen.size - total).toBeLessThanOrEqual(acked.size);
    process.stdout.write(
      `cluster failover: ${total} acked appends, longest pause between acks after the kill ${pauseMs} ms, ${failures} failed attempts retried (${ownConflicts} stored-but-conflict), ${reconnects} reconnect(s)\n`,
    );
    await writer.close();
  }, 60_000);
});
