import { auditCategoryOf, type AnyStoredEvent } from "../schemas/index.ts";
import { summarizeEvent } from "./summary.ts";
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
    const owner = ownerOf(db);
    return (r) => {
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
  },
};

/**
 * The session and run an event belongs to. A run's and an approval's session come from their
 * first event's data, remembered in the audit table itself (the first row of that aggregate), so
 * this read model needs no other one.
 */
function ownerOf(db: Db): (e: AnyStoredEvent) => { sessionKey: string | null; runId: string | null; callId: string | null } {
  const first = db.prepare(
    "SELECT session_key, run_id, call_id FROM audit WHERE kind = ? AND aggregate_id = ? AND session_key IS NOT NULL LIMIT 1",
  );
  return (e) => {
    const callId = callIdIn(e.data);
    if (e.kind === "session") return { sessionKey: e.aggregateId, runId: null, callId: null };
    if (e.type === "run.started") return { sessionKey: e.data.sessionKey, runId: e.aggregateId, callId };
    if (e.type === "approval.requested") return { sessionKey: e.data.sessionKey, runId: e.data.runId, callId };
    if (e.kind !== "run" && e.kind !== "approval") return { sessionKey: null, runId: null, callId: null };
    const row = decodeRow(OwnerRow, first.get(e.kind, e.aggregateId), "audit owner");
    // An approval is about one call all its life: its answers inherit the call its request named.
    const call = e.kind === "approval" ? (row?.call_id ?? callId) : callId;
    return { sessionKey: row?.session_key ?? null, runId: e.kind === "run" ? e.aggregateId : (row?.run_id ?? null), callId: call };
  };
}
