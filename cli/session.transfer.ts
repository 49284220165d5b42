import { approvalIdFor } from "../actors/approval/index.ts";
import { transcriptMarkdown } from "../actors/memory/index.ts";
import {
  type EventLog,
  encodeEventsExport,
  importEvents,
  parseEventsExport,
  readSubjectsRaw,
  renewIds,
  subjects,
  type ImportResult,
} from "../bus/index.ts";
import { loadSessionEvents, sessionAt } from "../projections/index.ts";
import { CairnError, type AggregateKind, type SessionExportFile, type SessionExportFormat } from "../schemas/index.ts";

/**
 * A session's way out of one gateway and into another: the export's text, and an import of it
 * into a log. Shared by the CLI (no gateway running: it writes the log itself) and the gateway's
 * `admin.sessions.import` (only the gateway may append while it runs).
 */

export type ExportFormat = SessionExportFormat;

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

/**
 * What one reply over the bus carries (NATS's default max payload, less the envelope and JSON
 * escaping's growth): a longer chat is exported with `cairn sessions export`, which reads the log itself.
 */
const MAX_VIA_BUS = 900 * 1024;

/** The export as a file for a download (`admin.sessions.export`, the web UI's Export). */
export async function sessionExportFile(log: EventLog, key: string, format: ExportFormat, now: number): Promise<SessionExportFile> {
  const text = await sessionExportText(log, key, format, now);
  if (Buffer.byteLength(text) > MAX_VIA_BUS)
    throw new CairnError(
      "frame_too_large",
      `the export of '${key}' is larger than one reply carries; use: cairn sessions export ${key} --format ${format} --out FILE`,
    );
  const markdown = format === "markdown";
  return {
    sessionKey: key,
    format,
    filename: `cairn-${key}.${markdown ? "md" : "jsonl"}`,
    mimeType: markdown ? "text/markdown" : "application/x-ndjson",
    text,
  };
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
