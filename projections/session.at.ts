import { subjects, type EventLog, type LogRecord } from "../bus/index.ts";
import { CairnError, type AnyStoredEvent, type GetHistoryResult, type ToolCallRow } from "../schemas/index.ts";
import { openMemoryDb } from "./db.ts";
import { bindAll, type Touched } from "./projection.ts";
import { PROJECTIONS } from "./projector.ts";
import { queries, type ApprovalSummary, type GetSessionResult } from "./queries.ts";

/**
 * Time travel: one session as it was at a point of the log. The session's events, its runs' and
 * their approvals' are folded — up to that sequence — through the very projections that build the
 * live read models, into a throwaway database in memory, and read back with the live queries. So
 * there is no second implementation of "what a session looks like" to drift from the first: at
 * any sequence the answer is what the live read models showed when the log stood there.
 */

/** The aggregates one session's state is made of, read from the log, in log order. */
export interface SessionEvents {
  readonly key: string;
  readonly events: readonly AnyStoredEvent[];
}

/** One session at a point: its summary, transcript, tool calls and approvals then. */
export interface SessionAt {
  readonly key: string;
  /** The last of the session's events at or before the point asked for (0: the session did not exist yet). */
  readonly seq: number;
  /** When that event was appended (epoch ms; 0 with seq 0). */
  readonly time: number;
  /** The session was deleted by then (its transcript is gone from the read models too). */
  readonly deleted: boolean;
  /** How many of the session's events the view folded, of how many the log holds. */
  readonly applied: number;
  readonly total: number;
  readonly session: GetSessionResult["session"] | null;
  readonly usage: GetSessionResult["usage"] | null;
  readonly messages: GetHistoryResult["messages"];
  readonly activeRun: GetHistoryResult["activeRun"];
  readonly toolCalls: readonly ToolCallRow[];
  readonly approvals: readonly ApprovalSummary[];
}

/**
 * Aggregate logs read at once (a long session has a run and an approval per turn, each a few
 * requests in a row): at 8, a 1,000-turn session spent seconds waiting on round trips.
 */
const READS_AT_ONCE = 64;

/**
 * The read models a session's view is read from. The others (audit, metrics, nodes, auth, cron,
 * channels) answer no question asked here, and folding the audit's and the metrics' rows was
 * most of the cost of a long session's view.
 */
const VIEW_MODELS = new Set(["sessions", "messages", "compactions", "runs", "tool_calls", "approvals"]);
const VIEW_PROJECTIONS = PROJECTIONS.filter((p) => VIEW_MODELS.has(p.name));

const decoded = (kind: string, id: string, records: readonly LogRecord[]): AnyStoredEvent[] =>
  records.map((r) => {
    if (!r.ok) throw new CairnError("internal", `${kind} ${id} has an undecodable event at sequence ${r.bad.seq}: ${r.bad.error}`);
    return r.event;
  });

const inBatches = async <T>(items: readonly T[], fn: (item: T) => Promise<void>): Promise<void> => {
  for (let i = 0; i < items.length; i += READS_AT_ONCE) await Promise.all(items.slice(i, i + READS_AT_ONCE).map(fn));
};

/** A loaded session's events and the aggregates they came from: what a refresh extends. */
export interface LoadedSession extends SessionEvents {
  /** The subject of every aggregate whose whole history is in `events`. */
  readonly aggregates: ReadonlySet<string>;
  /** The log's last sequence when the load began: a refresh reads the log after it. */
  readonly upTo: number;
}

type ApprovalIdOf = (runId: string, callId: string) => string;

/** The runs a session's events started, and the approvals those runs asked for, by kind and id. */
const named = (events: readonly AnyStoredEvent[], approvalIdOf: ApprovalIdOf): ["run" | "approval", string][] => {
  const out = new Map<string, ["run" | "approval", string]>();
  const add = (kind: "run" | "approval", id: string) => out.set(subjects.events(kind, id), [kind, id]);
  for (const e of events) {
    if (e.type === "session.user_message" && e.data.runId) add("run", e.data.runId);
    if (e.type === "session.run_ended") add("run", e.data.runId);
    if (e.type === "run.tool_call_requested") add("approval", approvalIdOf(e.aggregateId, e.data.callId));
  }
  return [...out.values()];
};

/**
 * Loads every aggregate the events name that is not loaded yet, until none is left (runs name
 * approvals). Events already held (by sequence) are not added twice.
 */
async function loadNamed(log: EventLog, events: AnyStoredEvent[], aggregates: Set<string>, approvalIdOf: ApprovalIdOf): Promise<void> {
  const held = new Set(events.map((e) => e.seq));
  for (;;) {
    const fresh = named(events, approvalIdOf).filter(([kind, id]) => !aggregates.has(subjects.events(kind, id)));
    if (fresh.length === 0) return;
    await inBatches(fresh, async ([kind, id]) => {
      for (const e of decoded(kind, id, (await log.load(kind, id)).records)) if (!held.has(e.seq)) events.push(e);
    });
    for (const [kind, id] of fresh) aggregates.add(subjects.events(kind, id));
    for (const e of events) held.add(e.seq);
  }
}

/**
 * Reads a session's events and those of every run it started and every approval those runs asked
 * for (`approvalIdOf` names an approval from its run and call: the actor's own rule, injected
 * because read models do not import actors). Fails with `session_not_found` for a session the log never had.
 */
export async function loadSessionEvents(log: EventLog, key: string, approvalIdOf: ApprovalIdOf): Promise<LoadedSession> {
  const upTo = await log.lastSeq();
  const events = decoded("session", key, (await log.load("session", key)).records);
  if (events.length === 0) throw new CairnError("session_not_found", `the log has no session '${key}'`);
  const aggregates = new Set([subjects.events("session", key)]);
  await loadNamed(log, events, aggregates, approvalIdOf);
  return { key, events: events.sort((a, b) => a.seq - b.seq), aggregates, upTo };
}

/**
 * A loaded session brought up to the log's end: the events appended since its load that belong to
 * its aggregates (one bounded read of the log's tail), and the whole history of any run or
 * approval they name for the first time. Equal to a fresh load, at the cost of the tail.
 */
export async function refreshSessionEvents(
  log: EventLog,
  s: LoadedSession,
  approvalIdOf: ApprovalIdOf,
  logEnd?: number,
): Promise<LoadedSession> {
  const last = logEnd ?? (await log.lastSeq());
  if (last <= s.upTo) return s;
  const events = [...s.events];
  const aggregates = new Set(s.aggregates);
  const held = new Set(events.map((e) => e.seq));
  for await (const r of log.read({ fromSeq: s.upTo + 1, untilSeq: last })) {
    if (!r.ok) {
      if (aggregates.has(r.bad.subject)) decoded("event", r.bad.subject, [r]);
      continue;
    }
    const e = r.event;
    if (aggregates.has(subjects.events(e.kind, e.aggregateId)) && !held.has(e.seq)) events.push(e);
  }
  await loadNamed(log, events, aggregates, approvalIdOf);
  return { key: s.key, events: events.sort((a, b) => a.seq - b.seq), aggregates, upTo: last };
}

/** The point of a session's history to show: a log sequence, or a time (the last event appended by then). */
export type SessionPoint = { readonly seq: number } | { readonly time: number };

/** The sequence a point stands for: the last of the session's events at or before it (0 before the first). */
export const pointSeq = (s: SessionEvents, at: SessionPoint): number => {
  let seq = 0;
  for (const e of s.events) {
    if ("seq" in at ? e.seq > at.seq : e.time > at.time) break;
    seq = e.seq;
  }
  return seq;
};

/** Folds the session's events up to `at` through the live projections and reads the session back. Pure. */
export function sessionAt(s: SessionEvents, at: SessionPoint): SessionAt {
  const seq = pointSeq(s, at);
  const db = openMemoryDb();
  try {
    const models = bindAll(VIEW_PROJECTIONS, db);
    const touched: Touched = { sessions: new Set(), sessionList: false };
    let applied = 0;
    let time = 0;
    db.transaction(() => {
      for (const event of s.events) {
        if (event.seq > seq) break;
        const record: LogRecord = { ok: true, event, pending: 0 };
        models.apply(record, touched);
        applied++;
        time = event.time;
      }
      models.flush();
    })();
    const q = queries(() => db);
    const empty = { key: s.key, seq, time, applied, total: s.events.length, activeRun: null, messages: [], toolCalls: [], approvals: [] };
    if (applied === 0) return { ...empty, deleted: false, session: null, usage: null };
    if (db.prepare("SELECT 1 FROM sessions WHERE key = ? AND deleted_at IS NULL").get(s.key) === undefined)
      return { ...empty, deleted: true, session: null, usage: null };
    const { session, usage } = q.session(s.key);
    const h = q.history(s.key, Number.MAX_SAFE_INTEGER, seq);
    return {
      ...empty,
      deleted: false,
      session,
      usage,
      messages: h.messages,
      activeRun: h.activeRun,
      toolCalls: q.toolCalls(s.key, Number.MAX_SAFE_INTEGER),
      approvals: q.approvals(undefined, Number.MAX_SAFE_INTEGER).reverse(),
    };
  } finally {
    db.close();
  }
}
