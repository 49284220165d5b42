import type { EventLog } from "../../bus/index.ts";
import { CairnError, type AnyStoredEvent, type Attachment, type SessionCompacted, type WireError } from "../../schemas/index.ts";

/** The latest `session.compacted` of a session: what a prompt uses instead of the older turns. */
export type Compaction = typeof SessionCompacted.Type & { readonly seq: number };

/** One message of a session's transcript, as the run's prompt, forks and history see it. */
export interface TranscriptMessage {
  readonly id: string;
  readonly role: "user" | "assistant";
  readonly text: string;
  readonly runId: string | null;
  readonly status: "complete" | "failed" | "interrupted" | "cancelled";
  readonly at: number;
  readonly error: WireError | null;
  /** Files sent with a user message (absent: none). */
  readonly attachments?: readonly Attachment[];
}

/**
 * The reply a run left, from its own events: the text of `run.completed`, or what had streamed
 * when it failed, was interrupted or cancelled. "" for a run that never ended (or never started).
 */
export const replyOf = (runEvents: readonly AnyStoredEvent[]): string => {
  for (let i = runEvents.length - 1; i >= 0; i--) {
    const e = runEvents[i];
    if (e.type === "run.completed") return e.data.text;
    if (e.type === "run.failed" || e.type === "run.interrupted" || e.type === "run.cancelled") return e.data.partialText;
  }
  return "";
};

/** A transcript message with the sequence of the session event that added it. */
export type TranscriptEntry = TranscriptMessage & { readonly seq: number };
type Entry = TranscriptEntry;

/**
 * The session's transcript after one more of its events. Pure; `reply` gives the text of a run
 * whose end the session recorded (the text is stored once, in the run's log).
 */
export const nextTranscript = (messages: readonly Entry[], e: AnyStoredEvent, reply: (runId: string) => string): Entry[] => {
  switch (e.type) {
    case "session.forked":
      return e.data.messages.map((m) => ({ ...m, seq: e.seq }));
    case "session.user_message": {
      const d = e.data;
      return [
        ...messages,
        {
          id: d.messageId,
          role: "user",
          text: d.text,
          runId: d.runId,
          status: "complete",
          at: e.time,
          error: null,
          ...(d.attachments?.length ? { attachments: d.attachments } : {}),
          seq: e.seq,
        },
      ];
    }
    case "session.run_ended": {
      const d = e.data;
      const status = d.status === "completed" ? "complete" : d.status;
      const m = { id: d.messageId, role: "assistant", text: reply(d.runId), runId: d.runId, status, at: e.time, error: d.error ?? null };
      return [...messages, { ...m, seq: e.seq } as Entry];
    }
    default:
      return messages as Entry[];
  }
};

/** Session transcripts read from the log (see `sessionTranscripts`). */
export interface Transcripts {
  /** The session's transcript as the log holds it (up to sequence `untilSeq`, when given). */
  read(sessionKey: string, untilSeq?: number): Promise<TranscriptMessage[]>;
  /** The transcript and the latest compaction (null: none), read at once. */
  readCompacted(sessionKey: string): Promise<{ messages: TranscriptMessage[]; compaction: Compaction | null }>;
}

/** Run logs read at once while a transcript is first built (a cold session with many turns). */
const RUN_READS_AT_ONCE = 8;

/**
 * Transcripts built from the log: the session's events, and for each reply the run's end event.
 * The session aggregate keeps no transcript (its snapshot stays small however long the
 * conversation), so the run's prompt and forks read it here. A cache of the latest `cacheSize`
 * sessions makes the next read incremental: only the session's newer events and their runs are
 * loaded. The cache is never truth: each read starts from what the log has after its sequence.
 */
export const sessionTranscripts = (
  log: EventLog,
  opts: {
    cacheSize?: number;
    /** The reply of a run this process already holds (its host's cache), to skip reading its log. */
    knownReply?: (runId: string) => string | undefined;
  } = {},
): Transcripts => {
  const cache = new Map<string, { lastSeq: number; messages: Entry[]; compaction: Compaction | null }>();
  const loadEvents = async (kind: "session" | "run", id: string, afterSeq = 0) => {
    const { records, lastSeq } = await log.load(kind, id, afterSeq);
    const events = records.map((r) => {
      if (!r.ok) throw new CairnError("internal", `${kind} ${id} has an undecodable event at sequence ${r.bad.seq}: ${r.bad.error}`);
      return r.event;
    });
    return { events, lastSeq };
  };
  const update = async (key: string) => {
    const base = cache.get(key) ?? { lastSeq: 0, messages: [], compaction: null };
    const { events, lastSeq } = await loadEvents("session", key, base.lastSeq);
    const ended = events.flatMap((e) => (e.type === "session.run_ended" ? [e.data.runId] : []));
    const replies = new Map<string, string>();
    for (const runId of ended) {
      const known = opts.knownReply?.(runId);
      if (known !== undefined) replies.set(runId, known);
    }
    const unknown = ended.filter((runId) => !replies.has(runId));
    for (let i = 0; i < unknown.length; i += RUN_READS_AT_ONCE) {
      await Promise.all(
        unknown.slice(i, i + RUN_READS_AT_ONCE).map(async (runId) => replies.set(runId, replyOf((await loadEvents("run", runId)).events))),
      );
    }
    let messages = base.messages;
    let compaction = base.compaction;
    for (const e of events) {
      messages = nextTranscript(messages, e, (runId) => replies.get(runId) ?? "");
      if (e.type === "session.compacted") compaction = { ...e.data, seq: e.seq };
    }
    const next = { lastSeq: Math.max(lastSeq, base.lastSeq), messages, compaction };
    // Concurrent reads each build from their own base; the cache only ever moves forward.
    if ((cache.get(key)?.lastSeq ?? -1) <= next.lastSeq) {
      cache.delete(key);
      cache.set(key, next);
      const oldest = cache.keys().next();
      if (cache.size > (opts.cacheSize ?? 200) && !oldest.done) cache.delete(oldest.value);
    }
    return next;
  };
  const strip = (messages: readonly Entry[], untilSeq?: number) =>
    messages.filter((m) => untilSeq === undefined || m.seq <= untilSeq).map(({ seq: _seq, ...m }) => m);
  return {
    read: async (key, untilSeq) => strip((await update(key)).messages, untilSeq),
    readCompacted: async (key) => {
      const { messages, compaction } = await update(key);
      return { messages: strip(messages), compaction };
    },
  };
};
