/**
 * Retention with an archive, on a real nats-server: events older than the limit are written to a
 * gzip'd archive in the data dir and only then leave the stream (which denies delete and purge);
 * the archive and the stream verify as one chain; a projector that was following keeps following;
 * a replay reads across the archive boundary to the same rows as before; an archive altered
 * afterwards is found; over the byte limit the oldest events go.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import type { NatsConnection } from "@nats-io/transport-node";
import {
  type EventLog,
  archiveLog,
  archivedReader,
  listArchives,
  logExtent,
  readArchivedLog,
  readRawBatches,
  verifyEvents,
} from "../../bus/index.ts";
import { Projector, openDb } from "../../projections/index.ts";
import { replayedRows, sessionRows, startArchiveLog, type ArchiveLog } from "../fixtures/archive.log.ts";

let ctx: ArchiveLog;
let nc: NatsConnection;
let log: EventLog;
let dir: string;
beforeEach(async () => {
  ctx = await startArchiveLog("cairn-archive-");
  ({ nc, log, dir } = ctx);
});
afterEach(() => ctx.stop());

const chat = (key: string, messages: number) => ctx.chat(key, messages);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const replayed = (reader: Parameters<typeof replayedRows>[0], toSeq: number, name: string) => replayedRows(reader, dir, toSeq, name);

describe("log archive", () => {
  test("by age: archived, then removed; verify, follow and replay carry on across the boundary", async () => {
    await chat("old-a", 5);
    await chat("old-b", 5);
    const oldLast = await log.lastSeq();
    await sleep(1_500);
    await chat("old-a", 2);
    await chat("new", 3);
    const last = await log.lastSeq();
    const projector = new Projector(openDb(join(dir, "live.db")).db, { log });
    await projector.catchUp(last);
    const before = await replayed(log, last, "before");

    const archives = join(dir, "archive");
    const now = Date.now();
    const r = await archiveLog(nc, { dir: archives, maxAgeMs: 1_000, now, marginMs: 200 });
    expect(r).toMatchObject({ archived: oldLast, firstSeq: 1, lastSeq: oldLast, removed: oldLast });
    expect(listArchives(archives).map((a) => [a.firstSeq, a.lastSeq])).toEqual([[1, oldLast]]);
    const extent = await logExtent(nc);
    expect(extent.firstSeq).toBe(oldLast + 1);
    expect(r.bytesAfter).toBeLessThan(r.bytesBefore);

    // The stream alone anchors on its first events; with the archive, the whole chain holds.
    const streamOnly = await verifyEvents(readRawBatches(nc, { fromSeq: extent.firstSeq, untilSeq: extent.lastSeq }), {
      startsAt: extent.firstSeq,
    });
    expect(streamOnly).toMatchObject({ ok: true, anchored: 2 });
    const whole = await verifyEvents(readArchivedLog(nc, archives));
    expect(whole).toMatchObject({ ok: true, events: last, anchored: 0, breaks: [] });

    // Nothing more due at that moment: a second run writes nothing and removes nothing.
    expect(await archiveLog(nc, { dir: archives, maxAgeMs: 1_000, now, marginMs: 200 })).toMatchObject({ file: null, removed: 0 });

    // The projector that was following goes on from its checkpoint.
    await chat("new", 1);
    const end = await log.lastSeq();
    await projector.catchUp(end);
    // A replay across the boundary: the rows of before, and with the new message the live rows.
    expect(await replayed(archivedReader(log, archives), last, "after")).toEqual(before);
    expect(await replayed(archivedReader(log, archives), end, "after-now")).toEqual(sessionRows(projector.db));
    projector.db.close();
  });

  test("an archive altered afterwards breaks the chain where it was altered", async () => {
    await chat("t", 6);
    await sleep(1_200);
    await chat("u", 1);
    const archives = join(dir, "archive");
    await archiveLog(nc, { dir: archives, maxAgeMs: 1_000, now: Date.now(), marginMs: 100 });
    const [a] = listArchives(archives);
    const text = gunzipSync(readFileSync(a.file)).toString("utf8");
    const altered = text.replace(/message (\d+) of t/, "message $1 of T");
    expect(altered).not.toBe(text);
    writeFileSync(a.file, gzipSync(altered));
    const v = await verifyEvents(readArchivedLog(nc, archives));
    expect(v.ok).toBe(false);
    expect(v.breaks[0]).toMatchObject({ reason: "altered", subject: "evt.session.t" });
  });

  test("by size: over the byte limit the oldest events go, down to 80% of it", async () => {
    await chat("s", 40);
    await sleep(600);
    const { bytes, messages } = await logExtent(nc);
    const archives = join(dir, "archive");
    const r = await archiveLog(nc, { dir: archives, maxBytes: Math.floor(bytes / 2), now: Date.now(), marginMs: 50 });
    // At least the count that brings it to 80% of the limit left the stream, all of it archived
    // (the margin may archive a few more than it removes: never the other way round).
    expect(r.removed).toBeGreaterThanOrEqual(Math.ceil(messages * 0.6));
    expect(r.archived).toBeGreaterThanOrEqual(r.removed);
    expect(r.bytesAfter).toBeLessThan(bytes / 2);
    expect((await logExtent(nc)).firstSeq).toBeLessThanOrEqual(r.lastSeq + 1);
    expect(await verifyEvents(readArchivedLog(nc, archives))).toMatchObject({ ok: true, events: messages });
  });
});
