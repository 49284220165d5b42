/**
 * The node service on real parts (nats-server in operator mode, the log, snapshots) and nothing
 * else: no SQLite read model exists in this file, so every decision it takes — which node a
 * request id names, whether it is pending, which revocations the server lacks — comes from the
 * log. A restarted service finds what an earlier one (or another writer) recorded, and closes a
 * pairing window whose deadline passed while nothing ran.
 */
import { decode as decodeJwt, type Account } from "@nats-io/jwt";
import { createUser, type KeyPair } from "@nats-io/nkeys";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { NodeDirectory, PAIRING_WINDOW_ID, fingerprintOf, startNodeServices, type NodeServices } from "../../../actors/node/index.ts";
import { EventLog, SnapshotStore, ensureStreams, request, subjects } from "../../../bus/index.ts";
import { currentAppAccountJwt } from "../../../bus/server/index.ts";
import { pairingStatusText, type NewEvent, type PairingStatusResult, type PairingWindow } from "../../../schemas/index.ts";
import { startTestNats, type TestNats } from "../../fixtures/nats.ts";
import { signedPairingRequest } from "../../fixtures/pairing.ts";

let nats: TestNats;
let nc: NatsConnection;
let log: EventLog;
let snapshots: SnapshotStore;
let services: NodeServices | undefined;

beforeAll(async () => {
  nats = await startTestNats();
  nc = await nats.connect();
  await ensureStreams(nc);
  log = await EventLog.open(nc);
  snapshots = await SnapshotStore.open(nc);
}, 60_000);
afterEach(async () => {
  await services?.stop();
  services = undefined;
});
afterAll(async () => {
  await nats?.stop();
});

const start = async (o: { now?: () => number } = {}) => {
  services = await startNodeServices({
    nc,
    natsUrl: nats.url,
    log,
    snapshots,
    auth: nats.server.auth,
    natsPort: nats.port,
    advertiseUrl: null,
    pairingMinutes: 10,
    report: () => {},
    ...o,
  });
  return services;
};

let n = 0;
const pair = async (kp: KeyPair, nodeId: string) => {
  const signed = signedPairingRequest(kp, nodeId, `svc-nonce-${++n}-${Date.now()}`);
  return request(nc, subjects.admin("nodes", "pair_request"), { request: signed, address: "192.0.2.7" }) as Promise<{
    requestId: string;
    status: string;
  }>;
};
const poll = (kp: KeyPair, requestId: string) => {
  const r = { requestId, publicKey: kp.getPublicKey(), timestamp: Date.now() };
  const signature = Buffer.from(kp.sign(new TextEncoder().encode(pairingStatusText(r)))).toString("base64url");
  return request(nc, subjects.admin("nodes", "pair_status"), { request: { ...r, signature } }) as Promise<PairingStatusResult>;
};
const openWindow = () => request(nc, subjects.admin("nodes", "pairing"), { open: true, by: "test" });

describe("the node service decides from the log alone", () => {
  test("a request is approved by its id the moment it is recorded; the poll gets a JWT for the node's key; an unknown id is node_not_found", async () => {
    await start();
    await openWindow();
    const kp = createUser();
    const asked = await pair(kp, "fresh");
    expect(asked.status).toBe("pending");
    // No read model to wait for: the id is routed from the log right away.
    expect(await request(nc, subjects.admin("nodes", "approve"), { requestId: asked.requestId, by: "cli" })).toMatchObject({
      nodeId: "fresh",
      status: "approved",
    });
    const status = await poll(kp, asked.requestId);
    expect(status).toMatchObject({ status: "approved", nodeId: "fresh", natsPort: nats.port });
    expect(decodeJwt(status.jwt!).sub).toBe(kp.getPublicKey());
    await expect(request(nc, subjects.admin("nodes", "reject"), { requestId: "never-made", by: "cli" })).rejects.toMatchObject({
      code: "node_not_found",
      message: expect.stringContaining("see cairn node pending"),
    });
  });

  test("a restarted service finds requests an earlier one recorded; a node's superseded request id is no longer pending", async () => {
    await start();
    await openWindow();
    const kp = createUser();
    const first = await pair(kp, "again");
    await services!.stop();
    services = undefined;

    await start();
    expect(await request(nc, subjects.admin("nodes", "reject"), { requestId: first.requestId, by: "web" })).toMatchObject({
      nodeId: "again",
      status: "rejected",
    });
    expect(await poll(kp, first.requestId)).toEqual({ status: "rejected", nodeId: "again" });
    // A rejected node may ask again: the new id is the one that counts.
    const second = await pair(kp, "again");
    expect(second.requestId).not.toBe(first.requestId);
    await expect(request(nc, subjects.admin("nodes", "approve"), { requestId: first.requestId, by: "cli" })).rejects.toMatchObject({
      code: "node_not_found",
    });
    expect(await request(nc, subjects.admin("nodes", "approve"), { requestId: second.requestId, by: "cli" })).toMatchObject({
      status: "approved",
    });
  });

  test("a revocation recorded but never pushed to the server (a crash in between) is pushed at the next start", async () => {
    const kp = createUser();
    const publicKey = kp.getPublicKey();
    // Another writer's history, appended straight to the log: no effect ever ran for it.
    const events: NewEvent[] = [
      {
        type: "node.pairing_requested",
        data: {
          requestId: "crashreq1",
          name: "Gone",
          publicKey,
          fingerprint: fingerprintOf(publicKey),
          address: null,
          hostname: "h",
          platform: "linux",
          workingDir: "/w",
          nonce: "crash-nonce-1",
        },
      },
      { type: "node.approved", data: { requestId: "crashreq1", by: "cli" } },
      { type: "node.revoked", data: { by: "cli" } },
    ];
    const at = Date.now();
    await log.append({ kind: "node", id: "gone", expectedSeq: 0, events, eventIds: events.map((_, i) => `crash-${at}-${i}`), now: at });
    const revocations = async () => decodeJwt<Account>(await currentAppAccountJwt(nats.server.auth)).nats.revocations ?? {};
    expect((await revocations())[publicKey]).toBeUndefined();

    await start();
    expect((await revocations())[publicKey]).toBeGreaterThanOrEqual(Math.floor(at / 1000) - 1);
  });
});

test("a window left open by a stopped service is closed at its deadline by the next one (re-armed when it adopts the window)", async () => {
  await start();
  const opened = (await request(nc, subjects.admin("nodes", "pairing"), { open: true, minutes: 1, by: "test" })) as PairingWindow;
  expect(opened.open).toBe(true);
  await services!.stop();
  services = undefined;
  const before = await log.lastSeqOf("pairing", PAIRING_WINDOW_ID);

  // The next start is past the deadline: the minute went by while no service ran.
  await start({ now: () => Date.now() + 61_000 });
  const closes = async () =>
    (await log.load("pairing", PAIRING_WINDOW_ID, before)).records.flatMap((r) =>
      r.ok ? [{ type: r.event.type, data: r.event.data }] : [],
    );
  for (let i = 0; i < 50 && (await closes()).length === 0; i++) await new Promise((r) => setTimeout(r, 100));
  expect(await closes()).toEqual([{ type: "pairing.closed", data: { by: "gateway", reason: "expired" } }]);
  expect(await request(nc, subjects.query("nodes", "pairing"), {})).toEqual({ open: false, until: null });
});

test("the directory folds node events from the log: another writer's request is found on a miss, a superseded one is not", async () => {
  const dir = new NodeDirectory(log);
  await dir.catchUp();
  const requested = (requestId: string, nonce: string): NewEvent => ({
    type: "node.pairing_requested",
    data: {
      requestId,
      name: "Elsewhere",
      publicKey: createUser().getPublicKey(),
      fingerprint: "SHA256:x",
      address: null,
      hostname: "h",
      platform: "linux",
      workingDir: "/w",
      nonce,
    },
  });
  const seq = await log.lastSeqOf("node", "elsewhere");
  const [s1] = await log.append({
    kind: "node",
    id: "elsewhere",
    expectedSeq: seq,
    events: [requested("dirreq1", "dir-n1")],
    eventIds: [`dir-${Date.now()}-1`],
    now: Date.now(),
  });
  expect(await dir.nodeOfRequest("dirreq1")).toBe("elsewhere");
  expect(dir.nodeIds()).toContain("elsewhere");
  await log.append({
    kind: "node",
    id: "elsewhere",
    expectedSeq: s1,
    events: [{ type: "node.rejected", data: { requestId: "dirreq1", by: "cli" } }, requested("dirreq2", "dir-n2")],
    eventIds: [`dir-${Date.now()}-2`, `dir-${Date.now()}-3`],
    now: Date.now(),
  });
  expect(await dir.nodeOfRequest("dirreq2")).toBe("elsewhere");
  expect(await dir.nodeOfRequest("dirreq1")).toBeUndefined();
  expect(await dir.nodeOfRequest("nobody")).toBeUndefined();
});
