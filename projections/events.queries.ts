import type { NatsConnection } from "@nats-io/transport-node";
import { serve, subjects, type EventLog } from "../bus/index.ts";
import {
  CairnError,
  GetEventChain,
  ListEvents,
  SessionAtParams,
  decodeOrFail,
  type EventChainResult,
  type EventNode,
  type EventRow,
  type SessionAtView,
} from "../schemas/index.ts";
import type { Db } from "./db.ts";
import { AUDIT_COLUMNS, AuditRow, auditStep } from "./audit.rows.ts";
import { decodeRow, decodeRows } from "./rows.ts";
import { sessionAt } from "./session.at.ts";
import { SessionEventsCache } from "./session.at.cache.ts";

/**
 * The events explorer's queries (`q.events.list`, `q.events.chain`, `q.sessions.at`): the audit
 * read model holds a row per record of the log, with the session, run and tool call it belongs to
 * and its causation; an event's data is read from the log itself.
 */

/** Events in one causation tree at most: a long agent loop is cut, and says so. */
const MAX_TREE = 500;
/** Causes followed up from an event. */
const MAX_ANCESTORS = 64;

const eventRow = (r: AuditRow): EventRow => ({
  ...auditStep(r),
  sessionKey: r.session_key,
  runId: r.run_id,
  callId: r.call_id,
  correlationId: r.correlation_id,
  causationId: r.causation_id,
  error: r.error,
});

export const eventsQueries = (db: () => Db) => {
  const rows = (sql: string, args: unknown[]) =>
    decodeRows(
      AuditRow,
      db()
        .prepare(sql)
        .all(...args),
      "audit",
    );
  const one = (sql: string, ...args: unknown[]) =>
    decodeRow(
      AuditRow,
      db()
        .prepare(sql)
        .get(...args),
      "audit",
    );
  return {
    list(p: ListEvents): EventRow[] {
      const where: string[] = [];
      const args: unknown[] = [];
      const add = (clause: string, arg: unknown) => where.push(clause) && args.push(arg);
      if (p.sessionKey !== undefined) add("session_key = ?", p.sessionKey);
      if (p.runId !== undefined) add("run_id = ?", p.runId);
      if (p.callId !== undefined) add("call_id = ?", p.callId);
      // A prefix compare, not LIKE: '_' is in event types and would match any character.
      if (p.type) add("substr(type, 1, ?) = ?", p.type.length) && args.push(p.type);
      if (p.actor !== undefined) add("substr(actor, 1, ?) = ?", p.actor.length + 1) && args.push(`${p.actor}:`);
      if (p.afterSeq !== undefined) add("seq > ?", p.afterSeq);
      const filter = where.length ? `WHERE ${where.join(" AND ")}` : "";
      const limit = p.limit ?? 200;
      // Following the log: the next events after a point. Otherwise: the newest, shown oldest first.
      if (p.afterSeq !== undefined)
        return rows(`SELECT ${AUDIT_COLUMNS} FROM audit ${filter} ORDER BY seq LIMIT ?`, [...args, limit]).map(eventRow);
      return rows(`SELECT ${AUDIT_COLUMNS} FROM audit ${filter} ORDER BY seq DESC LIMIT ?`, [...args, limit])
        .reverse()
        .map(eventRow);
    },

    /** The event at `seq`, its causes up to the root, and the tree of everything that root caused. */
    chain(seq: number): Omit<EventChainResult, "body"> {
      const row = one(`SELECT ${AUDIT_COLUMNS} FROM audit WHERE seq = ?`, seq);
      if (!row) throw new CairnError("not_found", `no event at sequence ${seq} in the read models`);
      const byId = db().prepare(`SELECT ${AUDIT_COLUMNS} FROM audit WHERE event_id = ? ORDER BY seq LIMIT 1`);
      const ancestors: AuditRow[] = [];
      const seen = new Set([row.event_id]);
      for (let cur = row; cur.causation_id && ancestors.length < MAX_ANCESTORS && !seen.has(cur.causation_id); ) {
        seen.add(cur.causation_id);
        const cause = decodeRow(AuditRow, byId.get(cur.causation_id), "audit");
        if (!cause) break;
        ancestors.unshift(cause);
        cur = cause;
      }
      const root = ancestors[0] ?? row;
      const caused = db().prepare(`SELECT ${AUDIT_COLUMNS} FROM audit WHERE causation_id = ? ORDER BY seq LIMIT ?`);
      let size = 1;
      let truncated = false;
      const grow = (r: AuditRow, visited: Set<string>): EventNode => {
        const children: EventNode[] = [];
        for (const c of decodeRows(AuditRow, caused.all(r.event_id, MAX_TREE), "audit")) {
          if (visited.has(c.event_id)) continue;
          if (size >= MAX_TREE) {
            truncated = true;
            break;
          }
          size++;
          visited.add(c.event_id);
          children.push(grow(c, visited));
        }
        return { event: eventRow(r), children };
      };
      const tree = grow(root, new Set([root.event_id]));
      return { event: eventRow(row), ancestors: ancestors.map(eventRow), tree, truncated };
    },
  };
};

export type EventsQueries = ReturnType<typeof eventsQueries>;

/** The time-travel view the UI's scrubber shows: `sessionAt`, with every stop it can move to. */
export async function sessionAtView(sessions: SessionEventsCache, p: SessionAtParams): Promise<SessionAtView> {
  const events = await sessions.get(p.sessionKey);
  const at = p.seq !== undefined ? { seq: p.seq } : p.time !== undefined ? { time: p.time } : { seq: Number.MAX_SAFE_INTEGER };
  const a = sessionAt(events, at);
  return {
    key: a.key,
    seq: a.seq,
    time: a.time,
    deleted: a.deleted,
    applied: a.applied,
    total: a.total,
    session: a.session,
    messages: a.messages,
    activeRun: a.activeRun,
    toolCalls: a.toolCalls,
    stops: events.events.map((e) => e.seq),
  };
}

/** Answers the explorer's queries over NATS. */
export const serveEventsQueries = (
  nc: NatsConnection,
  o: { q: EventsQueries; log: EventLog; checkpoint: () => number; approvalIdOf: (runId: string, callId: string) => string },
) => {
  const sessions = new SessionEventsCache(o.log, o.approvalIdOf);
  return [
    serve(nc, subjects.query("events", "list"), (p) => ({
      events: o.q.list(decodeOrFail(ListEvents, p ?? {}, "events.list params")),
      checkpoint: o.checkpoint(),
    })),
    serve(nc, subjects.query("events", "chain"), async (p) => {
      const { seq } = decodeOrFail(GetEventChain, p, "events.chain params");
      const chain = o.q.chain(seq);
      // The stream no longer holds an archived event: its row stays, its data is in the archive.
      const r = await o.log.get(seq);
      return { ...chain, body: r?.ok ? r.event : null };
    }),
    serve(nc, subjects.query("sessions", "at"), (p) => sessionAtView(sessions, decodeOrFail(SessionAtParams, p, "sessions.at params"))),
  ];
};
