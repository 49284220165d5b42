import { auditCategoryOf, type AnyStoredEvent } from "../schemas/index.ts";
import { summarizeEvent } from "./summary.ts";
import type { LogRecord } from "../bus/index.ts";
import type { Projection } from "./projection.ts";
import type { Db } from "./db.ts";
import * as Schema from "effect/Schema";
import { decodeRow } from "./rows.ts";

const OwnerRow = Schema.Struct({
  session_key: Schema.NullOr(Schema.String),
  run_id: Schema.NullOr(Schema.String),
  call_id: Schema.NullOr(Schema.String),
});

/** The tool call an event is about: run events and an approval's request name it in their data. */
const callIdIn = (data: unknown): string | null => {
  const id = (data as { callId?: unknown } | null)?.callId;
  return typeof id === "string" ? id : null;
};

/**
 * Every record of the log, decodable or not: the audit trail. An event that fails to decode is
 * kept here with its error, so it is visible instead of silently skipped by the other models.
 * An event's data is not copied (the log holds it at `seq`): a copy made this table as big as
 * the log, and the read models together 1.7 times its size. What `cairn audit` filters on is:
 * the actor, the decision category, and the session and run each event belongs to.
 */
export const auditProjection: Projection = {
  name: "audit",
  bind: (db) => {
    const insert = db.prepare(
      `INSERT OR IGNORE INTO audit(seq, time, kind, aggregate_id, type, event_id, correlation_id, causation_id, summary, data, error,
                                   actor, category, session_key, run_id, call_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const { owner, forget } = ownerOf(db);
    const apply = (r: LogRecord) => {
      if (r.ok) {
        const e = r.event;
        const { sessionKey, runId, callId } = owner(e);
        insert.run(
          e.seq,
          e.time,
          e.kind,
          e.aggregateId,
          e.type,
          e.id,
          e.correlationId ?? null,
          e.causationId ?? null,
          summarizeEvent(e),
          null,
          null,
          e.actor ?? null,
          auditCategoryOf(e.type),
          sessionKey,
          runId,
          callId,
        );
      } else {
        const parts = r.bad.subject.split(".");
        insert.run(
          r.bad.seq,
          r.bad.time,
          parts[1] ?? "?",
          parts[2] ?? "?",
          r.bad.type || "?",
          "",
          null,
          null,
          "undecodable event",
          null,
          r.bad.error,
          null,
          null,
          null,
          null,
          null,
        );
      }
    };
    return Object.assign(apply, { flush: forget });
  },
};

/**
 * The session and run an event belongs to. A run's and an approval's session come from their
 * first event's data, remembered in the audit table itself (the first row of that aggregate), so
 * this read model needs no other one.
 */
function ownerOf(db: Db): { owner: (e: AnyStoredEvent) => Owner; forget: () => void } {
  const first = db.prepare(
    "SELECT session_key, run_id, call_id FROM audit WHERE kind = ? AND aggregate_id = ? AND session_key IS NOT NULL LIMIT 1",
  );
  // The first rows of the runs and approvals seen since the last commit: their later events
  // usually follow within the batch, and then need no query.
  const firsts = new Map<string, Owner>();
  const firstOf = (kind: string, id: string): Owner | undefined => {
    const known = firsts.get(`${kind}\t${id}`);
    if (known) return known;
    const row = decodeRow(OwnerRow, first.get(kind, id), "audit owner");
    return row && { sessionKey: row.session_key, runId: row.run_id, callId: row.call_id };
  };
  const owner = (e: AnyStoredEvent): Owner => {
    const callId = callIdIn(e.data);
    if (e.kind === "session") return { sessionKey: e.aggregateId, runId: null, callId: null };
    if (e.type === "run.started" || e.type === "approval.requested") {
      const o =
        e.type === "run.started"
          ? { sessionKey: e.data.sessionKey, runId: e.aggregateId, callId }
          : { sessionKey: e.data.sessionKey, runId: e.data.runId, callId };
      firsts.set(`${e.kind}\t${e.aggregateId}`, o);
      return o;
    }
    if (e.kind !== "run" && e.kind !== "approval") return { sessionKey: null, runId: null, callId: null };
    const row = firstOf(e.kind, e.aggregateId);
    // An approval is about one call all its life: its answers inherit the call its request named.
    const call = e.kind === "approval" ? (row?.callId ?? callId) : callId;
    return { sessionKey: row?.sessionKey ?? null, runId: e.kind === "run" ? e.aggregateId : (row?.runId ?? null), callId: call };
  };
  return { owner, forget: () => firsts.clear() };
}

interface Owner {
  sessionKey: string | null;
  runId: string | null;
  callId: string | null;
}
