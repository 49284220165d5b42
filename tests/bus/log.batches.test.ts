/**
 * Bulk reads of the log (verify, replay, archive) on a log that never held an event: a new
 * stream reports its extent as 0..0, which must read as nothing, not wait for a first event.
 */
import { expect, test } from "vitest";
import { EventLog, logExtent, readRawBatches, verifyEvents } from "../../bus/index.ts";
import { useNatsStreams } from "../fixtures/nats.streams.ts";

const ctx = useNatsStreams();

test("a log that never held an event verifies as empty and reads as nothing", async () => {
  const { firstSeq, lastSeq } = await logExtent(ctx.nc);
  expect(lastSeq).toBe(0);
  const report = await verifyEvents(readRawBatches(ctx.nc, { fromSeq: firstSeq, untilSeq: lastSeq }));
  expect(report).toMatchObject({ ok: true, events: 0 });
  const log = await EventLog.open(ctx.nc);
  const read = [];
  for await (const r of log.read({ fromSeq: firstSeq, untilSeq: lastSeq })) read.push(r);
  expect(read).toEqual([]);
});
