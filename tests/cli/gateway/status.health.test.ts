/**
 * `GET /health` and `q.status.get` say `degraded` (503, with a reason) while the projector is
 * stalled for real — its JetStream consumer deleted on the server while the log moves on — and
 * `ok` again once the watchdog restarted the consumer and the read models caught up.
 *
 * The watchdog ticks slowly here (every 3 s) and calls a stall after 500 ms, so the degraded
 * window is wide enough to observe without mocking the status.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, expect, test } from "vitest";
import { EventLog, ensureStreams } from "../../../bus/index.ts";
import { startEdge, type Edge } from "../../../bus/edge/index.ts";
import { serveGatewayServices } from "../../../cli/gateway/services.ts";
import { Projector } from "../../../projections/index.ts";
import { startTestNats, type TestNats } from "../../fixtures/nats.ts";
import { deleteLogConsumers } from "../../fixtures/log-consumers.ts";

let nats: TestNats;
let nc: NatsConnection;
let log: EventLog;
let dir: string;
let projector: Projector;
let edge: Edge;
let subs: Array<{ unsubscribe(): void }> = [];
const reports: string[] = [];

beforeAll(async () => {
  nats = await startTestNats();
  nc = await nats.connect();
  await ensureStreams(nc);
  log = await EventLog.open(nc);
  dir = mkdtempSync(join(tmpdir(), "cairn-health-"));
  projector = Projector.open(join(dir, "p.db"), { log, nc, report: (l) => reports.push(l), watch: { stallMs: 500 }, watchEveryMs: 3_000 });
  projector.start();
  subs = serveGatewayServices({
    nc,
    log,
    projector,
    projectionsDb: join(dir, "p.db"),
    version: "0.0.0-test",
    natsVersion: "2.9.10",
    model: { defaultModel: null, env: {}, config: {} },
    archive: () => Promise.reject(new Error("archiving is not part of this test")),
    sandbox: null,
  });
  edge = await startEdge({ nc, host: "127.0.0.1", port: 0, uiDir: dir, version: "0.0.0-test" });
}, 60_000);
afterAll(async () => {
  await edge?.close();
  for (const s of subs) s.unsubscribe();
  await projector?.stop();
  projector?.db.close();
  await nc?.close();
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const health = async () => {
  const r = await fetch(`http://127.0.0.1:${edge.port}/health`);
  return { code: r.status, body: (await r.json()) as any };
};

const waitFor = async <T>(what: string, probe: () => Promise<T | undefined>, ms = 20_000): Promise<T> => {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

let n = 0;
const appendSession = async () => {
  const key = `h${++n}`;
  await log.append({
    kind: "session",
    id: key,
    expectedSeq: 0,
    events: [{ type: "session.created", data: { key, title: "", model: null } }],
    eventIds: [`${key}-created`],
    now: 1,
  });
};

test("/health: ok, then degraded (503, reason) while the projector is stalled, then ok once it caught up", async () => {
  await appendSession();
  await waitFor("the first event applied", async () => (projector.checkpoint === 1 ? true : undefined));
  const ok = await health();
  expect(ok.code).toBe(200);
  expect(ok.body).toMatchObject({ status: "ok", projections: { checkpoint: 1, logLastSeq: 1, lag: 0, state: "ok" } });

  expect(await deleteLogConsumers(nc)).toBeGreaterThanOrEqual(1);
  await appendSession();
  await appendSession();

  const degraded = await waitFor("/health to say degraded", async () => {
    const h = await health();
    return h.code === 503 ? h : undefined;
  });
  expect(degraded.body).toMatchObject({
    status: "degraded",
    projections: { checkpoint: 1, logLastSeq: 3, lag: 2, state: "degraded", issue: "stalled" },
  });
  expect(degraded.body.reason).toMatch(/^projections_stalled: the read models are 2 event\(s\) behind the log/);

  // A restarted consumer is ok at once (it gets a full stall bound), before it has caught up.
  const back = await waitFor("/health to be ok again, caught up", async () => {
    const h = await health();
    return h.code === 200 && h.body.projections?.lag === 0 ? h : undefined;
  });
  expect(back.body).toMatchObject({ status: "ok", projections: { checkpoint: 3, logLastSeq: 3, lag: 0, state: "ok" } });
  expect(back.body.projections.consumerRestarts).toBeGreaterThanOrEqual(1);
  expect(reports.some((l) => l.startsWith("projector: [stalled]"))).toBe(true);
}, 60_000);

test("a read model working off a big backlog is ok and says so: 'catching up: N events'", async () => {
  const { projectionStatus, CATCHING_UP_FROM } = await import("../../../cli/gateway/services.ts");
  const ok = { state: "ok", issue: null, reason: null, stalled: false } as const;
  const at = (checkpoint: number, health: ReturnType<Projector["health"]> = ok) => ({
    checkpoint,
    health: () => health,
    consumerRestarts: 0,
  });
  expect(projectionStatus(at(0), 250_000)).toMatchObject({ lag: 250_000, state: "ok", catchingUp: 250_000 });
  // A routine burst is not worth a word; a stalled or failed consumer is degraded, not catching up.
  expect(projectionStatus(at(0), CATCHING_UP_FROM - 1)).not.toHaveProperty("catchingUp");
  const stalled = { state: "degraded", issue: "stalled", reason: "x", stalled: true } as const;
  expect(projectionStatus(at(0, stalled), 250_000)).not.toHaveProperty("catchingUp");
});
