import * as Schema from "effect/Schema";
import { AuditCategory, type AuditStep } from "../schemas/index.ts";

/**
 * A row of the audit read model (one per record of the log), as both of its readers decode it:
 * `cairn audit` (audit.queries.ts) and the events explorer (events.queries.ts).
 */
export const AuditRow = Schema.Struct({
  seq: Schema.Number,
  time: Schema.Number,
  kind: Schema.String,
  aggregate_id: Schema.String,
  type: Schema.String,
  event_id: Schema.String,
  actor: Schema.NullOr(Schema.String),
  summary: Schema.String,
  category: Schema.NullOr(AuditCategory),
  session_key: Schema.NullOr(Schema.String),
  run_id: Schema.NullOr(Schema.String),
  call_id: Schema.NullOr(Schema.String),
  correlation_id: Schema.NullOr(Schema.String),
  causation_id: Schema.NullOr(Schema.String),
  error: Schema.NullOr(Schema.String),
});
export type AuditRow = typeof AuditRow.Type;

export const AUDIT_COLUMNS =
  "seq, time, kind, aggregate_id, type, event_id, actor, summary, category, session_key, run_id, call_id, correlation_id, causation_id, error";

/** What every reader shows of a row: the event, where it happened, who did it and what it says. */
export const auditStep = (r: AuditRow): AuditStep => ({
  seq: r.seq,
  time: r.time,
  kind: r.kind,
  aggregateId: r.aggregate_id,
  type: r.type,
  eventId: r.event_id,
  actor: r.actor,
  summary: r.summary,
});
