import { statSync } from "node:fs";
import { join } from "node:path";
import * as Schema from "effect/Schema";
import {
  EventLog,
  archiveLog,
  listArchives,
  logExtent,
  readArchivedLog,
  readRawBatches,
  request,
  subjects,
  verifyEvents,
  type VerifyReport,
} from "../../bus/index.ts";
import { decodeLenient, type LogArchived } from "../../schemas/index.ts";
import { loadSettings } from "../config/index.ts";
import { localTime } from "../output.ts";
import { EXIT_FAILED, progressBar } from "../output.ts";
import type { Paths } from "../paths.ts";
import { withLogConnection } from "./log.access.ts";

const rate = (events: number, ms: number) => (ms > 0 ? Math.round((events / ms) * 1000) : events);

const describeReport = (r: VerifyReport, ms: number): string => {
  const lines = [
    `verified ${r.events} events${r.events ? ` (sequences ${r.firstSeq}..${r.lastSeq})` : ""} in ${Math.round(ms)} ms, ${rate(r.events, ms)} events/s`,
    `  ${r.chained} chained, ${r.unchained} from before the chain, ${r.anchored} anchoring an archived prefix, ${r.subjects} aggregates`,
    `  head digest ${r.digest} (keep it: a later verify with the same digest proves no tail was rewritten)`,
  ];
  for (const b of r.breaks) lines.push(`BREAK at ${b.seq} (${b.subject}): ${b.reason}: ${b.message}`);
  if (r.moreBreaks > 0) lines.push(`... and ${r.moreBreaks} more breaks`);
  lines.push(r.ok ? "ok: every event chains on the one before it" : `FAILED: ${r.breaks.length + r.moreBreaks} breaks`);
  return `${lines.join("\n")}\n`;
};

/** `cairn log verify`: walks the whole log, checks every event's chain, reports breaks and the rate. */
export async function logVerify(o: { json: boolean; archive: boolean }, paths: Paths): Promise<number> {
  const bar = progressBar("verifying");
  const dir = archiveDir(paths);
  const { report, ms, mode } = await withLogConnection(paths, "cairn-log-verify", async (nc, mode) => {
    const extent = await logExtent(nc);
    // With --archive the walk starts at the first archive (sequence 1 unless archives were moved away).
    const firstSeq = o.archive ? (listArchives(dir)[0]?.firstSeq ?? extent.firstSeq) : extent.firstSeq;
    const { lastSeq } = extent;
    const t0 = performance.now();
    const events = o.archive ? readArchivedLog(nc, dir, lastSeq) : readRawBatches(nc, { fromSeq: firstSeq, untilSeq: lastSeq });
    const report = await verifyEvents(events, {
      startsAt: firstSeq,
      onProgress: (seq) => !o.json && bar.update(seq - firstSeq + 1, lastSeq - firstSeq + 1),
    });
    return { report, ms: performance.now() - t0, mode };
  });
  if (!o.json) bar.done();
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ ...report, ms: Math.round(ms), eventsPerSecond: rate(report.events, ms), mode })}\n`);
  } else process.stdout.write(describeReport(report, ms));
  return report.ok ? 0 : EXIT_FAILED;
}

/** Where archived events go: `<data dir>/archive`. */
export const archiveDir = (paths: Paths): string => join(paths.dataDir, "archive");

const ArchiveReply = Schema.Struct({
  file: Schema.NullOr(Schema.String),
  archived: Schema.Number,
  firstSeq: Schema.Number,
  lastSeq: Schema.Number,
  removed: Schema.Number,
  bytesBefore: Schema.Number,
  bytesAfter: Schema.Number,
});

/**
 * `cairn log archive --max-age <age> | --max-bytes <n>`: archives what the limit says is due and
 * removes it from the stream (through the gateway when one runs: only it may change the log).
 */
export async function logArchive(o: { json: boolean; maxAgeMs?: number; maxBytes?: number }, paths: Paths): Promise<number> {
  const policy = {
    ...(o.maxAgeMs !== undefined ? { maxAgeMs: o.maxAgeMs } : {}),
    ...(o.maxBytes !== undefined ? { maxBytes: o.maxBytes } : {}),
  };
  const r = await withLogConnection(paths, "cairn-log-archive", async (nc, mode) =>
    mode === "offline"
      ? archiveLog(nc, { ...policy, dir: archiveDir(paths), now: Date.now() })
      : decodeLenient(ArchiveReply, await request(nc, subjects.admin("log", "archive"), policy, { timeoutMs: 600_000 }), "archive reply"),
  );
  if (o.json) process.stdout.write(`${JSON.stringify({ ok: true, ...r })}\n`);
  else if (!r.file && r.removed === 0) process.stdout.write("nothing to archive: no event is past the limit\n");
  else
    process.stdout.write(
      `archived events ${r.firstSeq}..${r.lastSeq} (${r.archived}) to ${r.file ?? "an earlier archive"}; ` +
        `${r.removed} removed from the log (${r.bytesBefore} → ${r.bytesAfter} bytes)\n` +
        "  check it with 'cairn log verify --archive'\n",
    );
  return 0;
}

/** What `cairn log status` reports: the log's extent, its archives, the retention limits and the last archive run. */
export interface LogStatus {
  readonly log: { readonly firstSeq: number; readonly lastSeq: number; readonly messages: number; readonly bytes: number };
  readonly archives: {
    readonly files: number;
    readonly firstSeq: number | null;
    readonly lastSeq: number | null;
    readonly bytes: number;
    readonly dir: string;
  };
  readonly retention: { readonly maxAgeMs?: number; readonly maxBytes?: number; readonly checkMs: number } | null;
  /** The last `settings.log_archived` event: when, and what it did. */
  readonly lastArchive: (typeof LogArchived.Type & { readonly seq: number; readonly time: number }) | null;
  readonly mode: "gateway" | "offline";
}

const describeStatus = (s: LogStatus): string => {
  const lines = [
    `log       events ${s.log.firstSeq}..${s.log.lastSeq} (${s.log.messages}), ${s.log.bytes} bytes`,
    s.archives.files === 0
      ? `archives  none in ${s.archives.dir}`
      : `archives  ${s.archives.files} file(s), events ${s.archives.firstSeq}..${s.archives.lastSeq}, ${s.archives.bytes} bytes in ${s.archives.dir}`,
    s.retention
      ? `retention${s.retention.maxAgeMs !== undefined ? ` max_age ${Math.round(s.retention.maxAgeMs / 1000)} s` : ""}${s.retention.maxBytes !== undefined ? ` max_bytes ${s.retention.maxBytes}` : ""}, checked every ${s.retention.checkMs / 1000} s by the owner of partition 0`
      : "retention none: the log keeps every event ([log] max_age / max_bytes to set one)",
  ];
  const a = s.lastArchive;
  lines.push(
    a
      ? `last      ${localTime(a.time)} by ${a.by}: events ${a.firstSeq}..${a.lastSeq} to ${a.file ?? "an earlier archive"}, ${a.removed} removed (${a.bytesBefore} -> ${a.bytesAfter} bytes) [event ${a.seq}]`
      : "last      never archived",
  );
  return `${lines.join("\n")}\n`;
};

/** `cairn log status`: how big the log is, what was archived, the retention limits and the last archive run. */
export async function logStatus(o: { json: boolean }, paths: Paths): Promise<number> {
  const dir = archiveDir(paths);
  const files = listArchives(dir);
  const retention = loadSettings(paths.configFile).log.retention;
  const status = await withLogConnection(paths, "cairn-log-status", async (nc, mode): Promise<LogStatus> => {
    const [extent, settings] = await Promise.all([logExtent(nc), (await EventLog.open(nc)).load("settings", "global")]);
    let lastArchive: LogStatus["lastArchive"] = null;
    for (const r of settings.records)
      if (r.ok && r.event.type === "settings.log_archived") lastArchive = { ...r.event.data, seq: r.event.seq, time: r.event.time };
    return {
      log: { firstSeq: extent.firstSeq, lastSeq: extent.lastSeq, messages: extent.messages, bytes: extent.bytes },
      archives: {
        files: files.length,
        firstSeq: files[0]?.firstSeq ?? null,
        lastSeq: files.at(-1)?.lastSeq ?? null,
        bytes: files.reduce((n, f) => n + statSync(f.file).size, 0),
        dir,
      },
      retention,
      lastArchive,
      mode,
    };
  });
  process.stdout.write(o.json ? `${JSON.stringify(status)}\n` : describeStatus(status));
  return 0;
}
