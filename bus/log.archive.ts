import { createReadStream, createWriteStream, fsyncSync, mkdirSync, openSync, closeSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import { createGunzip, createGzip } from "node:zlib";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { EventLog } from "./event-log.ts";
import { decodeRecord, type RawRecord } from "./event-log.decode.ts";
import * as Schema from "effect/Schema";
import { CairnError, decodeOrFail, parseJsonBounded } from "../schemas/index.ts";
import type { RawEvent } from "./event-chain.ts";
import { ExportedEvent, exportedEvent } from "./log.export.ts";
import { readRawBatches, readRawLog } from "./log.raw.ts";
import { EVENTS_STREAM } from "./subjects.ts";

/**
 * Retention without silent loss (`[log] max_age` / `max_bytes`, `cairn log archive`). The oldest
 * events are first written, whole and chained, to a gzip'd jsonl file in the data dir
 * (`archive/events-<first>-<last>.jsonl.gz`, made atomically), and only then removed from the
 * stream. The log denies delete and purge, and nats-server never lets that be undone, so removal
 * goes through the server's own age limit: the stream's max age is set, for one update, to just
 * past the archived events (the server expires them at once), then back to none.
 *
 * The cut is a time: events stored before it are removed. Everything stored up to `marginMs`
 * after it is archived, so a clock difference between this process and the server (or the moment
 * between reading and updating) can only leave an archived event in the stream, never remove one
 * that was not archived. Archives never overlap one another; an event both archived and still in
 * the stream is read once (archives first, then the stream after the last archived sequence).
 */

export const ARCHIVE_FORMAT = "cairn.archive";
const ArchiveHeader = Schema.Struct({
  format: Schema.Literal(ARCHIVE_FORMAT),
  version: Schema.Literal(1),
  firstSeq: Schema.Number,
  lastSeq: Schema.Number,
  events: Schema.Number,
  createdAt: Schema.Number,
});

const NS_PER_MS = 1_000_000;
const ARCHIVE_NAME = /^events-(\d+)-(\d+)\.jsonl\.gz$/;

export interface ArchiveFile {
  readonly file: string;
  readonly firstSeq: number;
  readonly lastSeq: number;
}

/** The archives in `dir`, oldest first. */
export function listArchives(dir: string): ArchiveFile[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
  return names
    .flatMap((n) => {
      const m = ARCHIVE_NAME.exec(n);
      return m ? [{ file: join(dir, n), firstSeq: Number(m[1]), lastSeq: Number(m[2]) }] : [];
    })
    .sort((a, b) => a.firstSeq - b.firstSeq);
}

/** Archived events handed on at once by `readArchivedLog`, as the stream's reader hands on its chunks. */
const ARCHIVE_CHUNK = 1024;

/** The events of one archive, raw (as the chain is computed), checked against its header. */
export async function* readArchive(a: ArchiveFile): AsyncGenerator<RawEvent> {
  const lines = createInterface({ input: createReadStream(a.file).pipe(createGunzip()), crlfDelay: Number.POSITIVE_INFINITY });
  let header: typeof ArchiveHeader.Type | undefined;
  let n = 0;
  for await (const line of lines) {
    if (line === "") continue;
    const what = `${a.file} line ${n + 2}`;
    if (!header) {
      header = decodeOrFail(ArchiveHeader, parseJsonBounded(line, `${a.file}'s header`), `${a.file}'s header`);
      continue;
    }
    const e = decodeOrFail(ExportedEvent, parseJsonBounded(line, what), what);
    n++;
    const data = Buffer.from(e.data, "utf8");
    yield { seq: e.seq, subject: e.subject, header: (h) => e.headers[h] ?? "", data, storedAt: e.storedAt ?? 0 };
  }
  if (!header || header.events !== n)
    throw new CairnError("internal", `${a.file} is cut short: ${n} events of ${header?.events ?? "?"} (a damaged archive)`);
}

/**
 * The whole history in order: every archive, then the stream from after the last archived
 * sequence. What `log verify --archive` and a replay across the archive boundary read.
 */
export async function* readArchivedLog(nc: NatsConnection, dir: string, untilSeq?: number): AsyncGenerator<RawEvent[]> {
  let after = 0;
  let chunk: RawEvent[] = [];
  for (const a of listArchives(dir)) {
    for await (const r of readArchive(a)) {
      if (r.seq <= after) continue;
      if (untilSeq !== undefined && r.seq > untilSeq) {
        if (chunk.length > 0) yield chunk;
        return;
      }
      after = r.seq;
      chunk.push(r);
      if (chunk.length >= ARCHIVE_CHUNK) {
        yield chunk;
        chunk = [];
      }
    }
  }
  if (chunk.length > 0) yield chunk;
  const info = await (await jetstreamManager(nc)).streams.info(EVENTS_STREAM);
  const last = untilSeq ?? info.state.last_seq;
  yield* readRawBatches(nc, { fromSeq: Math.max(info.state.first_seq, after + 1), untilSeq: last });
}

/**
 * A log reader that starts in the archives: records up to the last archived sequence come from
 * the files, later ones from the stream. Hand it to a projector (a replay or rebuild across the
 * archive boundary) where an `EventLog` goes.
 */
export const archivedReader = (log: EventLog, dir: string): Pick<EventLog, "read" | "lastSeq"> => ({
  lastSeq: () => log.lastSeq(),
  read: async function* (range) {
    let after = 0;
    for (const a of listArchives(dir)) {
      if (a.lastSeq < range.fromSeq) {
        after = Math.max(after, a.lastSeq);
        continue;
      }
      for await (const r of readArchive(a)) {
        if (r.seq <= after || r.seq < range.fromSeq) continue;
        if (range.untilSeq !== undefined && r.seq > range.untilSeq) return;
        after = r.seq;
        yield decodeRecord(rawRecord(r));
      }
    }
    yield* log.read({ ...range, fromSeq: Math.max(range.fromSeq, after + 1) });
  },
});

/** An archived event in the shape the log's decoder reads. */
const rawRecord = (r: RawEvent): RawRecord => ({
  seq: r.seq,
  subject: r.subject,
  header: r.header,
  storedAt: r.storedAt,
  pending: 1,
  data: r.data,
});

export interface ArchivePolicy {
  /** Events older than this are archived and removed. */
  readonly maxAgeMs?: number;
  /** Above this size the oldest events are archived and removed, down to 80% of it. */
  readonly maxBytes?: number;
}

export interface ArchiveResult {
  /** The archive written; null when nothing was due. */
  readonly file: string | null;
  readonly archived: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
  /** Events the stream no longer holds. */
  readonly removed: number;
  readonly bytesBefore: number;
  readonly bytesAfter: number;
}

/** Archives what the policy says is due, then removes it from the stream (see the module comment). */
export async function archiveLog(
  nc: NatsConnection,
  o: ArchivePolicy & { dir: string; now: number; marginMs?: number },
): Promise<ArchiveResult> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(EVENTS_STREAM);
  const { first_seq: firstSeq, last_seq: lastSeq, bytes, messages } = info.state;
  const none = { file: null, archived: 0, firstSeq: 0, lastSeq: 0, removed: 0, bytesBefore: bytes, bytesAfter: bytes };
  if (messages === 0) return none;
  const margin = o.marginMs ?? 60_000;
  // Never younger than the dedupe window: the server refuses a max age below it, and a retried
  // append inside it must still find its first attempt.
  const youngest = o.now - info.config.duplicate_window / NS_PER_MS - margin;
  const ageCut = o.maxAgeMs !== undefined ? o.now - o.maxAgeMs : Number.NEGATIVE_INFINITY;
  // Over the byte limit: the oldest events go until the log is at 80% of it (by event count, in
  // proportion). The stream has no holes (it denies deletes), so the count's last event is at a
  // known sequence; its store time becomes a cut like the age limit's.
  const countCut = o.maxBytes !== undefined && bytes > o.maxBytes ? Math.ceil((messages * (bytes - o.maxBytes * 0.8)) / bytes) : 0;
  let byCount = Number.NEGATIVE_INFINITY;
  if (countCut > 0) {
    const m = await jsm.streams.getMessage(EVENTS_STREAM, { seq: Math.min(lastSeq, firstSeq + countCut - 1) });
    byCount = m ? m.time.getTime() + 1 : Number.NEGATIVE_INFINITY;
  }
  const cut = Math.min(Math.max(ageCut, byCount), youngest);
  const archives = listArchives(o.dir);
  const archivedUpTo = archives.at(-1)?.lastSeq ?? 0;
  const events: RawEvent[] = [];
  for await (const r of readRawLog(nc, { fromSeq: Math.max(firstSeq, archivedUpTo + 1), untilSeq: lastSeq })) {
    if (r.storedAt >= cut + margin) break;
    events.push({ ...r, data: Uint8Array.from(r.data) });
  }
  if (cut === Number.NEGATIVE_INFINITY) return none;
  // Nothing older than the cut (only the margin's events): nothing to remove, so nothing to archive yet.
  if (!events.some((e) => e.storedAt < cut) && archivedUpTo < firstSeq) return none;
  // The archives must reach, without a hole, from where the stream starts (checked before writing).
  const startsAt = Math.max(firstSeq, archivedUpTo + 1);
  if (events.length > 0 && events[0].seq !== startsAt)
    throw new CairnError("internal", `the archive would start at ${events[0].seq}, not at ${startsAt}: a hole in the archives`);
  let file: string | null = null;
  if (events.length > 0) file = await writeArchive(o.dir, events, o.now);
  const covered = events.at(-1)?.seq ?? archivedUpTo;
  // Remove: the server expires what is older than max age at once when the limit is set.
  // Measured from this moment, not `o.now`: the server applies it against its clock now, and
  // reading the events took time — the cut must not move past what was archived meanwhile.
  const maxAgeNs = Math.max(Math.ceil((Date.now() - cut) * NS_PER_MS), info.config.duplicate_window);
  try {
    await jsm.streams.update(EVENTS_STREAM, { ...info.config, max_age: maxAgeNs });
  } finally {
    await jsm.streams.update(EVENTS_STREAM, { ...info.config, max_age: info.config.max_age });
  }
  const after = await jsm.streams.info(EVENTS_STREAM);
  // Belt and braces: nothing left the stream that no archive holds.
  if (after.state.first_seq > covered + 1)
    throw new CairnError(
      "internal",
      `the log now starts at ${after.state.first_seq} but only events up to ${covered} are archived: events were lost (clock far off the server's?)`,
    );
  return {
    file,
    archived: events.length,
    firstSeq: events[0]?.seq ?? 0,
    lastSeq: events.at(-1)?.seq ?? 0,
    removed: after.state.first_seq - firstSeq,
    bytesBefore: bytes,
    bytesAfter: after.state.bytes,
  };
}

/** Writes the archive whole (temp file, fsync, rename), so a crash leaves none or all of it. */
async function writeArchive(dir: string, events: readonly RawEvent[], now: number): Promise<string> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const first = events[0].seq;
  const last = events[events.length - 1].seq;
  const file = join(dir, `events-${first}-${last}.jsonl.gz`);
  const tmp = `${file}.tmp`;
  const header = { format: ARCHIVE_FORMAT, version: 1, firstSeq: first, lastSeq: last, events: events.length, createdAt: now };
  function* lines() {
    yield `${JSON.stringify(header)}\n`;
    for (const e of events) yield `${JSON.stringify(exportedEvent(e))}\n`;
  }
  try {
    await pipeline(Readable.from(lines()), createGzip(), createWriteStream(tmp, { mode: 0o600 }));
    const fd = openSync(tmp, "r");
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  return file;
}
