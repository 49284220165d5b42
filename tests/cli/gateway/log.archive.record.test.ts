/**
 * `cairn log archive` against a real gateway: the gateway archives, then records the run through
 * its settings actor (`settings.log_archived` on `settings/global`), and `cairn log status --json`
 * shows that record. The gateway joins an external nats-server so the test can shorten the log's
 * dedupe window (the archive never cuts into it); events still have to be a minute old (the
 * gateway's safety margin), so the test waits for that — a condition, polled, not a sleep.
 */
import { basename } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, expect, test } from "vitest";
import { EVENTS_STREAM, EventLog } from "../../../bus/index.ts";
import { startGatewayProc, type GatewayProc } from "../../fixtures/gateway.ts";
import { startTestNats, type TestNats } from "../../fixtures/nats.ts";

let nats: TestNats;
let nc: NatsConnection;
let gw: GatewayProc;

beforeAll(async () => {
  nats = await startTestNats();
  gw = await startGatewayProc({ extraEnv: { CAIRN_NATS_URL: nats.url, CAIRN_NATS_CREDS: nats.creds.gateway } });
  nc = await nats.connect("archive-record-test");
}, 60_000);
afterAll(async () => {
  await gw?.dispose();
  await nc?.close();
  await nats?.stop();
});

test("an archive run asked of the gateway is recorded by its settings actor and shown by 'log status'", async () => {
  const log = await EventLog.open(nc);
  let seq = 0;
  for (let i = 0; i < 5; i++)
    [seq] = await log.append({
      kind: "session",
      id: "old-chat",
      expectedSeq: seq,
      events: [
        i === 0
          ? { type: "session.created", data: { key: "old-chat", title: "old", model: null } }
          : { type: "session.user_message", data: { messageId: `m${i}`, text: `message ${i}`, runId: `r${i}` } },
      ],
      eventIds: [`old-chat-${i}`],
      now: Date.now(),
    });
  // The gateway made the log with a two-minute dedupe window; the archive keeps that much.
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(EVENTS_STREAM);
  await jsm.streams.update(EVENTS_STREAM, { ...info.config, duplicate_window: 200 * 1_000_000 });

  const before = JSON.parse((await gw.cli(["log", "status", "--json"])).stdout);
  expect(before).toMatchObject({ mode: "gateway", lastArchive: null });

  // Until the events are past the gateway's one-minute margin, there is nothing to archive.
  let archived: { archived: number; lastSeq: number; file: string | null } | undefined;
  await expect
    .poll(
      async () => {
        const r = await gw.cli(["log", "archive", "--max-age", "1s", "--json"]);
        expect(r.stderr).toBe("");
        archived = JSON.parse(r.stdout);
        return archived?.archived ?? 0;
      },
      { timeout: 150_000, interval: 2_000 },
    )
    .toBeGreaterThan(0);

  const status = await gw.cli(["log", "status", "--json"]);
  expect(status.code).toBe(0);
  const s = JSON.parse(status.stdout);
  expect(s.lastArchive).toMatchObject({
    by: "cli",
    lastSeq: archived!.lastSeq,
    archived: archived!.archived,
    file: basename(archived!.file ?? ""),
  });
  expect(s.lastArchive.seq).toBeGreaterThan(seq);
  expect(s.archives.files).toBe(1);
  // The record is an event of the settings aggregate, appended by the gateway's settings actor.
  const settings = (await log.load("settings", "global")).records.flatMap((r) => (r.ok ? [r.event] : []));
  expect(settings.find((e) => e.type === "settings.log_archived")).toMatchObject({ seq: s.lastArchive.seq, actor: expect.any(String) });
}, 200_000);
