/**
 * Bulk reads of the log (verify, replay, archive) on a log that never held an event: a new
 * stream reports its extent as 0..0, which must read as nothing, not wait for a first event.
 */
import { afterAll, beforeAll, expect, test } from "vitest";
import type { NatsConnection } from "@nats-io/transport-node";
import { EventLog, ensureStreams, logExtent, readRawLog, verifyEvents } from "../../bus/index.ts";
import { startTestNats, type TestNats } from "../fixtures/nats.ts";

let nats: TestNats;
let nc: NatsConnection;

beforeAll(async () => {
  nats = await startTestNats();
  nc = await nats.connect();
  await ensureStreams(nc);
});
afterAll(async () => {
  await nc.close();
  await nats.stop();
});

test("a log that never held an event verifies as empty and reads as nothing", async () => {
  const { firstSeq, lastSeq } = await logExtent(nc);
  expect(lastSeq).toBe(0);
  const report = await verifyEvents(readRawLog(nc, { fromSeq: firstSeq, untilSeq: lastSeq }));
  expect(report).toMatchObject({ ok: true, events: 0 });
  const log = await EventLog.open(nc);
  const read = [];
  for await (const r of log.read({ fromSeq: firstSeq, untilSeq: lastSeq })) read.push(r);
  expect(read).toEqual([]);
});
