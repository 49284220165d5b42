import { join } from "node:path";
import { afterEach, beforeEach, expect, test } from "vitest";
import type { NatsConnection } from "@nats-io/transport-node";
import { type EventLog, archivedReader, listArchives, logExtent } from "../../../bus/index.ts";
import { Projector, openDb } from "../../../projections/index.ts";
import { archiveAndRecord, startLogRetention, type ArchiveRecord } from "../../../cli/gateway/log.retention.ts";
import { replayedRows, sessionRows, startArchiveLog, type ArchiveLog } from "../../fixtures/archive.log.ts";

let ctx: ArchiveLog;
let nc: NatsConnection;
let log: EventLog;
let dir: string;
const stops: (() => void)[] = [];
beforeEach(async () => {
  ctx = await startArchiveLog("cairn-retention-");
  ({ nc, log, dir } = ctx);
});
afterEach(async () => {
  for (const stop of stops.splice(0)) stop();
  await ctx.stop();
});
const chat = (key: string, messages: number) => ctx.chat(key, messages);

/** Records the run the way the settings actor does: one event on `settings/global`. */
const record = async (data: ArchiveRecord) => {
  const last = await log.lastSeqOf("settings", "global");
  await log.append({
    kind: "settings",
    id: "global",
    expectedSeq: last,
    events: [{ type: "settings.log_archived", data }],
    eventIds: [`archived-${data.firstSeq}-${data.lastSeq}`],
    now: Date.now(),
  });
};

const replayedSessions = (toSeq: number, name: string) => replayedRows(archivedReader(log, join(dir, "archive")), dir, toSeq, name);

const until = async <T>(fn: () => Promise<T>, ok: (v: T) => boolean): Promise<T> => {
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
};

const archivedRuns = async () =>
  (await log.load("settings", "global")).records.flatMap((r) => (r.ok && r.event.type === "settings.log_archived" ? [r.event.data] : []));

test("the owner's timer archives what is past max_age, records it, and replay reads across the boundary", async () => {
  await chat("old", 6);
  const oldLast = await log.lastSeq();
  // Ageing the first events past the limit (set-up, not an assertion on time).
  await new Promise((r) => setTimeout(r, 1_500));
  await chat("old", 1);
  await chat("new", 2);
  const last = await log.lastSeq();
  const projector = new Projector(openDb(join(dir, "live.db")).db, { log });
  await projector.catchUp(last);
  const before = sessionRows(projector.db);
  projector.db.close();

  const archive = () =>
    archiveAndRecord({
      nc,
      dir: join(dir, "archive"),
      policy: { maxAgeMs: 1_000 },
      by: "retention",
      gatewayId: "gw-a",
      record,
      marginMs: 200,
    });
  // A gateway that does not own partition 0 never archives; the owner does, on its timer.
  let notOwnerRuns = 0;
  stops.push(
    startLogRetention({
      archive: () => {
        notOwnerRuns++;
        return archive();
      },
      everyMs: 100,
      isOwner: () => false,
      report: () => {},
    }),
  );
  const reports: string[] = [];
  stops.push(startLogRetention({ archive, everyMs: 100, isOwner: () => true, report: (l) => reports.push(l) }));

  const [run] = await until(archivedRuns, (rs) => rs.length > 0);
  expect(run).toMatchObject({
    firstSeq: 1,
    lastSeq: oldLast,
    archived: oldLast,
    removed: oldLast,
    by: "retention",
    gatewayId: "gw-a",
    maxAgeMs: 1_000,
  });
  expect(run.file).toBe(`events-1-${oldLast}.jsonl.gz`);
  expect(listArchives(join(dir, "archive")).map((a) => [a.firstSeq, a.lastSeq])).toEqual([[1, oldLast]]);
  expect((await logExtent(nc)).firstSeq).toBe(oldLast + 1);
  expect(reports.some((l) => l.includes(`archived events 1..${oldLast}`))).toBe(true);
  expect(notOwnerRuns).toBe(0);

  // Replay across the boundary: the archive's events, then the stream's, to the same rows.
  expect(await replayedSessions(last, "after")).toEqual(before);
  // The record of the archive run is itself in the log, after the boundary, and replays too.
  const end = await log.lastSeq();
  expect((await replayedSessions(end, "with-record")).sessions).toEqual(before.sessions);
});
