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
import { CairnError, type AggregateKind } from "../schemas/index.ts";

/**
 * A session's way out of one gateway and into another: the export's text, and an import of it
 * into a log. Shared by the CLI (no gateway running: it writes the log itself) and the gateway's
 * `admin.sessions.import` (only the gateway may append while it runs).
 */

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

/** Checks an export and writes it into `log` (under `as` when given). */
export async function importSessionText(log: EventLog, text: string, as?: string): Promise<ImportResult & { sessionKey: string }> {
  const { header, events } = parseEventsExport(text);
  const from = header.sessionKey;
  if (from === undefined) throw new CairnError("bad_request", "the export names no session; only session exports can be imported");
  const key = as ?? from;
  const r = await importEvents(log, { sessionKey: key, events: renewIds(events, { from, to: key, approvalIdOf: approvalIdFor }) });
  return { ...r, sessionKey: key };
}
