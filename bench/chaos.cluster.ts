/**
 * Chaos on a 3-server NATS cluster, run by hand (never by the test suite):
 *
 *   npx tsx bench/chaos.cluster.ts --trials 10 [--writers 4] [--down-ms 1000]
 *
 * A cluster from `cairn cluster init` (tests/fixtures/nats-cluster.ts), the event log made R3 by
 * `ensureStreams`. Each trial: `--writers` concurrent aggregates append through `EventLog` (a failed
 * append is retried as the very same publish, as cairn's hosts do); a random server is SIGKILLed,
 * kept down `--down-ms`, restarted; once appends have gone on after the restart the writers stop
 * and the trial's part of the log is read back. Counted per trial: acknowledged events missing
 * from the log (lost), events stored twice (duplicates), aggregates whose events are out of order,
 * the longest pause between acknowledgements, and retries answered `conflict` although their
 * first attempt was stored (nats-server 2.9 after a leader change; the writer checks and counts
 * them as acknowledged). Lost, duplicates and out-of-order must be 0.
 * Prints one line per trial, then one JSON line with the totals. Everything it starts is stopped.
 */
import { parseArgs } from "node:util";
import { EVENTS_STREAM, EventLog, ensureStreams } from "../bus/index.ts";
import { startNatsCluster } from "../tests/fixtures/nats-cluster.ts";

const { values } = parseArgs({
  options: {
    trials: { type: "string", default: "5" },
    writers: { type: "string", default: "4" },
    "down-ms": { type: "string", default: "1000" },
  },
});
const trials = Number(values.trials);
const writerCount = Number(values.writers);
const downMs = Number(values["down-ms"]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface TrialResult {
  trial: number;
  killed: string;
  wasLeader: boolean;
  acked: number;
  lost: number;
  duplicates: number;
  outOfOrder: number;
  failedAttempts: number;
  /** Retries answered `conflict` although their first attempt was stored (see the writer). */
  ownConflicts: number;
  maxPauseMs: number;
}

const cluster = await startNatsCluster({ servers: 3 });
const results: TrialResult[] = [];
try {
  const nc = await cluster.connect("chaos-writer");
  await ensureStreams(nc);
  const log = await EventLog.open(nc);

  for (let t = 1; t <= trials; t++) {
    const startSeq = await log.lastSeq();
    const acked = new Map<string, string[]>();
    const ackTimes: number[] = [];
    let running = true;
    let failedAttempts = 0;
    let ownConflicts = 0;
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
        for (;;) {
          try {
            [expected] = await log.append({ kind: "session", id: w, expectedSeq: expected, events: [event], eventIds: [id], now: k });
            ids.push(id);
            ackTimes.push(Date.now());
            break;
          } catch (e) {
            failedAttempts++;
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
    const writers = Array.from({ length: writerCount }, (_, j) => write(`t${t}w${j}`));
    const count = () => ackTimes.length;
    const waitForMore = async (n: number) => {
      const deadline = Date.now() + 30_000;
      while (count() < n) {
        if (Date.now() > deadline) throw new Error(`trial ${t}: no progress for 30 s`);
        await sleep(20);
      }
    };

    await sleep(500);
    const victim = Math.floor(Math.random() * 3);
    const wasLeader = (await cluster.streamLeader(EVENTS_STREAM)) === victim;
    const killedAt = Date.now();
    await cluster.kill(victim);
    await sleep(downMs);
    await cluster.restart(victim);
    await waitForMore(count() + 50);
    running = false;
    await Promise.all(writers);

    // Read this trial's part of the log back.
    const last = await log.lastSeq();
    const stored = new Map<string, string[]>();
    const times = new Map<string, number>();
    for await (const r of log.read({ fromSeq: startSeq + 1, untilSeq: last })) {
      if (!r.ok) throw new Error(`undecodable event at ${r.bad.seq}: ${r.bad.error}`);
      const { aggregateId, id } = r.event;
      stored.set(aggregateId, [...(stored.get(aggregateId) ?? []), id]);
      times.set(id, (times.get(id) ?? 0) + 1);
    }
    let lost = 0;
    let outOfOrder = 0;
    for (const [w, ids] of acked) {
      const got = stored.get(w) ?? [];
      lost += ids.filter((id) => !times.has(id)).length;
      // The acknowledged ones must be the stored ones' prefix (one unacknowledged extra may follow:
      // an append in flight when the writer stopped).
      if (got.slice(0, ids.length).join() !== ids.join()) outOfOrder++;
    }
    const duplicates = [...times.values()].filter((n) => n > 1).length;
    const after = ackTimes.filter((x) => x >= killedAt);
    const maxPauseMs = Math.max(0, ...after.map((x, i) => (i === 0 ? x - killedAt : x - after[i - 1])));
    const r: TrialResult = {
      trial: t,
      killed: cluster.serverNames[victim],
      wasLeader,
      acked: count(),
      lost,
      duplicates,
      outOfOrder,
      failedAttempts,
      ownConflicts,
      maxPauseMs,
    };
    results.push(r);
    process.stdout.write(
      `trial ${t}: killed ${r.killed}${wasLeader ? " (log leader)" : ""}, ${r.acked} acked, lost ${lost}, duplicates ${duplicates}, ` +
        `out of order ${outOfOrder}, failed attempts ${failedAttempts}, ` +
        `stored-but-conflict retries ${ownConflicts}, longest pause ${maxPauseMs} ms\n`,
    );
  }
} finally {
  await cluster.stop();
}

const sum = (k: keyof TrialResult) => results.reduce((n, r) => n + Number(r[k]), 0);
const totals = {
  trials: results.length,
  writers: writerCount,
  downMs,
  acked: sum("acked"),
  lost: sum("lost"),
  duplicates: sum("duplicates"),
  outOfOrder: sum("outOfOrder"),
  ownConflicts: sum("ownConflicts"),
  leaderKills: results.filter((r) => r.wasLeader).length,
  maxPauseMs: Math.max(0, ...results.map((r) => r.maxPauseMs)),
  maxPauseNonLeaderMs: Math.max(0, ...results.filter((r) => !r.wasLeader).map((r) => r.maxPauseMs)),
};
process.stdout.write(`${JSON.stringify(totals)}\n`);
process.exitCode = totals.lost + totals.duplicates + totals.outOfOrder === 0 ? 0 : 1;
