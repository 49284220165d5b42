import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { approvalIdFor } from "../../actors/approval/index.ts";
import { transcriptMarkdown } from "../../actors/memory/index.ts";
import {
  EventLog,
  encodeEventsExport,
  importEvents,
  parseEventsExport,
  readSubjectsRaw,
  renewIds,
  subjects,
  type ImportResult,
} from "../../bus/index.ts";
import { loadSessionEvents, sessionAt } from "../../projections/index.ts";
import { CairnError, type AggregateKind } from "../../schemas/index.ts";
import type { Paths } from "../paths.ts";
import { withLogConnection } from "./log.access.ts";

export type ExportFormat = "jsonl" | "markdown";

/**
 * The export's text. jsonl: the session's events and those of its runs and approvals, raw and
 * chained (see bus/log.export.ts). markdown: the transcript as the memory export writes it
 * (`transcriptMarkdown`), from the session as the log holds it now.
 */
export async function sessionExportText(log: EventLog, key: string, format: ExportFormat, now: number): Promise<string> {
  const s = await loadSessionEvents(log, key, approvalIdFor);
  if (format === "markdown") {
    const at = sessionAt(s, { seq: Number.MAX_SAFE_INTEGER });
    if (!at.session) throw new CairnError("session_not_found", `session '${key}' was deleted; export it as jsonl to keep its events`);
    return transcriptMarkdown({ session: at.session, messages: at.messages, activeRun: at.activeRun, checkpoint: at.seq }, now);
  }
  const aggregates = [...new Set(s.events.map((e) => subjects.events(e.kind as AggregateKind, e.aggregateId)))];
  return encodeEventsExport({ sessionKey: key, exportedAt: now }, await readSubjectsRaw(log.nc, aggregates));
}

/** `cairn sessions export <key> --format jsonl|markdown [--out FILE]`. */
export async function sessionsExport(o: { key: string; format: ExportFormat; out?: string }, paths: Paths): Promise<number> {
  const text = await withLogConnection(paths, "cairn-sessions-export", async (nc) =>
    sessionExportText(await EventLog.open(nc), o.key, o.format, Date.now()),
  );
  if (o.out === undefined || o.out === "-") {
    process.stdout.write(text);
    return 0;
  }
  // Whole or nothing: a reader never sees half a file.
  writeFileSync(`${o.out}.tmp`, text, { mode: 0o600 });
  renameSync(`${o.out}.tmp`, o.out);
  process.stderr.write(`exported session ${o.key} to ${o.out}\n`);
  return 0;
}

/** Checks an export and writes it into `log` (under `as` when given). */
export async function importSessionText(log: EventLog, text: string, as?: string): Promise<ImportResult & { sessionKey: string }> {
  const { header, events } = parseEventsExport(text);
  const from = header.sessionKey;
  if (from === undefined) throw new CairnError("bad_request", "the export names no session; only session exports can be imported");
  const key = as ?? from;
  const r = await importEvents(log, { sessionKey: key, events: renewIds(events, { from, to: key, approvalIdOf: approvalIdFor }) });
  return { ...r, sessionKey: key };
}

/** `cairn sessions import <file> [--as KEY]`: a jsonl export, checked whole, then written. */
export async function sessionsImport(o: { file: string; as?: string; json: boolean }, paths: Paths): Promise<number> {
  const text = readFileSync(o.file === "-" ? 0 : o.file, "utf8");
  // Checked before any connection: a bad file fails the same with or without a gateway.
  parseEventsExport(text);
  const r = await withLogConnection(paths, "cairn-sessions-import", async (nc) => importSessionText(await EventLog.open(nc), text, o.as));
  if (o.json) process.stdout.write(`${JSON.stringify({ ok: true, ...r })}\n`);
  else
    process.stdout.write(
      `imported session ${r.sessionKey}: ${r.events} events into ${r.aggregates} aggregates` +
        `${r.resumed ? ` (${r.resumed} were already there from an earlier attempt)` : ""}\n`,
    );
  return 0;
}
