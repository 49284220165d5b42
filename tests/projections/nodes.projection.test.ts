/**
 * The nodes read model on real parts (nats-server, the log, SQLite), written through the node
 * service: rows follow pairing, approval, revocation and alerts; `q.nodes.list` merges live
 * presence only for approved nodes; a rebuild from the log gives the same rows.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createUser, type KeyPair } from "@nats-io/nkeys";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, expect, test } from "vitest";
import { EventLog, SnapshotStore, ensureStreams, request, subjects } from "../../bus/index.ts";
import { startNodeServices, type NodeServices } from "../../actors/node/index.ts";
import { Projector, buildFresh, listNodes, openDb, serveNodeList, type NodePresence } from "../../projections/index.ts";
import type { NodeSummary, NodeTelemetry } from "../../schemas/index.ts";
import { startTestNats, type TestNats } from "../fixtures/nats.ts";
import { signedPairingRequest } from "../fixtures/pairing.ts";

let nats: TestNats;
let nc: NatsConnection;
let log: EventLog;
let projector: Projector;
let services: NodeServices;
let listSub: { unsubscribe(): void };
let dir: string;
const telemetry: NodeTelemetry = {
  cpus: 4,
  cpuUsage: 0.25,
  memTotal: 8e9,
  memFree: 4e9,
  diskTotal: 1e11,
  diskFree: 5e10,
  uptimeSeconds: 100,
  runtimes: { node: "20" },
  providers: { ollama: null, apiKeys: [] },
  at: 1,
};
// Every node claims to be online: only approved ones may show it.
const presence: NodePresence = { isOnline: () => true, lastSeenAt: () => 42, telemetry: () => telemetry };

beforeAll(async () => {
  nats = await startTestNats();
  nc = await nats.connect();
  await ensureStreams(nc);
  log = await EventLog.open(nc);
  dir = mkdtempSync(join(tmpdir(), "cairn-nodes-proj-"));
  projector = Projector.open(join(dir, "p.db"), { log, nc });
  projector.start();
  services = await startNodeServices({
    nc,
    natsUrl: nats.url,
    log,
    snapshots: await SnapshotStore.open(nc),
    auth: nats.server.auth,
    natsPort: nats.port,
    advertiseUrl: null,
    pairingMinutes: 10,
    report: () => {},
  });
  listSub = serveNodeList(nc, () => projector.db, presence);
}, 60_000);
afterAll(async () => {
  listSub?.unsubscribe();
  await services?.stop();
  await projector?.stop();
  projector?.db.close();
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

let n = 0;
const pair = async (kp: KeyPair, nodeId: string, address = "192.0.2.1") => {
  const signed = signedPairingRequest(kp, nodeId, `proj-nonce-${++n}-${Date.now()}`);
  return request(nc, subjects.admin("nodes", "pair_request"), { request: signed, address }) as Promise<{ requestId: string }>;
};
const nodesList = async (status?: string) =>
  ((await request(nc, subjects.query("nodes", "list"), status ? { status } : {})) as { nodes: NodeSummary[] }).nodes;
const caughtUp = async () => projector.waitFor(await log.lastSeq());

test("rows follow the pairing; presence and telemetry only for approved nodes; a rebuild gives the same rows", async () => {
  await request(nc, subjects.admin("nodes", "pairing"), { open: true, by: "test" });
  const a = createUser();
  const b = createUser();
  const c = createUser();
  const ra = await pair(a, "a");
  const rb = await pair(b, "b");
  const rc = await pair(c, "c");
  await request(nc, subjects.admin("nodes", "approve"), { requestId: ra.requestId, by: "cli" });
  await request(nc, subjects.admin("nodes", "approve"), { requestId: rc.requestId, by: "web" });
  await request(nc, subjects.admin("nodes", "revoke"), { nodeId: "c", by: "cli" });
  await expect(pair(createUser(), "a", "203.0.113.9")).rejects.toMatchObject({ code: "node_key_mismatch" });
  await caughtUp();

  const all = await nodesList();
  const byId = Object.fromEntries(all.map((x) => [x.nodeId, x]));
  expect(byId.a).toMatchObject({
    status: "approved",
    online: true,
    lastSeenAt: 42,
    telemetry,
    address: "192.0.2.1",
    hostname: "a.lan",
    requestId: ra.requestId,
  });
  expect(byId.a.approvedAt).toEqual(expect.any(Number));
  expect(byId.a.alerts).toEqual([{ at: expect.any(Number), message: expect.stringContaining("from 203.0.113.9") }]);
  expect(byId.b).toMatchObject({ status: "pending", online: false, telemetry: null, requestId: rb.requestId });
  expect(byId.c).toMatchObject({ status: "revoked", online: false, telemetry: null });
  expect(all[0].nodeId).toBe("b"); // pending first
  expect((await nodesList("pending")).map((x) => x.nodeId)).toEqual(["b"]);

  const before = listNodes(projector.db);
  const built = await buildFresh(join(dir, "p.db"), log);
  const rebuilt = openDb(built.tmp).db;
  expect(listNodes(rebuilt)).toEqual(before);
  rebuilt.close();
});

test("the pairing window: status query, close, and a closed window refuses without storing", async () => {
  const open = (await request(nc, subjects.query("nodes", "pairing"), {})) as { open: boolean; until: number | null };
  expect(open.open).toBe(true);
  expect(await request(nc, subjects.admin("nodes", "pairing"), { open: false, by: "test" })).toEqual({ open: false, until: null });
  const last = await log.lastSeq();
  await expect(pair(createUser(), "late")).rejects.toMatchObject({ code: "pairing_closed" });
  expect(await log.lastSeq()).toBe(last);
  await expect(request(nc, subjects.admin("nodes", "approve"), { requestId: "nope", by: "cli" })).rejects.toMatchObject({
    code: "node_not_found",
    message: expect.stringContaining("see cairn node pending"),
  });
});
