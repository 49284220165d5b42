/**
 * The projector resumes by itself when its log consumer stops delivering (DESIGN §5: a read
 * model never stops silently). The stall is real: the projector's JetStream consumer is deleted
 * on the server, which the client library notices only after two missed heartbeats (~30 s).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, expect, test } from "vitest";
import { EventLog, ensureStreams } from "../../bus/index.ts";
import { Projector } from "../../projections/index.ts";
import { deleteLogConsumers } from "../fixtures/log-consumers.ts";
import { startTestNats, type TestNats } from "../fixtures/nats.ts";

let nats: TestNats;
let nc: NatsConnection;
let log: EventLog;
let dir: string;

beforeAll(async () => {
  nats = await startTestNats();
  nc = await nats.connect();
  await ensureStreams(nc);
  log = await EventLog.open(nc);
  dir = mkdtempSync(join(tmpdir(), "cairn-projector-"));
}, 60_000);
afterAll(async () => {
  await nc?.close();
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const waitUntil = async (what: string, cond: () => boolean | Promise<boolean>, ms = 15_000) => {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

let n = 0;
const createSessions = async (count: number) => {
  for (let i = 0; i < count; i++) {
    const key = `wd${++n}`;
    await log.append({
      kind: "session",
      id: key,
      expectedSeq: 0,
      events: [{ type: "session.created", data: { key, title: "", model: null } }],
      eventIds: [`${key}-created`],
      now: 1,
    });
  }
};

test("a consumer deleted under the projector: the watchdog notices, restarts it, and the read models catch up without duplicates", async () => {
  const reports: string[] = [];
  const p = Projector.open(join(dir, "p.db"), {
    log,
    nc,
    report: (l) => reports.push(l),
    watch: { stallMs: 1_000 },
    watchEveryMs: 200,
  });
  try {
    p.start();
    await createSessions(3);
    await waitUntil("the projector to apply the first events", () => p.checkpoint === 3);
    expect(p.health(3).state).toBe("ok");

    expect(await deleteLogConsumers(nc)).toBeGreaterThanOrEqual(1);
    await createSessions(4);
    const last = await log.lastSeq();
    expect(last).toBe(7);

    await waitUntil("the projector to catch up after the stall", () => p.checkpoint === last, 20_000);
    expect(p.consumerRestarts).toBeGreaterThanOrEqual(1);
    expect(reports.some((l) => l.startsWith("projector: [stalled]") && l.includes("restarting their consumer"))).toBe(true);
    expect(reports.some((l) => l.includes("[consumer_failed]") && l.includes("resuming from event 4"))).toBe(true);
    expect(p.health(last)).toMatchObject({ state: "ok", issue: null });
    // Every event applied exactly once: one audit row per sequence, one session row per created.
    const audit = p.db.prepare("SELECT seq FROM audit ORDER BY seq").all() as Array<{ seq: number }>;
    expect(audit.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect((p.db.prepare("SELECT count(*) AS c FROM sessions").get() as { c: number }).c).toBe(7);
  } finally {
    await p.stop();
    p.db.close();
  }
}, 40_000);
