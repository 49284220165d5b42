import { summarizeEvent } from "./summary.ts";
import type { Projection } from "./projection.ts";

/**
 * Every record of the log, decodable or not: the audit trail. An event that fails to decode is
 * kept here with its error, so it is visible instead of silently skipped by the other models.
 * An event's data is not copied (the log holds it at `seq`): a copy made this table as big as
 * the log, and the read models together 1.7 times its size.
 */
export const auditProjection: Projection = {
  name: "audit",
  bind: (db) => {
    const insert = db.prepare(
      `INSERT OR IGNORE INTO audit(seq, time, kind, aggregate_id, type, event_id, correlation_id, causation_id, summary, data, error)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    return (r) => {
      if (r.ok) {
        const e = r.event;
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
        );
      }
    };
  },
};
