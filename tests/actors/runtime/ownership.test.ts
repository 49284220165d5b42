/**
 * Partition ownership between gateways on one real nats-server: claims are exclusive, shares
 * balance, a silent gateway's partitions are taken over after its lease, and the silent one may
 * not write again until it has proven its claims — which it cannot once they were taken.
 */
import { afterEach, beforeAll, afterAll, describe, expect, test } from "vitest";
import type { NatsConnection } from "@nats-io/transport-node";
import { PartitionTable, ensureStreams } from "../../../bus/index.ts";
import { Ownership, PARTITIONS } from "../../../actors/runtime/index.ts";
import { startTestNats, type TestNats } from "../../fixtures/nats.ts";

let nats: TestNats;
const conns: NatsConnection[] = [];
const owners: Ownership[] = [];

beforeAll(async () => {
  nats = await startTestNats();
  const nc = await nats.connect();
  conns.push(nc);
  await ensureStreams(nc);
});
afterEach(async () => {
  for (const o of owners.splice(0)) await o.stop().catch(() => {});
});
afterAll(async () => {
  for (const c of conns) await c.close().catch(() => {});
  await nats.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitUntil(what: string, check: () => boolean, timeoutMs = 8_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

let run = 0;
async function gateway(id: string, o: { solo?: boolean; now?: () => number } = {}) {
  const nc = await nats.connect();
  conns.push(nc);
  const gained: number[] = [];
  const lost: number[] = [];
  const own = new Ownership({ nc, table: await PartitionTable.open(nc), gatewayId: `${id}-${run}`, ...o });
  own.listen({ gained: (p) => gained.push(...p), lost: (p) => lost.push(...p), isIdle: () => true });
  owners.push(own);
  await own.start();
  return { own, nc, gained, lost };
}

const all = Array.from({ length: PARTITIONS }, (_, p) => p);
const union = (...gs: { own: Ownership }[]) => gs.flatMap((g) => g.own.view().owned).sort((a, b) => a - b);

describe("partition ownership across gateways", () => {
  afterEach(() => void run++);

  test("a solo gateway owns every partition at once and may write", async () => {
    const g = await gateway("solo", { solo: true });
    expect(g.own.view().owned).toEqual(all);
    expect(all.every((p) => g.own.isWritable(p))).toBe(true);
  });

  test("two gateways share the partitions: disjoint, complete, balanced", async () => {
    const a = await gateway("a");
    const b = await gateway("b");
    await waitUntil(
      "both to hold half",
      () => a.own.view().owned.length === PARTITIONS / 2 && b.own.view().owned.length === PARTITIONS / 2,
    );
    expect(union(a, b)).toEqual(all);
    expect(a.own.view().gateways.map((g) => g.id)).toEqual([a.own.id, b.own.id].sort());
    // Each learns who owns the other's partitions (commands are forwarded there).
    await waitUntil("a to know b's partitions", () => b.own.view().owned.every((p) => a.own.ownerOf(p) === b.own.id), 2_000);
    expect(a.own.view().owned.every((p) => b.own.ownerOf(p) === a.own.id)).toBe(true);
  });

  test("three gateways settle at 6/5/5, whichever joins last", async () => {
    const a = await gateway("a");
    await waitUntil("a to own everything", () => a.own.view().owned.length === PARTITIONS);
    const b = await gateway("b");
    const c = await gateway("c");
    const counts = () => [a, b, c].map((g) => g.own.view().owned.length).sort((x, y) => x - y);
    await waitUntil("6/5/5", () => JSON.stringify(counts()) === JSON.stringify([5, 5, 6]), 10_000);
    expect(union(a, b, c)).toEqual(all);
  });

  test("a gateway gone silent (connection dropped, no release) is taken over after its lease", async () => {
    const a = await gateway("a");
    const b = await gateway("b");
    await waitUntil("a balanced pair", () => a.own.view().owned.length === PARTITIONS / 2 && b.own.view().owned.length === PARTITIONS / 2);
    const hadB = b.own.view().owned;
    const silentAt = Date.now();
    await b.nc.close(); // as if killed: heartbeats stop, nothing is released
    await waitUntil("a to own everything", () => a.own.view().owned.length === PARTITIONS);
    const tookMs = Date.now() - silentAt;
    expect(tookMs).toBeGreaterThanOrEqual(1_000); // not before the lease could have lapsed
    expect(a.gained).toEqual(expect.arrayContaining([...hadB]));
    // b stopped writing before a took over: its lease was stale by then.
    expect(hadB.some((p) => b.own.isWritable(p))).toBe(false);
  });

  test("a gateway whose clock says it was away past its lease may not write what was taken meanwhile", async () => {
    let skew = 0; // b's clock jumps forward: exactly what a paused process sees when it wakes
    const a = await gateway("a");
    const b = await gateway("b", { now: () => performance.now() + skew });
    await waitUntil("a balanced pair", () => a.own.view().owned.length === PARTITIONS / 2 && b.own.view().owned.length === PARTITIONS / 2);
    const hadB = b.own.view().owned;
    await b.nc.close(); // b falls silent; a takes over
    await waitUntil("a to take b's partitions", () => a.own.view().owned.length === PARTITIONS);
    skew = 5_000;
    // b still believes it holds its claims, but its lease is stale: no writes.
    expect(hadB.every((p) => b.own.owns(p) && !b.own.isWritable(p))).toBe(true);
    await expect(b.own.writable(hadB[0], 300)).rejects.toMatchObject({ code: "unavailable" });
  });

  test("a clean stop releases at once: the other gateway takes over without waiting for a lease", async () => {
    const a = await gateway("a");
    const b = await gateway("b");
    await waitUntil("a balanced pair", () => a.own.view().owned.length === PARTITIONS / 2 && b.own.view().owned.length === PARTITIONS / 2);
    await b.own.stop();
    await waitUntil("a to own everything", () => a.own.view().owned.length === PARTITIONS, 1_000);
  });

  test("a restarted gateway with the same id re-owns its partitions at once", async () => {
    const first = await gateway("same", { solo: true });
    await first.nc.close(); // crash: nothing released
    run--; // same id again
    const again = await gateway("same", { solo: true });
    run++;
    expect(again.own.view().owned).toEqual(all);
  });
});
