import { CairnError } from "../../schemas/index.ts";
import type { EventLog } from "../event-log.ts";
import type { LogRecord } from "../event-log.decode.ts";
import { subjects } from "../subjects.ts";
import type { AttachmentStore, StoredEntry } from "./attachment.store.ts";

/**
 * Garbage collection of the attachment store. The log is the truth: a stored file is in use while
 * an event of a session that is not deleted names it (a message's files, or a fork's copy of
 * them). A deleted session's events stay in the log (it is append-only) but no longer keep files.
 * A file uploaded within the grace period is kept whatever the log says: it may be in a composer
 * waiting to be sent.
 */

/** Files the log's live sessions name: hash → the sessions naming it. */
export type AttachmentRefs = { readonly live: ReadonlyMap<string, ReadonlySet<string>>; readonly undecodable: number };

/** Folds session events into the files each live session names. */
export async function attachmentRefsOf(records: AsyncIterable<LogRecord>): Promise<AttachmentRefs> {
  const bySession = new Map<string, Set<string>>();
  let undecodable = 0;
  const add = (session: string, files: readonly { sha256: string }[] | undefined) => {
    if (!files?.length) return;
    const set = bySession.get(session) ?? new Set<string>();
    for (const f of files) set.add(f.sha256);
    bySession.set(session, set);
  };
  for await (const r of records) {
    if (!r.ok) {
      undecodable++;
      continue;
    }
    const e = r.event;
    if (e.type === "session.user_message") add(e.aggregateId, e.data.attachments);
    else if (e.type === "session.forked") for (const m of e.data.messages) add(e.aggregateId, m.attachments);
    // A key may be used again after a delete: what came before no longer counts.
    else if (e.type === "session.deleted") bySession.delete(e.aggregateId);
  }
  const live = new Map<string, Set<string>>();
  for (const [session, files] of bySession) for (const f of files) live.set(f, (live.get(f) ?? new Set()).add(session));
  return { live, undecodable };
}

/**
 * Reads the whole log's session events (up to its end now) into `AttachmentRefs`. Pass a reader
 * that starts in the archives (`archivedReader`) when old events were archived out of the stream:
 * their sessions' files are still in use.
 */
export async function readAttachmentRefs(log: Pick<EventLog, "read" | "lastSeq">): Promise<AttachmentRefs> {
  const last = await log.lastSeq();
  if (last === 0) return { live: new Map(), undecodable: 0 };
  const sessions = (r: LogRecord) => (r.ok ? r.event.kind === "session" : r.bad.subject.startsWith("evt.session."));
  return attachmentRefsOf(filtered(log.read({ fromSeq: 1, filter: subjects.eventsOfKind("session"), untilSeq: last }), sessions));
}

async function* filtered(records: AsyncIterable<LogRecord>, keep: (r: LogRecord) => boolean): AsyncGenerator<LogRecord> {
  for await (const r of records) if (keep(r)) yield r;
}

export type AttachmentState = "referenced" | "recent" | "unreferenced";
export type PlannedEntry = StoredEntry & { readonly state: AttachmentState; readonly sessions: readonly string[] };

/**
 * What each stored file is to the collector: `referenced` (kept), `recent` (unreferenced but inside
 * the grace period: kept) or `unreferenced` (removable).
 */
export function planAttachmentGc(
  entries: readonly StoredEntry[],
  refs: AttachmentRefs,
  o: { now: number; graceMs: number },
): PlannedEntry[] {
  return entries
    .map((e): PlannedEntry => {
      const sessions = [...(refs.live.get(e.sha256) ?? [])].sort();
      const state = sessions.length > 0 ? "referenced" : o.now - e.uploadedAt < o.graceMs ? "recent" : "unreferenced";
      return { ...e, state, sessions };
    })
    .sort((a, b) => b.uploadedAt - a.uploadedAt || a.sha256.localeCompare(b.sha256));
}

export type GcResult = { readonly removed: readonly PlannedEntry[]; readonly bytes: number; readonly dryRun: boolean };

/**
 * Removes the `unreferenced` files of a plan (none with `dryRun`). Refuses when the log held
 * undecodable session events: they may name files, so removing any could lose one in use.
 */
export async function collectAttachments(
  store: AttachmentStore,
  plan: readonly PlannedEntry[],
  refs: AttachmentRefs,
  dryRun: boolean,
): Promise<GcResult> {
  if (refs.undecodable > 0) {
    throw new CairnError(
      "attachments_gc_unsafe",
      `the log holds ${refs.undecodable} session event(s) this version cannot decode; they may name files, so nothing was removed (upgrade cairn, or check the log with 'cairn log verify')`,
      { undecodable: refs.undecodable },
    );
  }
  const doomed = plan.filter((p) => p.state === "unreferenced");
  const removed: PlannedEntry[] = [];
  for (const p of doomed) if (dryRun || (await store.remove(p.sha256))) removed.push(p);
  return { removed, bytes: removed.reduce((n, p) => n + p.size, 0), dryRun };
}
